/**
 * Sample audit events for `cairn demo`: OCSF 1.3 events of the kinds an audit log of production
 * access holds — a logon with MFA from a managed, compliant laptop; a failed logon; a
 * `kubectl exec` into a production pod (API Activity); a secret read (API Activity); a role grant
 * (Account Change). Every attribute is one the OCSF classes define, so nothing is moved into
 * `unmapped` (a unit test checks it). The times are the demo run's, so every run appends new
 * events. The user names and addresses are personal data: they go to the event store, never into
 * the public tiles (the e2e test scans them).
 */

/** One demo event: the OCSF object and a one-line description for the screen. */
export interface DemoEvent {
  readonly event: Record<string, unknown>;
  readonly summary: string;
}

const product = (name: string, vendor: string) => ({ version: '1.3.0', product: { name, vendor_name: vendor } });

/** The demo's events at `now` (ms since the epoch). */
export function demoEvents(now: number): DemoEvent[] {
  const t = (s: number) => now - s * 1000;
  return [
    {
      summary: 'alice@example.com logged on to the bastion with MFA from a managed, compliant laptop',
      event: {
        class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: t(60),
        metadata: product('sshd', 'OpenBSD'),
        user: { name: 'alice@example.com', uid: 'u-1042' },
        is_mfa: true, auth_protocol: 'OIDC', auth_protocol_id: 99, logon_type_id: 10,
        src_endpoint: { ip: '10.20.4.17', hostname: 'laptop-alice-0142' },
        dst_endpoint: { hostname: 'bastion-2.prod.example.com', ip: '10.0.0.2', port: 22 },
        device: { type_id: 3, hostname: 'laptop-alice-0142', is_managed: true, is_compliant: true, os: { name: 'macOS', type_id: 300, version: '15.1' } },
        session: { uid: 'sess-8f2c1a', is_mfa: true },
      },
    },
    {
      summary: 'bob failed to log on to the bastion (wrong second factor)',
      event: {
        class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 3, status_id: 2, time: t(45),
        status_detail: 'second factor rejected',
        metadata: product('sshd', 'OpenBSD'),
        user: { name: 'bob' },
        is_mfa: true, logon_type_id: 10,
        src_endpoint: { ip: '203.0.113.24' },
        dst_endpoint: { hostname: 'bastion-2.prod.example.com', ip: '10.0.0.2', port: 22 },
      },
    },
    {
      summary: 'alice@example.com ran `kubectl exec` into a production payments pod',
      event: {
        class_uid: 6003, category_uid: 6, activity_id: 1, type_uid: 600301, severity_id: 2, status_id: 1, time: t(30),
        metadata: product('kube-apiserver', 'Kubernetes'),
        actor: { user: { name: 'alice@example.com', groups: [{ name: 'sre' }] }, session: { uid: 'sess-8f2c1a' } },
        api: { operation: 'create', request: { uid: 'c9d3e7a1-5b2f-4c1e-9a0d-2f1e6b7c8d90' }, service: { name: 'kubernetes' }, version: 'v1' },
        resources: [{ type: 'pods/exec', name: 'ledger-7d9f8-x2kq4', namespace: 'payments', labels: ['env=prod'] }],
        src_endpoint: { ip: '10.20.4.17' },
        message: 'exec /bin/sh in container ledger',
      },
    },
    {
      summary: 'carol@example.com read the production payments database password from Vault',
      event: {
        class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 2, status_id: 1, time: t(17),
        metadata: product('vault', 'HashiCorp'),
        actor: { user: { name: 'carol@example.com', groups: [{ name: 'security' }] } },
        api: { operation: 'read', request: { uid: 'vault-req-11be07' }, service: { name: 'vault' } },
        resources: [{ type: 'secret', name: 'kv/prod/payments/db-password' }],
        src_endpoint: { ip: '10.20.9.3', hostname: 'workstation-carol' },
      },
    },
    {
      summary: 'svc-deployer granted the cluster-admin role to mallory@example.com',
      event: {
        class_uid: 3001, category_uid: 3, activity_id: 7, type_uid: 300107, severity_id: 4, status_id: 1, time: t(5),
        metadata: product('admin-api', 'Example Corp'),
        actor: { user: { name: 'svc-deployer', type_id: 3 } },
        user: { name: 'mallory@example.com' },
        policy: { name: 'cluster-admin' },
        src_endpoint: { ip: '198.51.100.7' },
      },
    },
  ];
}
