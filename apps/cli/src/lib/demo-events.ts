/**
 * Sample audit events for `cairn demo`: one JSON object per entry, with who did what, to which
 * resource, from where, under which authentication, and the outcome (field names after OCSF
 * where they fit). The time is the demo run's, so every run appends new entries.
 */
export interface DemoEvent {
  readonly time: string;
  readonly actor: { readonly user: string; readonly groups?: readonly string[] };
  readonly action: string;
  readonly resource: string;
  readonly src: { readonly ip: string; readonly device?: string };
  readonly auth: { readonly method: string; readonly mfa: boolean; readonly session?: string };
  readonly params?: Record<string, string>;
  readonly outcome: 'success' | 'failure';
  readonly reason?: string;
}

/** The demo's events at `now` (ms since the epoch). */
export function demoEvents(now: number): DemoEvent[] {
  const t = (s: number) => new Date(now - s * 1000).toISOString();
  return [
    {
      time: t(42),
      actor: { user: 'alice@example.com', groups: ['sre'] },
      action: 'kubectl.exec',
      resource: 'k8s://prod-eu1/namespaces/payments/pods/ledger-7d9f8-x2kq4',
      src: { ip: '10.20.4.17', device: 'laptop-alice-0142' },
      auth: { method: 'oidc', mfa: true, session: 'sess-8f2c1a' },
      params: { container: 'ledger', command: '/bin/sh' },
      outcome: 'success',
    },
    {
      time: t(30),
      actor: { user: 'bob' },
      action: 'ssh.login',
      resource: 'host://bastion-2.prod.example.com',
      src: { ip: '203.0.113.24' },
      auth: { method: 'ssh-certificate', mfa: true, session: 'ssh-5512' },
      outcome: 'success',
    },
    {
      time: t(17),
      actor: { user: 'svc-deployer', groups: ['ci'] },
      action: 'admin.api.role.grant',
      resource: 'https://admin.example.com/api/v1/roles/cluster-admin',
      src: { ip: '198.51.100.7' },
      auth: { method: 'api-key', mfa: false },
      params: { grantee: 'mallory@example.com' },
      outcome: 'failure',
      reason: 'forbidden: svc-deployer may not grant cluster-admin',
    },
    {
      time: t(5),
      actor: { user: 'carol@example.com', groups: ['security'] },
      action: 'vault.secret.read',
      resource: 'vault://kv/prod/payments/db-password',
      src: { ip: '10.20.9.3', device: 'workstation-carol' },
      auth: { method: 'oidc', mfa: true, session: 'sess-11be07' },
      outcome: 'success',
    },
  ];
}
