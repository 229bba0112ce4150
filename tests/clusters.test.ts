import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationType } from '../src/modules/operations/types.js';
import { startTestServer, type TestServer } from './support/server.js';
import { api, dbId, USER_ERRORS, type TeamRef, type User } from './support/api.js';

// Clusters and node pools (issue 4): the lifecycle through operations, failure and retry,
// upgrades, node pools, app placement and deletion.

let server: TestServer;
let owner: User;
let acme: TeamRef;

const { ok, newTeam, settled } = api(() => server);

const CLUSTER_FIELDS = 'id name description version cidr region status apiUrl consoleUrl nodePools { name nodeType nodeCount zone }';
const CREATE = `mutation($input: CreateClusterInput!) { createCluster(input: $input) {
  cluster { ${CLUSTER_FIELDS} } operation { id type status progress targetId } ${USER_ERRORS} } }`;
const CLUSTER = `query($id: ID!) { cluster(id: $id) { ${CLUSTER_FIELDS} } }`;

const pool = (name = 'default', nodeCount = 3) => ({ name, nodeType: 'standard-2', nodeCount });

async function createCluster(name: string, cidr: string, extra: Record<string, unknown> = {}) {
  const data = await ok(
    CREATE,
    { input: { teamId: acme.id, name, cidr, region: 'eu-west-1', nodePools: [pool()], ...extra } },
    owner.token,
  );
  expect(data.createCluster.userErrors).toEqual([]);
  return data.createCluster as { cluster: { id: string; status: string }; operation: { id: string; status: string } };
}

/** The provisioner steps run for an operation, in order (a failed step counts). */
const stepsRun = (operationId: string) =>
  server.provisioner.performed.filter((p) => p.operationId === dbId(operationId)).map((p) => p.step);

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signUp('owner@clusters.test');
  acme = await newTeam('acme-clusters', owner.token);
});
afterAll(() => server?.close());

describe('createCluster', () => {
  it('returns the cluster PROVISIONING with its operation, which provisions it to READY', async () => {
    const created = await createCluster('prod-1', '10.1.0.0/16');
    expect(created.cluster).toMatchObject({ name: 'prod-1', status: 'PROVISIONING', apiUrl: null, version: '1.31', cidr: '10.1.0.0/16' });
    expect(created.operation).toMatchObject({ type: 'CLUSTER_CREATE', targetId: created.cluster.id });
    expect(['PENDING', 'RUNNING', 'DONE']).toContain(created.operation.status);

    const done = await settled(created.operation.id, owner.token, 'progress error result startedAt finishedAt attempts');
    const { cluster } = await ok(CLUSTER, { id: created.cluster.id }, owner.token);
    expect(cluster).toMatchObject({
      status: 'READY',
      nodePools: [{ name: 'default', nodeType: 'standard-2', nodeCount: 3, zone: 'eu-west-1a' }],
    });
    expect(cluster.apiUrl).toMatch(/^https:\/\/api\..+\.eu-west-1\.clusters\.graphplane\.dev:6443$/);
    expect(done).toEqual({
      status: 'DONE',
      progress: 100,
      error: null,
      result: { apiUrl: cluster.apiUrl, consoleUrl: cluster.consoleUrl },
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      attempts: 1,
    });
    expect(stepsRun(created.operation.id)).toEqual(['network', 'control-plane', 'node-pools', 'health-check']);
  });

  it('a failed step leaves the cluster in ERROR with the operation’s error; retryOperation resumes at that step', async () => {
    server.provisioner.failNext({
      type: 'CLUSTER_CREATE' as OperationType,
      step: 'node-pools',
      message: 'Quota exceeded for standard-2 in eu-west-1.',
    });
    const created = await createCluster('flaky', '10.2.0.0/16');
    const failed = await settled(created.operation.id, owner.token, 'progress error');
    expect(failed).toEqual({ status: 'FAILED', progress: 50, error: 'Quota exceeded for standard-2 in eu-west-1.' });
    expect((await ok(CLUSTER, { id: created.cluster.id }, owner.token)).cluster.status).toBe('ERROR');

    const retried = await ok(
      `mutation($input: RetryOperationInput!) { retryOperation(input: $input) { operation { id status error } ${USER_ERRORS} } }`,
      { input: { operationId: created.operation.id } },
      owner.token,
    );
    expect(retried.retryOperation).toEqual({ operation: { id: created.operation.id, status: 'PENDING', error: null }, userErrors: [] });
    expect(await settled(created.operation.id, owner.token, 'progress error attempts')).toEqual({
      status: 'DONE',
      progress: 100,
      error: null,
      attempts: 2,
    });
    // The steps done before the failure are not run again.
    expect(stepsRun(created.operation.id)).toEqual(['network', 'control-plane', 'node-pools', 'node-pools', 'health-check']);
    expect((await ok(CLUSTER, { id: created.cluster.id }, owner.token)).cluster.status).toBe('READY');
  });
});
