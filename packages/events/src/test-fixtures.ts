/**
 * Test fixtures: one realistic OCSF event per supported class, full of personal data (user
 * names, e-mail addresses, IP addresses, host names) so tests can check none of it leaks into
 * public bytes. Not exported from the package.
 */
import type { JsonObject } from './json.js';

const T = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const meta = (product: string): JsonObject => ({ version: '1.3.0', product: { name: product, vendor_name: 'Example Corp' }, uid: 'evt-7f3a' });
const device: JsonObject = { type_id: 1, hostname: 'build-07.corp.example', ip: '10.20.30.40', is_compliant: true, is_managed: true, os: { name: 'Linux', type_id: 200 } };

/** Personal data that appears in the fixtures and must never appear in a public leaf. */
export const PERSONAL_DATA = [
  'alice.martin', 'alice.martin@example.com', 'Alice Martin', '198.51.100.23', '2001:db8::7', 'laptop-alice.corp.example',
  'bob.dupont', 'bob.dupont@example.com', '203.0.113.9', 'build-07.corp.example', '10.20.30.40', 'carol.nguyen',
];

/** One valid event per class, keyed by class_uid. */
export const EVENTS: Readonly<Record<number, JsonObject>> = {
  3002: {
    class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: T,
    metadata: meta('okta'), message: 'User logon with MFA',
    user: { name: 'alice.martin', uid: 'u-1001', email_addr: 'alice.martin@example.com', full_name: 'Alice Martin' },
    src_endpoint: { ip: '198.51.100.23', port: 51514, hostname: 'laptop-alice.corp.example' },
    dst_endpoint: { ip: '2001:db8::7', port: 443 },
    auth_protocol_id: 4, is_mfa: true, logon_type_id: 10,
    session: { uid: 'sess-42', is_mfa: true, issuer: 'https://idp.example.com', created_time: T },
    device: { ...device, hostname: 'laptop-alice.corp.example' },
  },
  3001: {
    class_uid: 3001, category_uid: 3, activity_id: 7, type_uid: 300107, severity_id: 3, status_id: 1, time: T + 1,
    metadata: meta('aws-iam'),
    user: { name: 'bob.dupont', email_addr: 'bob.dupont@example.com' },
    actor: { user: { name: 'alice.martin', uid: 'u-1001' }, session: { uid: 'sess-42', is_mfa: true } },
    src_endpoint: { ip: '198.51.100.23' },
  },
  6003: {
    class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 1, status_id: 1, time: T + 2,
    metadata: { ...meta('kubernetes'), correlation_uid: 'sess-42' },
    actor: { user: { name: 'alice.martin', groups: [{ name: 'sre' }] }, app_name: 'kubectl' },
    api: { operation: 'get', service: { name: 'secrets' }, request: { uid: 'req-9f2c' }, response: { code: 200 } },
    src_endpoint: { ip: '198.51.100.23', port: 51515 },
    resources: [{ type: 'secret', name: 'db-password', namespace: 'prod', uid: 'r-1' }],
    http_request: { http_method: 'GET', user_agent: 'kubectl/v1.31.0', url: { path: '/api/v1/namespaces/prod/secrets/db-password' } },
  },
  1007: {
    class_uid: 1007, category_uid: 1, activity_id: 1, type_uid: 100701, severity_id: 4, status_id: 1, time: T + 3,
    metadata: meta('falco'),
    process: { pid: 4242, name: 'bash', cmd_line: 'bash -c "cat /etc/shadow"', user: { name: 'bob.dupont' }, parent_process: { pid: 1, name: 'runc' } },
    actor: { user: { name: 'alice.martin' }, process: { pid: 1, name: 'kubectl-exec' } },
    device,
  },
  1008: {
    class_uid: 1008, category_uid: 1, activity_id: 2, type_uid: 100802, severity_id: 1, status_id: 1, time: T + 4,
    metadata: meta('cairn'), message: 'erased 2 events on request of the data subject',
    actor: { user: { name: 'carol.nguyen', uid: 'admin-3' } },
    device: { type_id: 1, hostname: 'build-07.corp.example' },
    log_name: 'example.com/log', log_provider: 'cairn', status_detail: 'GDPR art. 17',
  },
  2004: {
    class_uid: 2004, category_uid: 2, activity_id: 1, type_uid: 200401, severity_id: 4, status_id: 1, time: T + 5,
    metadata: meta('cairn-detect'),
    finding_info: { uid: 'f-77', title: 'Brute force against alice.martin', analytic: { name: 'brute-force', uid: 'r-12', type_id: 1 } },
    evidences: [{ src_endpoint: { ip: '203.0.113.9' }, user: { name: 'alice.martin' } }],
    is_alert: true, confidence_id: 3,
  },
};

/** A deep copy of the fixture of `classUid`. */
export function eventOf(classUid: number): JsonObject {
  return structuredClone(EVENTS[classUid]!) as JsonObject;
}

/** The UTF-8 JSON bytes of a value. */
export function jsonBytes(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}
