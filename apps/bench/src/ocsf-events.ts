/**
 * Realistic OCSF events for the events benchmark: the six classes Cairn validates, each shaped
 * like what a real source sends (an IdP logon with MFA and device posture, a Kubernetes API call
 * from the audit webhook, a `kubectl exec` shell seen by a runtime sensor, a role grant, an audit
 * log cleared, a brute-force finding) and around 1 KB as canonical JSON.
 *
 * Deterministic (a seeded PRNG), so two runs parse the same bytes; every event differs from the
 * next in its names, addresses, ids and times, so no cache or branch predictor sees one input
 * over and over. Some values carry what real data carries: non-ASCII names, escaped quotes and
 * backslashes in command lines, IPv6 addresses, arrays of objects, an `unmapped` object.
 */

/** One generated event (a plain JSON value) and its class. */
export interface GeneratedEvent {
  readonly classUid: number;
  readonly event: Record<string, unknown>;
}

/** The classes generated, in the order {@link generateEvents} cycles through them. */
export const GENERATED_CLASSES = [3002, 6003, 1007, 3001, 1008, 2004] as const;

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/** mulberry32: a small, fast, seeded PRNG (not for secrets). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['alice', 'bob', 'carol', 'dmitri', 'zoë', 'josé', 'mei', 'oluwaseun', 'priya', 'sven', 'françois', 'yuki'];
const LAST = ['martin', 'dupont', 'nguyen', 'ivanov', 'müller', 'garcía', 'chen', 'adeyemi', 'sharma', 'larsson', 'lefèvre', 'tanaka'];
const NAMESPACES = ['prod', 'staging', 'payments', 'kube-system', 'monitoring', 'data'];
const VERBS = ['get', 'list', 'create', 'update', 'patch', 'delete'];
const RESOURCES = ['secrets', 'pods', 'deployments', 'configmaps', 'rolebindings', 'serviceaccounts'];
const PRODUCTS = ['okta', 'entra-id', 'kubernetes', 'falco', 'aws-iam', 'auditd', 'cairn-detect'];

/** Generates `n` events, cycling through the six classes, from `seed`. */
export function generateEvents(n: number, seed = 1): GeneratedEvent[] {
  const rnd = prng(seed);
  return Array.from({ length: n }, (_, i) => makeEvent(i, rnd));
}

/**
 * Event `i` of an endless sequence, on its own: the same for the same `i` and `seed`, whatever was
 * generated before (its PRNG is seeded from both), so a benchmark over millions of events can make
 * each one when it is read instead of holding them. Classes cycle with `i`; times grow with `i`.
 */
export function eventAt(i: number, seed = 1): GeneratedEvent {
  return makeEvent(i, prng(Math.imul(i + 1, 0x9e3779b1) ^ seed));
}

