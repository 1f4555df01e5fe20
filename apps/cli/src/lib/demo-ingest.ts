/**
 * The demo's producers: once the log runs with its ingestion listener, one EventList as a
 * kube-apiserver sends it (`POST /k8s/audit`), one OTLP/HTTP JSON request (`POST /v1/logs`) and a
 * few sshd/sudo syslog lines (RFC 5424, octet counting) — and the commands to send more. Each
 * HTTP answer of 200 means the events are fsync'd; syslog has no answer.
 */
import { connect } from 'node:net';

/** An `audit.k8s.io/v1` EventList of two stages of one `kubectl exec` and a `get secrets`. */
export function demoEventList(now: number): string {
  const t = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  const user = { username: 'alice@example.org', groups: ['sre', 'system:authenticated'] };
  const base = { sourceIPs: ['192.0.2.10'], userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46' };
  const id = (n: number) => `d3m0${String(Math.floor(now / 1000) % 1e8).padStart(8, '0')}-0000-4000-8000-00000000000${n}`;
  return JSON.stringify({
    kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [
      { level: 'Metadata', auditID: id(1), stage: 'ResponseStarted', requestURI: '/api/v1/namespaces/shop/pods/checkout-7d9f/exec?command=sh&stdin=true&tty=true',
        verb: 'create', user, ...base, objectRef: { resource: 'pods', namespace: 'shop', name: 'checkout-7d9f', apiVersion: 'v1', subresource: 'exec' },
        responseStatus: { metadata: {}, code: 101 }, requestReceivedTimestamp: t(now - 900), stageTimestamp: t(now - 880),
        annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "sre" of ClusterRole "cluster-admin" to Group "sre"' } },
      { level: 'Metadata', auditID: id(2), stage: 'ResponseComplete', requestURI: '/api/v1/namespaces/shop/secrets/db-credentials',
        verb: 'get', user, ...base, objectRef: { resource: 'secrets', namespace: 'shop', name: 'db-credentials', apiVersion: 'v1' },
        responseStatus: { metadata: {}, code: 200 }, requestReceivedTimestamp: t(now - 500), stageTimestamp: t(now - 497),
        annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "sre" of ClusterRole "cluster-admin" to Group "sre"' } },
    ],
  });
}

/** An OTLP/HTTP JSON ExportLogsServiceRequest with one application log record. */
export function demoOtlpRequest(now: number): string {
  const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });
  return JSON.stringify({ resourceLogs: [{
    resource: { attributes: [kv('service.name', 'checkout'), kv('host.name', 'web-1')] },
    scopeLogs: [{ scope: { name: 'checkout.audit' }, logRecords: [{
      timeUnixNano: `${now}000000`, severityNumber: 9, severityText: 'INFO', body: { stringValue: 'refund approved for order 42' },
      attributes: [kv('enduser.id', 'alice@example.org')],
    }] }],
  }] });
}

/** sshd and sudo lines as rsyslog forwards them (RFC 5424). */
export function demoSyslogLines(now: number): string[] {
  const t = new Date(now).toISOString();
  return [
    `<38>1 ${t} bastion sshd 4242 - - Accepted publickey for alice from 192.0.2.10 port 51514 ssh2: ED25519 SHA256:q1w2e3`,
    `<38>1 ${t} bastion sshd 4243 - - Failed password for invalid user admin from 203.0.113.9 port 40022 ssh2`,
    `<85>1 ${t} bastion sudo - - - alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx`,
  ];
}

async function post(url: string, token: string, contentType: string, body: string): Promise<string> {
  const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType, authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}: ${text.slice(0, 200)}`);
  return text.trim();
}

/** Sends syslog lines, octet-counted, on one TCP connection. */
function sendSyslog(host: string, port: number, lines: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host, () => {
      s.end(Buffer.concat(lines.map((l) => {
        const b = Buffer.from(l, 'utf8');
        return Buffer.concat([Buffer.from(`${b.length} `), b]);
      })));
    });
    s.setTimeout(30_000, () => s.destroy(new Error('syslog connection timed out')));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

/** Feeds the listener; returns one line per producer for the demo to print. */
export async function feedDemoIngest(o: { ingestUrl: string; syslog: { host: string; port: number } | undefined; token: string; now: number }): Promise<string[]> {
  const out: string[] = [];
  out.push(`k8s audit webhook: POST ${o.ingestUrl}/k8s/audit (EventList of 2) → ${await post(`${o.ingestUrl}/k8s/audit`, o.token, 'application/json', demoEventList(o.now))}`);
  const otlp = await post(`${o.ingestUrl}/v1/logs`, o.token, 'application/json', demoOtlpRequest(o.now));
  out.push(`OTLP logs: POST ${o.ingestUrl}/v1/logs (1 record) → ${otlp === '{}' ? 'all stored' : otlp}`);
  if (o.syslog !== undefined) {
    const lines = demoSyslogLines(o.now);
    await sendSyslog(o.syslog.host, o.syslog.port, lines);
    out.push(`syslog: ${lines.length} sshd/sudo lines to tcp://${o.syslog.host}:${o.syslog.port} (no acknowledgement: syslog has none)`);
  }
  return out;
}

/** The commands that send more, for the demo's guide. */
export function demoIngestCommands(ingestUrl: string, syslog: { host: string; port: number } | undefined, tokenFile: string): string[] {
  return [
    `curl -H "Authorization: Bearer $(cat ${tokenFile})" -H 'Content-Type: application/json' \\`,
    `  --data '{"class_uid":3002,"category_uid":3,"activity_id":1,"type_uid":300201,"severity_id":1,"status_id":1,"time":'$(date +%s000)',"metadata":{"version":"1.3.0","product":{"name":"my-app"}},"user":{"name":"bob"}}' ${ingestUrl}/events`,
    ...(syslog === undefined ? [] : [`logger --server ${syslog.host} --port ${syslog.port} --tcp --octet-count --rfc5424 -t sshd 'Accepted password for bob from 192.0.2.20 port 50000 ssh2'`]),
  ];
}
