/**
 * Test fixtures: audit Events shaped exactly like kube-apiserver writes them in a webhook
 * EventList (member order, Go's omitempty, metav1.MicroTime timestamps, an empty `metadata` in
 * `responseStatus`). Used by the tests of this package and, later, by the listener's tests.
 */
import type { JsonObject } from '@cairn/events';

const ADMIN = { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] };
const UA = 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46';
const ALLOW = { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"' };

/** A Metadata-level `list pods`, ResponseComplete. */
export const LIST_PODS: JsonObject = {
  level: 'Metadata', auditID: '6f3c1b2e-8d1a-4f0e-9b7c-2a5d4e3f1c01', stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/default/pods?limit=500', verb: 'list', user: ADMIN, sourceIPs: ['192.0.2.10'], userAgent: UA,
  objectRef: { resource: 'pods', namespace: 'default', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2026-01-01T09:00:00.123456Z', stageTimestamp: '2026-01-01T09:00:00.130891Z', annotations: ALLOW,
};

/** The RequestReceived stage of a `create configmaps` at Request level (no response yet). */
export const CREATE_CM_RECEIVED: JsonObject = {
  level: 'Request', auditID: '0c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f', stage: 'RequestReceived',
  requestURI: '/api/v1/namespaces/team-a/configmaps?fieldManager=kubectl-create&fieldValidation=Strict', verb: 'create', user: ADMIN,
  sourceIPs: ['192.0.2.10'], userAgent: UA, objectRef: { resource: 'configmaps', namespace: 'team-a', name: 'settings', apiVersion: 'v1' },
  requestObject: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'settings', namespace: 'team-a', creationTimestamp: null }, data: { mode: 'strict' } },
  requestReceivedTimestamp: '2026-01-01T09:00:01.000001Z', stageTimestamp: '2026-01-01T09:00:01.000001Z',
};

/** A RequestResponse-level `patch deployments` by a service account, both bodies, ResponseComplete. */
export const PATCH_DEPLOYMENT: JsonObject = {
  level: 'RequestResponse', auditID: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d', stage: 'ResponseComplete',
  requestURI: '/apis/apps/v1/namespaces/prod/deployments/web?fieldManager=kubectl-patch', verb: 'patch',
  user: { username: 'system:serviceaccount:ci:deployer', uid: '4f6e2d1c-0b9a-4877-a6b5-c4d3e2f1a0b9', groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
    extra: { 'authentication.kubernetes.io/credential-id': ['JTI=1e2d3c4b-5a69-4788-9766-554433221100'], 'authentication.kubernetes.io/node-name': ['node-2'], 'authentication.kubernetes.io/pod-name': ['runner-7d9f'], 'authentication.kubernetes.io/pod-uid': ['aa11bb22-cc33-4d44-8e55-ff6677889900'] } },
  sourceIPs: ['10.244.1.17'], userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
  objectRef: { resource: 'deployments', namespace: 'prod', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 },
  requestObject: [{ op: 'replace', path: '/spec/replicas', value: 5 }],
  responseObject: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'web', namespace: 'prod', uid: 'd1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6', resourceVersion: '48213', generation: 7, creationTimestamp: '2025-11-02T10:00:00Z', labels: { app: 'web' } },
    spec: { replicas: 5, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1.4.2', resources: {} }] } } },
    status: { observedGeneration: 6, replicas: 3, readyReplicas: 3, availableReplicas: 3 } },
  requestReceivedTimestamp: '2026-01-01T09:00:02.500000Z', stageTimestamp: '2026-01-01T09:00:02.512345Z',
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding "deployer/prod" of Role "deployer" to ServiceAccount "deployer/ci"' },
};

/** An impersonated `delete secrets` that was forbidden (403). */
export const IMPERSONATED_DELETE_FORBIDDEN: JsonObject = {
  level: 'Metadata', auditID: '1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081', stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef', verb: 'delete', user: ADMIN,
  impersonatedUser: { username: 'bob@example.com', groups: ['dev'] },
  sourceIPs: ['203.0.113.9', '10.0.0.2', '10.0.0.1'], userAgent: UA,
  objectRef: { resource: 'secrets', namespace: 'kube-system', name: 'bootstrap-token-abcdef', apiVersion: 'v1' },
  responseStatus: { metadata: {}, status: 'Failure', message: 'secrets "bootstrap-token-abcdef" is forbidden: User "bob@example.com" cannot delete resource "secrets" in API group "" in the namespace "kube-system"', reason: 'Forbidden', details: { name: 'bootstrap-token-abcdef', kind: 'secrets' }, code: 403 },
  requestReceivedTimestamp: '2026-01-01T09:00:03.000000Z', stageTimestamp: '2026-01-01T09:00:03.001200Z',
  annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' },
};

/** The ResponseStarted stage of a long-running `watch` (only watches and exec get one). */
export const WATCH_STARTED: JsonObject = {
  level: 'Metadata', auditID: '2c3d4e5f-6071-4829-8a3b-4c5d6e7f8091', stage: 'ResponseStarted',
  requestURI: '/api/v1/nodes?allowWatchBookmarks=true&resourceVersion=48000&watch=true', verb: 'watch',
  user: { username: 'system:kube-scheduler', groups: ['system:authenticated'] }, sourceIPs: ['192.0.2.20'],
  userAgent: 'kube-scheduler/v1.31.2 (linux/amd64) kubernetes/5864a46/scheduler', objectRef: { resource: 'nodes', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2026-01-01T09:00:04.000000Z', stageTimestamp: '2026-01-01T09:00:04.000900Z',
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"' },
};

/** A Panic stage: the handler panicked (an `exec` into a pod, a subresource). */
export const EXEC_PANIC: JsonObject = {
  level: 'Metadata', auditID: '3d4e5f60-7182-4a3b-9c4d-5e6f708192a3', stage: 'Panic',
  requestURI: '/api/v1/namespaces/prod/pods/web-5d8f/exec?command=sh&container=web&stdin=true&tty=true', verb: 'create', user: ADMIN,
  sourceIPs: ['192.0.2.10'], userAgent: UA, objectRef: { resource: 'pods', namespace: 'prod', name: 'web-5d8f', apiVersion: 'v1', subresource: 'exec' },
  responseStatus: { metadata: {}, status: 'Failure', message: "APIServer panic'd: runtime error: invalid memory address or nil pointer dereference", reason: 'InternalError', code: 500 },
  requestReceivedTimestamp: '2026-01-01T09:00:05.000000Z', stageTimestamp: '2026-01-01T09:00:05.004000Z',
};

/** A non-resource request (`/healthz`) by an anonymous user, minimal members only. */
export const NON_RESOURCE: JsonObject = {
  level: 'Metadata', auditID: '4e5f6071-8293-4b4c-8d5e-6f708192a3b4', stage: 'ResponseComplete', requestURI: '/healthz', verb: 'get',
  user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2026-01-01T09:00:06.000000Z', stageTimestamp: '2026-01-01T09:00:06.000100Z',
};

/** Every fixture above. */
export const ALL_AUDIT_EVENTS: readonly JsonObject[] = [LIST_PODS, CREATE_CM_RECEIVED, PATCH_DEPLOYMENT, IMPERSONATED_DELETE_FORBIDDEN, WATCH_STARTED, EXEC_PANIC, NON_RESOURCE];

/** An EventList body as the apiserver sends it. */
export function eventListBody(items: readonly JsonObject[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items }));
}