function makeEvent(i: number, rnd: () => number): GeneratedEvent {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const hex = (len: number): string => {
    let s = '';
    while (s.length < len) s += Math.floor(rnd() * 0x100000000).toString(16).padStart(8, '0');
    return s.slice(0, len);
  };
  const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const ipv4 = (): string => `${pick([198, 203, 192])}.${pick([51, 0])}.${int(0, 255)}.${int(1, 254)}`;
  const ipv6 = (): string => `2001:db8:${hex(4)}:${hex(2)}::${int(1, 0xfff).toString(16)}`;
  const person = () => {
    const first = pick(FIRST);
    const last = pick(LAST);
    const name = `${first}.${last}`;
    return {
      name,
      uid: `00u${hex(17)}`,
      email_addr: `${name}@example.com`,
      full_name: `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`,
      type_id: 1,
      groups: [{ name: pick(['sre', 'platform', 'payments-oncall', 'security']) }, { name: 'employees' }],
    };
  };
  const meta = (product: string, extra: Record<string, unknown> = {}) => ({
    version: '1.3.0',
    uid: uuid(),
    product: { name: product, vendor_name: 'Example Corp', version: `${int(1, 9)}.${int(0, 40)}.${int(0, 9)}` },
    log_name: `${product}-audit`,
    logged_time: 0,
    ...extra,
  });
  const device = (hostname: string) => ({
    type_id: pick([1, 2, 3]),
    hostname,
    ip: ipv4(),
    uid: uuid(),
    is_compliant: rnd() < 0.9,
    is_managed: true,
    is_trusted: rnd() < 0.95,
    os: { name: pick(['macOS', 'Windows', 'Linux']), type_id: pick([100, 200, 300]), version: `${int(10, 15)}.${int(0, 6)}` },
  });

  {
    const classUid = GENERATED_CLASSES[i % GENERATED_CLASSES.length]!;
    const time = T0 + i * 37 + int(0, 36);
    const user = person();
    let event: Record<string, unknown>;
    switch (classUid) {
      case 3002: {
        // An IdP logon with MFA and device posture.
        const activity = rnd() < 0.85 ? 1 : 2;
        const ok = rnd() < 0.9;
        event = {
          class_uid: 3002, category_uid: 3, activity_id: activity, type_uid: 300200 + activity, severity_id: ok ? 1 : 3,
          status_id: ok ? 1 : 2, time, metadata: meta(pick(['okta', 'entra-id']), { correlation_uid: uuid() }),
          message: ok ? 'User login to Okta with MFA' : 'User login failed: invalid credentials',
          user, is_mfa: true, auth_protocol_id: 4, logon_type_id: 3,
          src_endpoint: { ip: rnd() < 0.3 ? ipv6() : ipv4(), port: int(1024, 65535), location: { city: pick(['Paris', 'Lagos', 'Tōkyō', 'Berlin']), country: pick(['FR', 'NG', 'JP', 'DE']) } },
          session: { uid: `102${hex(20)}`, is_mfa: true, issuer: 'https://idp.example.com', created_time: time },
          device: device(`laptop-${user.name.split('.')[0]}.corp.example`),
          http_request: { user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', http_method: 'POST' },
          status_detail: ok ? 'SUCCESS' : 'INVALID_CREDENTIALS',
        };
        break;
      }
      case 6003: {
        // A Kubernetes API request, as the audit webhook adapter maps it.
        const verb = pick(VERBS);
        const resource = pick(RESOURCES);
        const ns = pick(NAMESPACES);
        const name = `${resource.slice(0, -1)}-${hex(5)}`;
        const activity = verb === 'create' ? 1 : verb === 'get' || verb === 'list' ? 2 : verb === 'delete' ? 4 : 3;
        event = {
          class_uid: 6003, category_uid: 6, activity_id: activity, type_uid: 600300 + activity, severity_id: 1, status_id: 1, time,
          metadata: meta('kubernetes', { correlation_uid: uuid() }),
          actor: { user: { name: user.email_addr, uid: user.uid, groups: [{ name: 'system:authenticated' }, { name: `oidc:${user.groups[0]!.name}` }] } },
          api: { operation: verb, service: { name: 'kube-apiserver' }, request: { uid: uuid() }, response: { code: 200 }, version: 'v1' },
          src_endpoint: { ip: ipv4() },
          resources: [{ type: resource, name, namespace: ns, uid: uuid() }],
          http_request: { user_agent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/7c48c2b', url: { path: `/api/v1/namespaces/${ns}/${resource}/${name}` } },
          unmapped: { 'annotations.authorization.k8s.io/decision': 'allow', 'annotations.authorization.k8s.io/reason': `RBAC: allowed by ClusterRoleBinding "${user.groups[0]!.name}-edit"`, stage: 'ResponseComplete' },
        };
        break;
      }
      case 1007: {
        // A shell in a production container, seen by a runtime sensor.
        const pod = `api-${hex(10)}-${hex(5)}`;
        event = {
          class_uid: 1007, category_uid: 1, activity_id: 1, type_uid: 100701, severity_id: 4, status_id: 1, time,
          metadata: meta('falco'),
          message: `Terminal shell in container (user=root container=${pod} shell=bash)`,
          process: {
            pid: int(100, 65000), name: 'bash', cmd_line: `bash -c "cat /etc/shadow | grep -v '^#' > /tmp/\\"x\\""`,
            file: { name: 'bash', path: '/usr/bin/bash', type_id: 1 },
            user: { name: 'root', uid: '0' },
            parent_process: { pid: int(2, 99), name: 'runc', cmd_line: `runc exec -t ${hex(12)}` },
          },
          actor: { user: { name: user.name, uid: user.uid }, process: { pid: 1, name: 'kubectl-exec' } },
          device: { type_id: 6, hostname: `node-${int(1, 40)}.k8s.corp.example`, ip: ipv4(), uid: uuid() },
        };
        break;
      }
      case 3001: {
        // A role granted to an account.
        const target = person();
        event = {
          class_uid: 3001, category_uid: 3, activity_id: 7, type_uid: 300107, severity_id: 3, status_id: 1, time,
          metadata: meta('aws-iam', { correlation_uid: uuid() }),
          message: `Attached policy AdministratorAccess to ${target.name}`,
          user: { name: target.name, uid: target.uid, email_addr: target.email_addr },
          actor: { user: { name: user.name, uid: user.uid }, session: { uid: uuid(), is_mfa: true, created_time: time - 60_000 } },
          src_endpoint: { ip: ipv4(), port: int(1024, 65535) },
          api: { operation: 'AttachUserPolicy', service: { name: 'iam.amazonaws.com' }, request: { uid: uuid() } },
        };
        break;
      }
      case 1008: {
        // An audit log cleared on a host.
        event = {
          class_uid: 1008, category_uid: 1, activity_id: 1, type_uid: 100801, severity_id: 5, status_id: 1, time,
          metadata: meta('auditd'),
          message: `Audit log cleared by ${user.name}`,
          actor: { user: { name: user.name, uid: user.uid }, process: { pid: int(100, 65000), name: 'auditctl', cmd_line: 'auditctl -D' } },
          device: device(`db-${int(1, 9)}.corp.example`),
          log_name: 'Security', log_provider: 'Microsoft-Windows-Eventlog', status_detail: 'The audit log was cleared.',
          file: { name: 'audit.log', path: '/var/log/audit/audit.log', type_id: 1, size: int(1e6, 1e9) },
        };
        break;
      }
      default: {
        // A brute-force detection.
        const attacker = ipv4();
        event = {
          class_uid: 2004, category_uid: 2, activity_id: 1, type_uid: 200401, severity_id: 4, status_id: 1, time,
          metadata: meta('cairn-detect'),
          finding_info: {
            uid: uuid(), title: `Brute force against ${user.name}`, desc: `${int(20, 500)} failed logons in 5 minutes from ${attacker}`,
            analytic: { name: 'brute-force', uid: 'r-12', type_id: 1 }, types: ['credential-access'], created_time: time,
          },
          evidences: [{ src_endpoint: { ip: attacker }, user: { name: user.name } }, { src_endpoint: { ip: attacker, port: int(1024, 65535) } }],
          is_alert: true, confidence_id: 3, confidence_score: int(50, 100), risk_score: int(50, 100),
          attacks: [{ tactic: { name: 'Credential Access', uid: 'TA0006' }, technique: { name: 'Brute Force', uid: 'T1110' }, version: '14' }],
        };
      }
    }
    const meta0 = event['metadata'] as Record<string, unknown>;
    meta0['logged_time'] = time + int(5, 900);
    return { classUid, event };
  }
}
