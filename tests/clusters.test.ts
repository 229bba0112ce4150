import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The server support module loads reflect-metadata: it comes before any src module with type-graphql decorators.
import { startTestServer, type GqlResult, type TestServer } from './support/server.js';
import { api, dbId, errorsOf, expectRefused, USER_ERRORS, type TeamRef, type User } from './support/api.js';
import { clusterVersions } from '../src/db/schema/index.js';
import { createLogger } from '../src/logger.js';
import { operationHandlers } from '../src/modules/operations/handlers.js';
import type { OperationType } from '../src/modules/operations/types.js';
import { OperationWorker } from '../src/modules/operations/worker.js';

// Clusters and node pools (issue 4): the lifecycle through operations, failure and retry,
// upgrades, node pools, app placement and deletion. Everything goes through HTTP with real tokens.
//
// Two servers: `server` runs operations as they are queued (no step delay), so tests wait with
// `settled`; `held` runs none until a test says so (`runNext()`), so a test can act while a
// cluster is PROVISIONING, UPDATING or DELETING.

let server: TestServer;
let owner: User;
let admin: User;
let member: User;
let viewer: User;
let stranger: User;
let rootToken: string;
/** Owner: OWNER; admin: ADMIN; member: MEMBER; viewer: VIEWER. */
let acme: TeamRef;
/** The stranger's own team. */
let rival: TeamRef;

const { ok, newTeam, addMember, settled } = api(() => server);

// ---------------------------------------------------------------------------------------------
// Queries and helpers

const POOL_FIELDS = 'id name nodeType nodeCount zone';
const CLUSTER_FIELDS = `id name description version cidr region status apiUrl consoleUrl nodePools { ${POOL_FIELDS} }`;
const OPERATION_FIELDS = 'id type status targetId';
const CREATE = `mutation($input: CreateClusterInput!) { createCluster(input: $input) {
  cluster { ${CLUSTER_FIELDS} } operation { id type status progress targetId } ${USER_ERRORS} } }`;
const CLUSTER = `query($id: ID!) { cluster(id: $id) { ${CLUSTER_FIELDS} } }`;
const NODE = `query($id: ID!) { node(id: $id) { __typename id
  ... on Cluster { name status } ... on NodePool { name nodeCount cluster { id name } } } }`;
const OPERATION = `query($id: ID!) { operation(id: $id) { type status targetId target { __typename id } } }`;
const SET_LIMITS = `mutation($input: SetTeamLimitsInput!) { setTeamLimits(input: $input) { team { limits { maxClusters } } ${USER_ERRORS} } }`;
const APP_FIELDS = 'id name team { slug } cluster { id name }';
const CREATE_APP = `mutation($input: CreateAppInput!) { createApp(input: $input) { app { ${APP_FIELDS} } ${USER_ERRORS} } }`;
const UPDATE_APP = `mutation($input: UpdateAppInput!) { updateApp(input: $input) { app { ${APP_FIELDS} } ${USER_ERRORS} } }`;

type MutationName =
  'createCluster' | 'updateCluster' | 'upgradeCluster' | 'deleteCluster' | 'createNodePool' | 'scaleNodePool' | 'deleteNodePool';

const isPoolMutation = (name: MutationName) => name.endsWith('NodePool');

/** The mutation with its whole payload selected. */
function mutation(name: MutationName): string {
  const selection = isPoolMutation(name)
    ? `nodePool { ${POOL_FIELDS} } cluster { id name status version } operation { ${OPERATION_FIELDS} } ${USER_ERRORS}`
    : `cluster { ${CLUSTER_FIELDS} } operation { ${OPERATION_FIELDS} } ${USER_ERRORS}`;
  return `mutation($input: ${name[0].toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { ${selection} } }`;
}

/** Runs a cluster or node-pool mutation and returns its payload; a top-level error fails the test. */
async function mutate(name: MutationName, input: Record<string, unknown>, token = owner.token, on = server): Promise<any> {
  const r = await on.gql(mutation(name), { input }, token);
  expect(errorsOf(r)).toBeUndefined();
  return r.body.data[name];
}

/** The raw response of a mutation, for refusals that are top-level errors (permissions, IDs). */
const attempt = (name: MutationName, input: Record<string, unknown>, token: string, on = server) =>
  on.gql(mutation(name), { input }, token);

/** A userErrors entry; `field` is the path under `input`, dotted. */
const userError = (field: string | null, code: string, message: string) => ({
  field: field === null ? null : ['input', ...field.split('.')],
  code,
  message,
});

/** The whole payload of a refused mutation: nothing but its userErrors. */
const refusal = (name: MutationName, ...errors: ReturnType<typeof userError>[]) => ({
  ...(isPoolMutation(name) ? { nodePool: null } : {}),
  cluster: null,
  operation: null,
  userErrors: errors,
});

const pool = (name = 'default', nodeCount = 3, extra: Record<string, unknown> = {}) => ({
  name,
  nodeType: 'standard-2',
  nodeCount,
  ...extra,
});

let serial = 0;
/** A cluster name not used yet. */
const freshName = (prefix = 'c') => `${prefix}-${++serial}`;
let network = 100;
/** A /16 no other cluster of this file uses (tests that exercise overlaps use their own teams). */
const freshCidr = () => `10.${network++}.0.0/16`;

/** createCluster input with fresh values; `extra` overrides them. */
const clusterInput = (team: TeamRef, extra: Record<string, unknown> = {}) => ({
  teamId: team.id,
  name: freshName(),
  cidr: freshCidr(),
  region: 'eu-west-1',
  nodePools: [pool()],
  ...extra,
});

async function createCluster(name: string, cidr: string, extra: Record<string, unknown> = {}) {
  const data = await ok(CREATE, { input: { ...clusterInput(acme), name, cidr, ...extra } }, owner.token);
  expect(data.createCluster.userErrors).toEqual([]);
  return data.createCluster as { cluster: { id: string; status: string }; operation: { id: string; status: string } };
}

/** Waits for an operation and expects it DONE; returns its result. */
async function done(operationId: string, token = owner.token) {
  const finished = await settled(operationId, token, 'progress error result');
  expect(finished).toMatchObject({ status: 'DONE', progress: 100, error: null });
  return finished.result;
}

/** Creates a cluster and waits until it is READY; returns it as `cluster(id)` reads. */
async function readyCluster(team = acme, extra: Record<string, unknown> = {}, token = owner.token) {
  const created = await mutate('createCluster', clusterInput(team, extra), token);
  expect(created.userErrors).toEqual([]);
  await done(created.operation.id, token);
  return readCluster(created.cluster.id, token);
}

/**
 * Waits until no operation is queued or running. An injected failure goes to the next step of its
 * type that runs, so tests wait for this before injecting one, lest an earlier operation take it.
 */
async function idle() {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { operations } = await ok('{ operations(filter: { status: [PENDING, RUNNING] }) { totalCount } }', {}, rootToken);
    if (operations.totalCount === 0) return;
    if (Date.now() > deadline) throw new Error(`${operations.totalCount} operations still under way`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A cluster whose creation failed: ERROR, with its failed CLUSTER_CREATE operation. */
async function brokenCluster(team = acme, extra: Record<string, unknown> = {}) {
  await idle();
  server.provisioner.failNext({ type: 'CLUSTER_CREATE' as OperationType, step: 'network', message: 'No capacity left.' });
  const created = await mutate('createCluster', clusterInput(team, extra));
  expect(created.userErrors).toEqual([]);
  expect(await settled(created.operation.id, owner.token)).toEqual({ status: 'FAILED', progress: 0, error: 'No capacity left.' });
  expect((await readCluster(created.cluster.id)).status).toBe('ERROR');
  return { cluster: created.cluster, operationId: created.operation.id };
}

const readCluster = async (id: string, token = owner.token) => (await ok(CLUSTER, { id }, token)).cluster;

/** Team.clusters of a team, with a filter. */
async function teamClusters(team: TeamRef, filter: Record<string, unknown> = {}, token = owner.token) {
  const { node } = await ok(
    `query($id: ID!, $filter: ClusterFilter) { node(id: $id) { ... on Team { clusters(filter: $filter) { totalCount nodes { name } } } } }`,
    { id: team.id, filter },
    token,
  );
  return node.clusters;
}

/** A query refused as NOT_FOUND: its (nullable) field is null, with one error. */
const expectNotFound = (r: GqlResult, field: string, message: string) => expectRefused(r, field, 'NOT_FOUND', message, { [field]: null });

async function retry(operationId: string, token = owner.token) {
  const r = await server.gql(
    `mutation($input: RetryOperationInput!) { retryOperation(input: $input) { operation { id status error } ${USER_ERRORS} } }`,
    { input: { operationId } },
    token,
  );
  expect(errorsOf(r)).toBeUndefined();
  return r.body.data.retryOperation;
}

async function setMaxClusters(team: TeamRef, maxClusters: number) {
  const data = await ok(SET_LIMITS, { input: { teamId: team.id, maxClusters } }, rootToken);
  expect(data.setTeamLimits).toEqual({ team: { limits: { maxClusters } }, userErrors: [] });
}

/** Creates an app (as the owner unless told), expecting success. */
async function createApp(input: Record<string, unknown>, token = owner.token) {
  const data = await ok(CREATE_APP, { input: { platform: 'node', ...input } }, token);
  expect(data.createApp.userErrors).toEqual([]);
  return data.createApp.app;
}

async function updateApp(input: Record<string, unknown>, token = owner.token) {
  const data = await ok(UPDATE_APP, { input }, token);
  expect(data.updateApp.userErrors).toEqual([]);
  return data.updateApp.app;
}

const clusterApps = async (clusterId: string, token = owner.token) =>
  (await ok(`query($id: ID!) { cluster(id: $id) { apps { totalCount nodes { name } } } }`, { id: clusterId }, token)).cluster.apps;

/** The provisioner steps run for an operation, in order (a failed step counts). */
const stepsRun = (operationId: string) =>
  server.provisioner.performed.filter((p) => p.operationId === dbId(operationId)).map((p) => p.step);

beforeAll(async () => {
  server = await startTestServer();
  rootToken = await server.adminToken();
  [owner, admin, member, viewer, stranger] = await Promise.all(
    ['owner', 'admin', 'member', 'viewer', 'stranger'].map((n) => server.signUp(`${n}@clusters.test`)),
  );
  acme = await newTeam('acme-clusters', owner.token);
  await addMember(acme, admin, 'ADMIN', owner.token);
  await addMember(acme, member, 'MEMBER', owner.token);
  await addMember(acme, viewer, 'VIEWER', owner.token);
  rival = await newTeam('rival-clusters', stranger.token);
  // Room for every cluster the tests below make in acme; the limit itself is tested on its own teams.
  await setMaxClusters(acme, 100);
});
afterAll(() => server?.close());

// ---------------------------------------------------------------------------------------------

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

  it('returns the whole new cluster: its node pools (zone defaulting to the region’s first), PENDING operation, no endpoints yet', async () => {
    const payload = await mutate('createCluster', {
      teamId: acme.id,
      name: 'Edge-Frankfurt-01',
      description: '  Edge nodes  ',
      version: '1.30',
      cidr: ' 192.168.16.0/20 ',
      region: 'eu-central-1',
      nodePools: [pool('web', 5, { nodeType: 'standard-4' }), pool('batch', 1, { nodeType: 'compute-8', zone: 'eu-central-1c' })],
    });
    expect(payload).toEqual({
      cluster: {
        id: expect.any(String),
        name: 'Edge-Frankfurt-01',
        description: 'Edge nodes',
        version: '1.30',
        cidr: '192.168.16.0/20',
        region: 'eu-central-1',
        status: 'PROVISIONING',
        apiUrl: null,
        consoleUrl: null,
        // By name.
        nodePools: [
          { id: expect.any(String), name: 'batch', nodeType: 'compute-8', nodeCount: 1, zone: 'eu-central-1c' },
          { id: expect.any(String), name: 'web', nodeType: 'standard-4', nodeCount: 5, zone: 'eu-central-1a' },
        ],
      },
      operation: { id: expect.any(String), type: 'CLUSTER_CREATE', status: 'PENDING', targetId: payload.cluster.id },
      userErrors: [],
    });
    const result = await done(payload.operation.id);
    expect(await readCluster(payload.cluster.id)).toEqual({ ...payload.cluster, status: 'READY', ...result });
    expect(result).toEqual({
      apiUrl: expect.stringMatching(/^https:\/\/api\.[0-9a-f]{8}\.eu-central-1\.clusters\.graphplane\.dev:6443$/),
      consoleUrl: expect.stringMatching(/^https:\/\/console\.[0-9a-f]{8}\.eu-central-1\.clusters\.graphplane\.dev$/),
    });
  });

  it('gets the default version from the seeded catalog when none is named', async () => {
    const { clusterVersions } = await ok('{ clusterVersions { version available isDefault } }', {}, owner.token);
    expect(clusterVersions).toEqual([
      { version: '1.29', available: false, isDefault: false },
      { version: '1.30', available: true, isDefault: false },
      { version: '1.31', available: true, isDefault: true },
    ]);
    const payload = await mutate('createCluster', clusterInput(acme));
    expect(payload.cluster.version).toBe('1.31');
    expect((await mutate('createCluster', clusterInput(acme, { version: '1.30' }))).cluster.version).toBe('1.30');
  });

  it('refuses a version that is unknown, deprecated or empty', async () => {
    // Empty is not "omitted": it does not silently get the default.
    for (const version of ['', '  ']) {
      expect(await mutate('createCluster', clusterInput(acme, { version })), JSON.stringify(version)).toEqual(
        refusal('createCluster', userError('version', 'REQUIRED', 'version must not be empty')),
      );
    }
    expect(await mutate('createCluster', clusterInput(acme, { version: '1.99' }))).toEqual(
      refusal(
        'createCluster',
        userError('version', 'INVALID', 'version 1.99 is not a known Kubernetes version; see clusterVersions for the available ones.'),
      ),
    );
    expect(await mutate('createCluster', clusterInput(acme, { version: '1.29' }))).toEqual(
      refusal(
        'createCluster',
        userError(
          'version',
          'INVALID',
          'version 1.29 is deprecated: clusters cannot be created on it or upgraded to it; see clusterVersions for the available ones.',
        ),
      ),
    );
  });

  it('takes names of 3–64 letters, digits or hyphens and refuses others', async () => {
    for (const name of ['ab', 'a'.repeat(65), 'has space', 'under_score', 'dot.ted', 'crème', '', '   ']) {
      expect(await mutate('createCluster', clusterInput(acme, { name })), name).toEqual(
        refusal('createCluster', userError('name', 'INVALID', 'name must be 3–64 letters, digits or hyphens')),
      );
    }
    for (const name of ['A-9', '---', 'x'.repeat(64), 'MixedCase-123']) {
      expect((await mutate('createCluster', clusterInput(acme, { name }))).cluster?.name, name).toBe(name);
    }
  });

  it('refuses a name the team already uses (TAKEN); another team may use it', async () => {
    const first = await mutate('createCluster', clusterInput(acme, { name: 'shared-name' }));
    expect(first.userErrors).toEqual([]);
    expect(await mutate('createCluster', clusterInput(acme, { name: 'shared-name' }))).toEqual(
      refusal('createCluster', userError('name', 'TAKEN', 'The team already has a cluster named shared-name.')),
    );
    const elsewhere = await mutate('createCluster', clusterInput(rival, { name: 'shared-name' }), stranger.token);
    expect(elsewhere).toMatchObject({ cluster: { name: 'shared-name' }, userErrors: [] });
  });

  it('refuses CIDRs that are not private IPv4 networks from /16 to /28, saying what is wrong', async () => {
    const form = 'cidr must be an IPv4 network in CIDR form, like 10.0.0.0/16';
    const cases: [string, string][] = [
      ['', form],
      ['10.0.0.0', form],
      ['10.0.0/16', form],
      ['10.0.0.0/16/1', form],
      ['a.b.c.d/16', form],
      ['1000.0.0.0/16', form],
      ['10.0.0.0/', form],
      ['10.0.0.0/160', form],
      ['::1/128', form],
      ['10.01.0.0/16', `${form} (each part 0–255, no leading zeros)`],
      ['010.0.0.0/16', `${form} (each part 0–255, no leading zeros)`],
      ['10.256.0.0/16', `${form} (each part 0–255, no leading zeros)`],
      ['10.0.0.300/28', `${form} (each part 0–255, no leading zeros)`],
      ['10.0.0.0/8', 'cidr must have a prefix length from /16 to /28'],
      ['10.0.0.0/15', 'cidr must have a prefix length from /16 to /28'],
      ['10.0.0.0/29', 'cidr must have a prefix length from /16 to /28'],
      ['10.0.0.0/0', 'cidr must have a prefix length from /16 to /28'],
      ['10.1.2.0/16', 'cidr is not a network address: the host bits must be zero (did you mean 10.1.0.0/16?)'],
      ['192.168.1.17/28', 'cidr is not a network address: the host bits must be zero (did you mean 192.168.1.16/28?)'],
      ['172.16.255.255/17', 'cidr is not a network address: the host bits must be zero (did you mean 172.16.128.0/17?)'],
      ['8.8.0.0/16', 'cidr must be a private range (within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)'],
      ['11.0.0.0/16', 'cidr must be a private range (within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)'],
      ['172.32.0.0/16', 'cidr must be a private range (within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)'],
      ['172.15.0.0/16', 'cidr must be a private range (within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)'],
      ['192.169.0.0/16', 'cidr must be a private range (within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)'],
      ['255.255.255.0/24', 'cidr must be a private range (within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)'],
    ];
    for (const [cidr, message] of cases) {
      expect(await mutate('createCluster', clusterInput(acme, { cidr })), cidr).toEqual(
        refusal('createCluster', userError('cidr', 'INVALID', message)),
      );
    }
    // The edges of the private ranges and of the prefix lengths are fine.
    for (const cidr of ['172.31.255.240/28', '172.16.0.0/16', '192.168.255.0/24', '10.255.255.0/28']) {
      expect((await mutate('createCluster', clusterInput(acme, { cidr }))).cluster?.cidr, cidr).toBe(cidr);
    }
  });

  it('refuses a range overlapping another cluster of the team, even one in ERROR; another team may reuse it', async () => {
    const net = await newTeam('net-clusters', owner.token);
    const alpha = await readyCluster(net, { name: 'alpha', cidr: '10.20.0.0/16' });
    const broken = await brokenCluster(net, { name: 'broken', cidr: '10.30.4.0/24' });
    const overlap = (cidr: string, theirs: string, name: string) =>
      refusal(
        'createCluster',
        userError('cidr', 'INVALID', `cidr ${cidr} overlaps ${theirs} of cluster ${name}; choose a range that does not.`),
      );

    expect(await mutate('createCluster', clusterInput(net, { cidr: '10.20.0.0/16' }))).toEqual(
      overlap('10.20.0.0/16', '10.20.0.0/16', 'alpha'),
    );
    expect(await mutate('createCluster', clusterInput(net, { cidr: '10.20.255.240/28' }))).toEqual(
      overlap('10.20.255.240/28', '10.20.0.0/16', 'alpha'),
    );
    // Containing the ERROR cluster's range, or inside it.
    expect(await mutate('createCluster', clusterInput(net, { cidr: '10.30.0.0/16' }))).toEqual(
      overlap('10.30.0.0/16', '10.30.4.0/24', 'broken'),
    );
    expect(await mutate('createCluster', clusterInput(net, { cidr: '10.30.4.128/25' }))).toEqual(
      overlap('10.30.4.128/25', '10.30.4.0/24', 'broken'),
    );
    expect((await readCluster(broken.cluster.id)).status).toBe('ERROR');

    // Next to them is fine, and so is the same range in another team.
    expect((await mutate('createCluster', clusterInput(net, { cidr: '10.21.0.0/16' }))).userErrors).toEqual([]);
    expect((await mutate('createCluster', clusterInput(net, { cidr: '10.30.5.0/24' }))).userErrors).toEqual([]);
    const reused = await mutate('createCluster', clusterInput(rival, { cidr: alpha.cidr }), stranger.token);
    expect(reused).toMatchObject({ cluster: { cidr: '10.20.0.0/16', status: 'PROVISIONING' }, userErrors: [] });
  });

  it('refuses an empty list of node pools and more than ten', async () => {
    expect(await mutate('createCluster', clusterInput(acme, { nodePools: [] }))).toEqual(
      refusal('createCluster', userError('nodePools', 'TOO_SHORT', 'nodePools must have at least one node pool')),
    );
    const eleven = Array.from({ length: 11 }, (_, i) => pool(`pool-${i}`));
    expect(await mutate('createCluster', clusterInput(acme, { nodePools: eleven }))).toEqual(
      refusal('createCluster', userError('nodePools', 'TOO_LONG', 'nodePools must have at most 10 node pools')),
    );
    const ten = await mutate('createCluster', clusterInput(acme, { nodePools: eleven.slice(0, 10) }));
    expect(ten.cluster.nodePools).toHaveLength(10);
  });

  it('refuses bad node pools, naming each by its index', async () => {
    expect(await mutate('createCluster', clusterInput(acme, { nodePools: [pool('a'), pool('b'), pool('a'), pool('b')] }))).toEqual(
      refusal(
        'createCluster',
        userError('nodePools.2.name', 'INVALID', 'nodePools.2.name is used by another node pool of this cluster'),
        userError('nodePools.3.name', 'INVALID', 'nodePools.3.name is used by another node pool of this cluster'),
      ),
    );
    expect(await mutate('createCluster', clusterInput(acme, { nodePools: [pool(), pool('gpu', 2, { nodeType: 'gpu-8' })] }))).toEqual(
      refusal(
        'createCluster',
        userError(
          'nodePools.1.nodeType',
          'INVALID',
          'nodePools.1.nodeType must be one of the node types: standard-2, standard-4, standard-8, memory-4, compute-8',
        ),
      ),
    );
    for (const nodeCount of [0, -1, 101]) {
      expect(await mutate('createCluster', clusterInput(acme, { nodePools: [pool('default', nodeCount)] })), String(nodeCount)).toEqual(
        refusal('createCluster', userError('nodePools.0.nodeCount', 'INVALID', 'nodePools.0.nodeCount must be from 1 to 100')),
      );
    }
    expect(await mutate('createCluster', clusterInput(acme, { nodePools: [pool(), pool('far', 3, { zone: 'us-east-1a' })] }))).toEqual(
      refusal(
        'createCluster',
        userError('nodePools.1.zone', 'INVALID', 'nodePools.1.zone must be a zone of eu-west-1: eu-west-1a, eu-west-1b, eu-west-1c'),
      ),
    );
    expect(await mutate('createCluster', clusterInput(acme, { nodePools: [pool('Default_Pool')] }))).toEqual(
      refusal(
        'createCluster',
        userError(
          'nodePools.0.name',
          'INVALID',
          'nodePools.0.name must start with a lowercase letter and have at most 40 lowercase letters, digits or hyphens',
        ),
      ),
    );
    // 1 and 100 nodes are fine.
    const edges = await mutate('createCluster', clusterInput(acme, { nodePools: [pool('one', 1), pool('hundred', 100)] }));
    expect(edges.cluster.nodePools.map((p: { nodeCount: number }) => p.nodeCount)).toEqual([100, 1]);
  });

  it('refuses a node count that is not a whole number before it reaches the service (GraphQL Int)', async () => {
    const r = await attempt('createCluster', clusterInput(acme, { nodePools: [pool('default', 2.5)] }), owner.token);
    expect(r.body.data).toBeUndefined();
    expect(errorsOf(r)).toEqual([
      {
        message: 'Variable "$input" got invalid value 2.5 at "input.nodePools[0].nodeCount"; Int cannot represent non-integer value: 2.5',
        path: undefined,
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
  });

  it('refuses an unknown region, and reports every problem of the input at once', async () => {
    expect(await mutate('createCluster', clusterInput(acme, { region: 'mars-1' }))).toEqual(
      refusal(
        'createCluster',
        userError('region', 'INVALID', 'region must be one of the regions: eu-west-1, eu-central-1, us-east-1, us-west-2, ap-southeast-1'),
      ),
    );
    expect(await mutate('createCluster', clusterInput(acme, { name: 'x', cidr: '10.0.0.1/16', nodePools: [] }))).toEqual(
      refusal(
        'createCluster',
        userError('name', 'INVALID', 'name must be 3–64 letters, digits or hyphens'),
        userError('cidr', 'INVALID', 'cidr is not a network address: the host bits must be zero (did you mean 10.0.0.0/16?)'),
        userError('nodePools', 'TOO_SHORT', 'nodePools must have at least one node pool'),
      ),
    );
  });

  it('stops at the team’s cluster limit, which a platform admin sets', async () => {
    const small = await newTeam('small-clusters', owner.token);
    await setMaxClusters(small, 2);
    await mutate('createCluster', clusterInput(small));
    // A cluster in ERROR counts too.
    await brokenCluster(small);
    const full = refusal(
      'createCluster',
      userError(
        'teamId',
        'LIMIT_REACHED',
        'Team small-clusters already has 2 clusters, its limit; delete one or ask an admin to raise it.',
      ),
    );
    expect(await mutate('createCluster', clusterInput(small))).toEqual(full);

    // The team's owner cannot raise it.
    expectRefused(
      await server.gql(SET_LIMITS, { input: { teamId: small.id, maxClusters: 10 } }, owner.token),
      'setTeamLimits',
      'FORBIDDEN',
      'Only platform admins (team:update) may set team limits.',
    );
    await setMaxClusters(small, 3);
    expect((await mutate('createCluster', clusterInput(small))).userErrors).toEqual([]);
    expect(await mutate('createCluster', clusterInput(small))).toEqual(
      refusal(
        'createCluster',
        userError(
          'teamId',
          'LIMIT_REACHED',
          'Team small-clusters already has 3 clusters, its limit; delete one or ask an admin to raise it.',
        ),
      ),
    );
    expect((await teamClusters(small)).totalCount).toBe(3);
  });

  it('holds the limit under concurrency: 12 creates at once against a limit of 5 make exactly 5', async () => {
    const rush = await newTeam('rush-clusters', owner.token);
    await setMaxClusters(rush, 5);
    const inputs = Array.from({ length: 12 }, (_, i) => clusterInput(rush, { name: `rush-${i}` }));
    const payloads = await Promise.all(inputs.map((input) => mutate('createCluster', input)));

    const made = payloads.filter((p) => p.userErrors.length === 0);
    const refused = payloads.filter((p) => p.userErrors.length > 0);
    expect(made).toHaveLength(5);
    expect(refused).toEqual(
      Array.from({ length: 7 }, () =>
        refusal(
          'createCluster',
          userError(
            'teamId',
            'LIMIT_REACHED',
            'Team rush-clusters already has 5 clusters, its limit; delete one or ask an admin to raise it.',
          ),
        ),
      ),
    );
    const listed = await teamClusters(rush);
    expect(listed.totalCount).toBe(5);
    expect(listed.nodes.map((c: { name: string }) => c.name)).toEqual(made.map((p) => p.cluster.name).sort());
    await Promise.all(made.map((p) => done(p.operation.id)));
  });

  it('takes cluster:create: a VIEWER is FORBIDDEN, a MEMBER may, a stranger does not find the team', async () => {
    expectRefused(
      await attempt('createCluster', clusterInput(acme), viewer.token),
      'createCluster',
      'FORBIDDEN',
      'You need the cluster:create permission to create clusters in this team.',
    );
    expectRefused(await attempt('createCluster', clusterInput(acme), stranger.token), 'createCluster', 'NOT_FOUND', 'Team not found.');
    const byMember = await mutate('createCluster', clusterInput(acme, { name: 'members-own' }), member.token);
    expect(byMember).toMatchObject({ cluster: { name: 'members-own', status: 'PROVISIONING' }, userErrors: [] });
    await done(byMember.operation.id, member.token);
    expect(await readCluster(byMember.cluster.id, viewer.token)).toMatchObject({ name: 'members-own', status: 'READY' });
  });

  it('refuses a teamId that is not a Team’s global ID', async () => {
    const cluster = await readyCluster();
    for (const teamId of ['nope', cluster.id, Buffer.from('Team:1234').toString('base64url')]) {
      expect(errorsOf(await attempt('createCluster', clusterInput(acme, { teamId }), owner.token)), teamId).toEqual([
        { message: 'teamId: expected the ID of a Team.', path: ['createCluster'], extensions: { code: 'BAD_USER_INPUT', field: 'teamId' } },
      ]);
    }
  });
});

describe('updateCluster', () => {
  it('renames and redescribes at once, with no operation', async () => {
    const cluster = await readyCluster();
    const name = freshName('renamed');
    expect(await mutate('updateCluster', { clusterId: cluster.id, name, description: 'New words' })).toEqual({
      cluster: { ...cluster, name, description: 'New words' },
      operation: null,
      userErrors: [],
    });
    expect(await readCluster(cluster.id)).toEqual({ ...cluster, name, description: 'New words' });
    // Omitted fields stay.
    expect((await mutate('updateCluster', { clusterId: cluster.id, description: 'Only this' })).cluster).toMatchObject({
      name,
      description: 'Only this',
    });
  });

  it('refuses a name another cluster of the team has (TAKEN) or one that breaks the pattern', async () => {
    const [a, b] = [await readyCluster(), await readyCluster()];
    expect(await mutate('updateCluster', { clusterId: b.id, name: a.name })).toEqual(
      refusal('updateCluster', userError('name', 'TAKEN', `The team already has a cluster named ${a.name}.`)),
    );
    expect(await mutate('updateCluster', { clusterId: b.id, name: 'no' })).toEqual(
      refusal('updateCluster', userError('name', 'INVALID', 'name must be 3–64 letters, digits or hyphens')),
    );
    // Its own name is not taken.
    expect((await mutate('updateCluster', { clusterId: b.id, name: b.name })).userErrors).toEqual([]);
  });

  it('works on a cluster in ERROR, takes cluster:update (MEMBER yes, VIEWER no) and hides the cluster from strangers', async () => {
    const { cluster } = await brokenCluster();
    expect((await mutate('updateCluster', { clusterId: cluster.id, description: 'by member' }, member.token)).cluster).toMatchObject({
      description: 'by member',
      status: 'ERROR',
    });
    expectRefused(
      await attempt('updateCluster', { clusterId: cluster.id, description: 'x' }, viewer.token),
      'updateCluster',
      'FORBIDDEN',
      'You need the cluster:update permission to update this cluster.',
    );
    expectRefused(
      await attempt('updateCluster', { clusterId: cluster.id, description: 'x' }, stranger.token),
      'updateCluster',
      'NOT_FOUND',
      'Cluster not found.',
    );
    expect(errorsOf(await attempt('updateCluster', { clusterId: acme.id, description: 'x' }, owner.token))).toEqual([
      {
        message: 'clusterId: expected the ID of a Cluster.',
        path: ['updateCluster'],
        extensions: { code: 'BAD_USER_INPUT', field: 'clusterId' },
      },
    ]);
  });
});

describe('upgradeCluster', () => {
  it('upgrades 1.30 to 1.31: UPDATING until the operation is DONE, then READY on the new version', async () => {
    const cluster = await readyCluster(acme, { version: '1.30' });
    const payload = await mutate('upgradeCluster', { clusterId: cluster.id, version: '1.31' }, member.token);
    expect(payload).toEqual({
      cluster: { ...cluster, status: 'UPDATING' },
      operation: { id: expect.any(String), type: 'CLUSTER_UPDATE', status: 'PENDING', targetId: cluster.id },
      userErrors: [],
    });
    expect(await done(payload.operation.id)).toEqual({ version: '1.31' });
    expect(await readCluster(cluster.id)).toEqual({ ...cluster, version: '1.31', status: 'READY' });
    expect(stepsRun(payload.operation.id)).toEqual(['control-plane', 'node-pools']);
  });

  it('only goes forward: the same or an older version is refused, and so is an unknown one', async () => {
    const cluster = await readyCluster(acme, { version: '1.31' });
    for (const version of ['1.31', '1.30', '1.29', '1.9']) {
      expect(await mutate('upgradeCluster', { clusterId: cluster.id, version }), version).toEqual(
        refusal(
          'upgradeCluster',
          userError('version', 'INVALID', `version ${version} is not newer than the cluster’s 1.31; clusters are only upgraded forward.`),
        ),
      );
    }
    expect(await mutate('upgradeCluster', { clusterId: cluster.id, version: '1.32' })).toEqual(
      refusal(
        'upgradeCluster',
        userError('version', 'INVALID', 'version 1.32 is not a known Kubernetes version; see clusterVersions for the available ones.'),
      ),
    );
    expect(await mutate('upgradeCluster', { clusterId: cluster.id, version: ' ' })).toEqual(
      refusal('upgradeCluster', userError('version', 'REQUIRED', 'version must not be empty')),
    );
    expect(await readCluster(cluster.id)).toEqual(cluster);
  });

  it('refuses a cluster that is not READY', async () => {
    const { cluster } = await brokenCluster(acme, { version: '1.30' });
    expect(await mutate('upgradeCluster', { clusterId: cluster.id, version: '1.31' })).toEqual(
      refusal(
        'upgradeCluster',
        userError(
          'clusterId',
          'INVALID_STATE',
          `Cluster ${cluster.name} is ERROR; its last operation failed; retry it with retryOperation, or delete the cluster.`,
        ),
      ),
    );
  });

  it('takes cluster:update', async () => {
    const cluster = await readyCluster(acme, { version: '1.30' });
    expectRefused(
      await attempt('upgradeCluster', { clusterId: cluster.id, version: '1.31' }, viewer.token),
      'upgradeCluster',
      'FORBIDDEN',
      'You need the cluster:update permission to upgrade this cluster.',
    );
    expectRefused(
      await attempt('upgradeCluster', { clusterId: cluster.id, version: '1.31' }, stranger.token),
      'upgradeCluster',
      'NOT_FOUND',
      'Cluster not found.',
    );
    expect((await readCluster(cluster.id)).status).toBe('READY');
  });
});

describe('deleteCluster', () => {
  it('tears the cluster down: once DONE it is NOT_FOUND, and the operation keeps its targetId with a null target', async () => {
    const cluster = await readyCluster();
    const before = (await teamClusters(acme)).totalCount;
    const payload = await mutate('deleteCluster', { clusterId: cluster.id }, admin.token);
    expect(payload).toEqual({
      // Cluster.nodePools is read when the response is written, which may be after the worker removed them.
      cluster: { ...cluster, status: 'DELETING', nodePools: expect.any(Array) },
      operation: { id: expect.any(String), type: 'CLUSTER_DELETE', status: 'PENDING', targetId: cluster.id },
      userErrors: [],
    });
    expect(await done(payload.operation.id)).toEqual({ deleted: true });
    expect(stepsRun(payload.operation.id)).toEqual(['node-pools', 'control-plane', 'network']);

    expectNotFound(await server.gql(CLUSTER, { id: cluster.id }, owner.token), 'cluster', 'Cluster not found.');
    expectNotFound(
      await server.gql(NODE, { id: cluster.nodePools[0].id }, owner.token),
      'node',
      `Node ${cluster.nodePools[0].id} not found.`,
    );
    expect((await ok(OPERATION, { id: payload.operation.id }, owner.token)).operation).toEqual({
      type: 'CLUSTER_DELETE',
      status: 'DONE',
      targetId: cluster.id,
      target: null,
    });
    expect((await teamClusters(acme)).totalCount).toBe(before - 1);
  });

  it('deletes a cluster in ERROR', async () => {
    const { cluster } = await brokenCluster();
    const payload = await mutate('deleteCluster', { clusterId: cluster.id });
    expect(payload.cluster.status).toBe('DELETING');
    await done(payload.operation.id);
    expectNotFound(await server.gql(CLUSTER, { id: cluster.id }, owner.token), 'cluster', 'Cluster not found.');
  });

  it('refuses while apps are placed on it (IN_USE), until they are moved off', async () => {
    const cluster = await readyCluster();
    const apps = [];
    for (const name of [freshName('placed'), freshName('placed')])
      apps.push(await createApp({ teamId: acme.id, name, clusterId: cluster.id }));
    expect(await mutate('deleteCluster', { clusterId: cluster.id })).toEqual(
      refusal(
        'deleteCluster',
        userError(
          'clusterId',
          'IN_USE',
          `Cluster ${cluster.name} still runs 2 apps; move them off it (updateApp with clusterId: null) first.`,
        ),
      ),
    );
    await updateApp({ appId: apps[0].id, clusterId: null });
    expect(await mutate('deleteCluster', { clusterId: cluster.id })).toEqual(
      refusal(
        'deleteCluster',
        userError(
          'clusterId',
          'IN_USE',
          `Cluster ${cluster.name} still runs 1 app; move them off it (updateApp with clusterId: null) first.`,
        ),
      ),
    );
    expect((await readCluster(cluster.id)).status).toBe('READY');
    await updateApp({ appId: apps[1].id, clusterId: null });
    await done((await mutate('deleteCluster', { clusterId: cluster.id })).operation.id);
  });

  it('takes cluster:delete: a MEMBER is FORBIDDEN, a stranger does not find the cluster', async () => {
    const cluster = await readyCluster();
    expectRefused(
      await attempt('deleteCluster', { clusterId: cluster.id }, member.token),
      'deleteCluster',
      'FORBIDDEN',
      'You need the cluster:delete permission to delete this cluster.',
    );
    expectRefused(
      await attempt('deleteCluster', { clusterId: cluster.id }, stranger.token),
      'deleteCluster',
      'NOT_FOUND',
      'Cluster not found.',
    );
    expect((await readCluster(cluster.id)).status).toBe('READY');
  });
});

describe('createNodePool', () => {
  it('adds a pool (zone defaulting to the region’s first); the cluster is UPDATING until the operation is DONE', async () => {
    const cluster = await readyCluster();
    const payload = await mutate('createNodePool', { clusterId: cluster.id, ...pool('batch', 4, { nodeType: 'memory-4' }) }, member.token);
    expect(payload).toEqual({
      nodePool: { id: expect.any(String), name: 'batch', nodeType: 'memory-4', nodeCount: 4, zone: 'eu-west-1a' },
      cluster: { id: cluster.id, name: cluster.name, status: 'UPDATING', version: cluster.version },
      operation: { id: expect.any(String), type: 'NODE_POOL_CREATE', status: 'PENDING', targetId: payload.nodePool.id },
      userErrors: [],
    });
    expect(await done(payload.operation.id)).toEqual({ nodePoolId: payload.nodePool.id, nodeCount: 4 });
    expect(await readCluster(cluster.id)).toEqual({ ...cluster, nodePools: [payload.nodePool, ...cluster.nodePools] });

    const zoned = await mutate('createNodePool', { clusterId: cluster.id, ...pool('zoned', 2, { zone: 'eu-west-1c' }) });
    expect(zoned.nodePool).toMatchObject({ name: 'zoned', zone: 'eu-west-1c' });
    await done(zoned.operation.id);
  });

  it('refuses a name the cluster has (TAKEN), a zone of another region and a bad pool', async () => {
    const cluster = await readyCluster();
    expect(await mutate('createNodePool', { clusterId: cluster.id, ...pool('default') })).toEqual(
      refusal('createNodePool', userError('name', 'TAKEN', 'The cluster already has a node pool named default.')),
    );
    expect(await mutate('createNodePool', { clusterId: cluster.id, ...pool('far', 1, { zone: 'eu-central-1a' }) })).toEqual(
      refusal('createNodePool', userError('zone', 'INVALID', 'zone must be a zone of eu-west-1: eu-west-1a, eu-west-1b, eu-west-1c.')),
    );
    expect(await mutate('createNodePool', { clusterId: cluster.id, ...pool('big', 101, { nodeType: 'huge' }) })).toEqual(
      refusal(
        'createNodePool',
        userError('nodeType', 'INVALID', 'nodeType must be one of the node types: standard-2, standard-4, standard-8, memory-4, compute-8'),
        userError('nodeCount', 'INVALID', 'nodeCount must be from 1 to 100'),
      ),
    );
    expect(await readCluster(cluster.id)).toEqual(cluster);
  });

  it('refuses an eleventh pool', async () => {
    const pools = Array.from({ length: 10 }, (_, i) => pool(`p${i}`, 1));
    const cluster = await readyCluster(acme, { nodePools: pools });
    expect(await mutate('createNodePool', { clusterId: cluster.id, ...pool('p10') })).toEqual(
      refusal(
        'createNodePool',
        userError('clusterId', 'LIMIT_REACHED', `Cluster ${cluster.name} already has 10 node pools, the most a cluster may have.`),
      ),
    );
  });

  it('refuses a cluster that is not READY, and takes cluster:scale', async () => {
    const { cluster } = await brokenCluster();
    expect(await mutate('createNodePool', { clusterId: cluster.id, ...pool('more') })).toEqual(
      refusal(
        'createNodePool',
        userError(
          'clusterId',
          'INVALID_STATE',
          `Cluster ${cluster.name} is ERROR; its last operation failed; retry it with retryOperation, or delete the cluster.`,
        ),
      ),
    );
    expectRefused(
      await attempt('createNodePool', { clusterId: cluster.id, ...pool('more') }, viewer.token),
      'createNodePool',
      'FORBIDDEN',
      'You need the cluster:scale permission to add node pools to this cluster.',
    );
    expectRefused(
      await attempt('createNodePool', { clusterId: cluster.id, ...pool('more') }, stranger.token),
      'createNodePool',
      'NOT_FOUND',
      'Cluster not found.',
    );
  });
});

describe('scaleNodePool', () => {
  it('changes the node count when the operation is DONE', async () => {
    const cluster = await readyCluster();
    const [defaultPool] = cluster.nodePools;
    const payload = await mutate('scaleNodePool', { nodePoolId: defaultPool.id, nodeCount: 7 }, member.token);
    expect(payload).toEqual({
      // The pool as it is until the operation lands the change.
      nodePool: defaultPool,
      cluster: { id: cluster.id, name: cluster.name, status: 'UPDATING', version: cluster.version },
      operation: { id: expect.any(String), type: 'NODE_POOL_SCALE', status: 'PENDING', targetId: defaultPool.id },
      userErrors: [],
    });
    expect(await done(payload.operation.id)).toEqual({ nodePoolId: defaultPool.id, nodeCount: 7 });
    expect(await readCluster(cluster.id)).toEqual({ ...cluster, nodePools: [{ ...defaultPool, nodeCount: 7 }] });
    expect((await ok(OPERATION, { id: payload.operation.id }, owner.token)).operation).toEqual({
      type: 'NODE_POOL_SCALE',
      status: 'DONE',
      targetId: defaultPool.id,
      target: { __typename: 'NodePool', id: defaultPool.id },
    });
  });

  it('refuses the count the pool has and counts outside 1..100', async () => {
    const cluster = await readyCluster(acme, { nodePools: [pool('default', 1)] });
    const nodePoolId = cluster.nodePools[0].id;
    expect(await mutate('scaleNodePool', { nodePoolId, nodeCount: 1 })).toEqual(
      refusal('scaleNodePool', userError('nodeCount', 'INVALID', 'Node pool default already has 1 node.')),
    );
    for (const nodeCount of [0, 101]) {
      expect(await mutate('scaleNodePool', { nodePoolId, nodeCount }), String(nodeCount)).toEqual(
        refusal('scaleNodePool', userError('nodeCount', 'INVALID', 'nodeCount must be from 1 to 100')),
      );
    }
    await done((await mutate('scaleNodePool', { nodePoolId, nodeCount: 100 })).operation.id);
    expect(await mutate('scaleNodePool', { nodePoolId, nodeCount: 100 })).toEqual(
      refusal('scaleNodePool', userError('nodeCount', 'INVALID', 'Node pool default already has 100 nodes.')),
    );
  });

  it('takes cluster:scale, and a stranger does not find the pool', async () => {
    const cluster = await readyCluster();
    const nodePoolId = cluster.nodePools[0].id;
    expectRefused(
      await attempt('scaleNodePool', { nodePoolId, nodeCount: 5 }, viewer.token),
      'scaleNodePool',
      'FORBIDDEN',
      'You need the cluster:scale permission to change this cluster’s node pools.',
    );
    expectRefused(
      await attempt('scaleNodePool', { nodePoolId, nodeCount: 5 }, stranger.token),
      'scaleNodePool',
      'NOT_FOUND',
      'NodePool not found.',
    );
    expect(errorsOf(await attempt('scaleNodePool', { nodePoolId: cluster.id, nodeCount: 5 }, owner.token))).toEqual([
      {
        message: 'nodePoolId: expected the ID of a NodePool.',
        path: ['scaleNodePool'],
        extensions: { code: 'BAD_USER_INPUT', field: 'nodePoolId' },
      },
    ]);
    expect(await readCluster(cluster.id)).toEqual(cluster);
  });
});

describe('deleteNodePool', () => {
  it('removes a pool when the operation is DONE', async () => {
    const cluster = await readyCluster(acme, { nodePools: [pool('default'), pool('spare', 2)] });
    const [defaultPool, spare] = cluster.nodePools;
    const payload = await mutate('deleteNodePool', { nodePoolId: spare.id }, member.token);
    expect(payload).toEqual({
      nodePool: spare,
      cluster: { id: cluster.id, name: cluster.name, status: 'UPDATING', version: cluster.version },
      operation: { id: expect.any(String), type: 'NODE_POOL_DELETE', status: 'PENDING', targetId: spare.id },
      userErrors: [],
    });
    expect(await done(payload.operation.id)).toEqual({ nodePoolId: spare.id, deleted: true });
    expect(await readCluster(cluster.id)).toEqual({ ...cluster, nodePools: [defaultPool] });
    expectNotFound(await server.gql(NODE, { id: spare.id }, owner.token), 'node', `Node ${spare.id} not found.`);
    expect((await ok(OPERATION, { id: payload.operation.id }, owner.token)).operation).toMatchObject({ targetId: spare.id, target: null });
  });

  it('refuses to remove the last pool (NOT_ALLOWED)', async () => {
    const cluster = await readyCluster();
    expect(await mutate('deleteNodePool', { nodePoolId: cluster.nodePools[0].id })).toEqual(
      refusal(
        'deleteNodePool',
        userError(
          'nodePoolId',
          'NOT_ALLOWED',
          `Node pool default is the last one of cluster ${cluster.name}; a cluster needs at least one (delete the cluster instead).`,
        ),
      ),
    );
    expect(await readCluster(cluster.id)).toEqual(cluster);
  });

  it('takes cluster:scale', async () => {
    const cluster = await readyCluster(acme, { nodePools: [pool('default'), pool('spare')] });
    expectRefused(
      await attempt('deleteNodePool', { nodePoolId: cluster.nodePools[1].id }, viewer.token),
      'deleteNodePool',
      'FORBIDDEN',
      'You need the cluster:scale permission to change this cluster’s node pools.',
    );
    expectRefused(
      await attempt('deleteNodePool', { nodePoolId: cluster.nodePools[1].id }, stranger.token),
      'deleteNodePool',
      'NOT_FOUND',
      'NodePool not found.',
    );
    expect(await readCluster(cluster.id)).toEqual(cluster);
  });
});

// ---------------------------------------------------------------------------------------------

describe('app placement', () => {
  const notOfTeam = userError('clusterId', 'INVALID', 'clusterId must be a cluster of the app’s team (see Team.clusters).');

  it('createApp places the app on a cluster of its team: App.cluster and Cluster.apps show it', async () => {
    const cluster = await readyCluster();
    const name = freshName('web');
    const app = await createApp({ teamId: acme.id, name, clusterId: cluster.id });
    expect(app).toEqual({ id: expect.any(String), name, team: { slug: acme.slug }, cluster: { id: cluster.id, name: cluster.name } });
    expect(await clusterApps(cluster.id, viewer.token)).toEqual({ totalCount: 1, nodes: [{ name }] });
  });

  it('refuses a cluster of another team with the same message whether or not it can be read', async () => {
    const theirs = await readyCluster(rival, {}, stranger.token);
    const refused = { app: null, userErrors: [notOfTeam] };
    expect(
      (await ok(CREATE_APP, { input: { teamId: acme.id, name: freshName('x'), platform: 'node', clusterId: theirs.id } }, owner.token))
        .createApp,
    ).toEqual(refused);
    const app = await createApp({ teamId: acme.id, name: freshName('web') });
    expect((await ok(UPDATE_APP, { input: { appId: app.id, clusterId: theirs.id } }, owner.token)).updateApp).toEqual(refused);

    // The owner of both teams still may not place an acme app on a rival cluster.
    await addMember(rival, owner, 'ADMIN', stranger.token);
    expect((await ok(UPDATE_APP, { input: { appId: app.id, clusterId: theirs.id } }, owner.token)).updateApp).toEqual(refused);
    expect(await clusterApps(theirs.id, stranger.token)).toEqual({ totalCount: 0, nodes: [] });
  });

  it('updateApp moves the app between clusters, and clusterId null takes it off', async () => {
    const [first, second] = [await readyCluster(), await readyCluster()];
    const app = await createApp({ teamId: acme.id, name: freshName('mover'), clusterId: first.id });
    expect((await updateApp({ appId: app.id, clusterId: second.id })).cluster).toEqual({ id: second.id, name: second.name });
    expect(await clusterApps(first.id)).toEqual({ totalCount: 0, nodes: [] });
    expect(await clusterApps(second.id)).toEqual({ totalCount: 1, nodes: [{ name: app.name }] });
    // Leaving clusterId out keeps the placement.
    expect((await updateApp({ appId: app.id, description: 'still there' })).cluster).toEqual({ id: second.id, name: second.name });
    expect((await updateApp({ appId: app.id, clusterId: null })).cluster).toBeNull();
    expect(await clusterApps(second.id)).toEqual({ totalCount: 0, nodes: [] });
  });

  it('moving a placed app to another team needs clusterId: a cluster of the new team, or null', async () => {
    const home = await readyCluster();
    const other = await newTeam(freshName('acme-two'), owner.token);
    const away = await readyCluster(other);
    const app = await createApp({ teamId: acme.id, name: freshName('migrant'), clusterId: home.id });

    expect((await ok(UPDATE_APP, { input: { appId: app.id, teamId: other.id } }, owner.token)).updateApp).toEqual({
      app: null,
      userErrors: [
        userError(
          'clusterId',
          'INVALID',
          'clusterId is required when moving an app that is placed on a cluster: give a cluster of the new team, or null.',
        ),
      ],
    });
    // A cluster of the old team is not one of the new team's.
    expect((await ok(UPDATE_APP, { input: { appId: app.id, teamId: other.id, clusterId: home.id } }, owner.token)).updateApp).toEqual({
      app: null,
      userErrors: [notOfTeam],
    });
    expect(await updateApp({ appId: app.id, teamId: other.id, clusterId: away.id })).toEqual({
      ...app,
      team: { slug: other.slug },
      cluster: { id: away.id, name: away.name },
    });
    expect(await clusterApps(home.id)).toEqual({ totalCount: 0, nodes: [] });
    expect(await clusterApps(away.id)).toEqual({ totalCount: 1, nodes: [{ name: app.name }] });
    // And back, off any cluster.
    expect(await updateApp({ appId: app.id, teamId: acme.id, clusterId: null })).toEqual({ ...app, cluster: null });
  });

  it('refuses a cluster in ERROR, and a clusterId that is not a Cluster’s ID', async () => {
    const { cluster } = await brokenCluster();
    expect(
      (await ok(CREATE_APP, { input: { teamId: acme.id, name: freshName('x'), platform: 'node', clusterId: cluster.id } }, owner.token))
        .createApp,
    ).toEqual({
      app: null,
      userErrors: [userError('clusterId', 'INVALID_STATE', `Cluster ${cluster.name} is ERROR; place the app on another cluster.`)],
    });
    const r = await server.gql(
      CREATE_APP,
      { input: { teamId: acme.id, name: freshName('x'), platform: 'node', clusterId: acme.id } },
      owner.token,
    );
    expect(errorsOf(r)).toEqual([
      {
        message: 'clusterId: expected the ID of a Cluster.',
        path: ['createApp'],
        extensions: { code: 'BAD_USER_INPUT', field: 'clusterId' },
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('reading clusters', () => {
  let east: any;
  let west: any;
  let broken: any;
  let readers: TeamRef;

  beforeAll(async () => {
    readers = await newTeam('readers-clusters', owner.token);
    await addMember(readers, viewer, 'VIEWER', owner.token);
    await addMember(readers, member, 'MEMBER', owner.token);
    await addMember(readers, admin, 'ADMIN', owner.token);
    east = await readyCluster(readers, { name: 'r-east', region: 'us-east-1', version: '1.30', nodePools: [pool('default', 2)] });
    west = await readyCluster(readers, { name: 'r-west', region: 'eu-west-1' });
    broken = (await brokenCluster(readers, { name: 'r-broken', region: 'eu-west-1' })).cluster;
  });

  it('cluster(id) and node(id) read a Cluster and a NodePool, which leads back to its cluster', async () => {
    expect(await readCluster(east.id, viewer.token)).toEqual(east);
    expect((await ok(NODE, { id: east.id }, viewer.token)).node).toEqual({
      __typename: 'Cluster',
      id: east.id,
      name: 'r-east',
      status: 'READY',
    });
    const poolId = east.nodePools[0].id;
    expect((await ok(NODE, { id: poolId }, viewer.token)).node).toEqual({
      __typename: 'NodePool',
      id: poolId,
      name: 'default',
      nodeCount: 2,
      cluster: { id: east.id, name: 'r-east' },
    });
  });

  it('clusters(filter) and Team.clusters filter by team, status, region and version, by name', async () => {
    const names = (connection: { nodes: { name: string }[] }) => connection.nodes.map((c) => c.name);
    const list = async (filter: Record<string, unknown>) =>
      (await ok(`query($filter: ClusterFilter) { clusters(filter: $filter) { totalCount nodes { name } } }`, { filter }, viewer.token))
        .clusters;

    expect(await list({ teamId: readers.id })).toEqual({
      totalCount: 3,
      nodes: [{ name: 'r-broken' }, { name: 'r-east' }, { name: 'r-west' }],
    });
    expect(names(await list({ teamId: readers.id, status: 'ERROR' }))).toEqual(['r-broken']);
    expect(names(await list({ teamId: readers.id, status: 'READY' }))).toEqual(['r-east', 'r-west']);
    expect(names(await list({ teamId: readers.id, region: 'us-east-1' }))).toEqual(['r-east']);
    expect(names(await list({ teamId: readers.id, version: '1.31' }))).toEqual(['r-broken', 'r-west']);
    expect(names(await list({ teamId: readers.id, version: '1.31', status: 'READY', region: 'eu-west-1' }))).toEqual(['r-west']);
    expect(names(await list({ teamId: readers.id, region: 'ap-southeast-1' }))).toEqual([]);

    expect(await teamClusters(readers, {}, viewer.token)).toEqual(await list({ teamId: readers.id }));
    expect(names(await teamClusters(readers, { version: '1.30' }, viewer.token))).toEqual(['r-east']);
    // Without teamId: the viewer's clusters in every team (acme has none in us-east-1).
    expect(await list({ region: 'us-east-1' })).toEqual({ totalCount: 1, nodes: [{ name: 'r-east' }] });
    expect(errorsOf(await server.gql(`query { clusters(filter: { teamId: "nope" }) { totalCount } }`, {}, viewer.token))).toEqual([
      {
        message: 'filter.teamId: expected the ID of a Team.',
        path: ['clusters'],
        extensions: { code: 'BAD_USER_INPUT', field: 'filter.teamId' },
      },
    ]);
  });

  it('Cluster.operations are newest first, and Cluster.events record what was done to it', async () => {
    const cluster = await readyCluster(readers, { name: 'r-history', version: '1.30' });
    await mutate('updateCluster', { clusterId: cluster.id, description: 'history' });
    await done((await mutate('upgradeCluster', { clusterId: cluster.id, version: '1.31' })).operation.id);
    const added = await mutate('createNodePool', { clusterId: cluster.id, ...pool('extra', 1) }, member.token);
    await done(added.operation.id);

    const { cluster: read } = await ok(
      `query($id: ID!) { cluster(id: $id) {
        operations { nodes { type status targetId createdBy { email } } }
        events { nodes { kind actorEmail data } } } }`,
      { id: cluster.id },
      viewer.token,
    );
    expect(read.operations.nodes).toEqual([
      { type: 'NODE_POOL_CREATE', status: 'DONE', targetId: added.nodePool.id, createdBy: { email: member.email } },
      { type: 'CLUSTER_UPDATE', status: 'DONE', targetId: cluster.id, createdBy: { email: owner.email } },
      { type: 'CLUSTER_CREATE', status: 'DONE', targetId: cluster.id, createdBy: { email: owner.email } },
    ]);
    expect(read.events.nodes).toEqual([
      { kind: 'cluster.nodePool.create', actorEmail: member.email, data: { nodePool: 'extra', nodeType: 'standard-2', nodeCount: 1 } },
      { kind: 'cluster.upgrade', actorEmail: owner.email, data: { from: '1.30', to: '1.31' } },
      { kind: 'cluster.update', actorEmail: owner.email, data: { changed: { description: 'history' } } },
      {
        kind: 'cluster.create',
        actorEmail: owner.email,
        data: { name: 'r-history', version: '1.30', region: 'eu-west-1', cidr: cluster.cidr, nodePools: 1 },
      },
    ]);
  });

  it('Cluster.viewerPermissions lists what each role may do', async () => {
    const permissions = async (token: string) =>
      (await ok(`query($id: ID!) { cluster(id: $id) { viewerPermissions } }`, { id: west.id }, token)).cluster.viewerPermissions;
    expect(await permissions(viewer.token)).toEqual(['cluster:read']);
    expect(await permissions(member.token)).toEqual(['cluster:read', 'cluster:scale', 'cluster:update']);
    expect(await permissions(admin.token)).toEqual(['cluster:delete', 'cluster:read', 'cluster:scale', 'cluster:update']);
    expect(await permissions(owner.token)).toEqual(['cluster:delete', 'cluster:read', 'cluster:scale', 'cluster:update']);
  });

  it('a stranger sees nothing: NOT_FOUND for the cluster, its pools and operations, empty lists', async () => {
    expectNotFound(await server.gql(CLUSTER, { id: west.id }, stranger.token), 'cluster', 'Cluster not found.');
    expectNotFound(await server.gql(NODE, { id: west.id }, stranger.token), 'node', `Node ${west.id} not found.`);
    const poolId = west.nodePools[0].id;
    expectNotFound(await server.gql(NODE, { id: poolId }, stranger.token), 'node', `Node ${poolId} not found.`);
    const [operationId] = (
      await ok(`query($id: ID!) { cluster(id: $id) { operations { nodes { id } } } }`, { id: broken.id }, owner.token)
    ).cluster.operations.nodes.map((o: { id: string }) => o.id);
    expectNotFound(await server.gql(OPERATION, { id: operationId }, stranger.token), 'operation', 'Operation not found.');
    expect(
      (
        await ok(
          `query($filter: ClusterFilter) { clusters(filter: $filter) { totalCount nodes { name } } }`,
          { filter: { teamId: readers.id } },
          stranger.token,
        )
      ).clusters,
    ).toEqual({ totalCount: 0, nodes: [] });
    const theirs = await ok(
      `{ clusters { totalCount nodes { name } } operations(filter: { clusterId: "${west.id}" }) { totalCount } }`,
      {},
      stranger.token,
    );
    // Only their own team's clusters.
    expect(theirs.clusters).toEqual(await teamClusters(rival, {}, stranger.token));
    expect(theirs.operations).toEqual({ totalCount: 0 });
  });
});

// ---------------------------------------------------------------------------------------------

describe('failures and retries', () => {
  const errorState = (name: string) =>
    `Cluster ${name} is ERROR; its last operation failed; retry it with retryOperation, or delete the cluster.`;

  it('a failed upgrade leaves the cluster in ERROR on its old version; long-running changes wait for the retry', async () => {
    const cluster = await readyCluster(acme, { version: '1.30', nodePools: [pool('default'), pool('spare')] });
    const [first, second] = cluster.nodePools;
    await idle();
    server.provisioner.failNext({
      type: 'CLUSTER_UPDATE' as OperationType,
      step: 'node-pools',
      message: 'Upgrade of node pool default timed out.',
    });
    const upgrade = await mutate('upgradeCluster', { clusterId: cluster.id, version: '1.31' });
    expect(await settled(upgrade.operation.id, owner.token)).toEqual({
      status: 'FAILED',
      progress: 50,
      error: 'Upgrade of node pool default timed out.',
    });
    expect(await readCluster(cluster.id)).toEqual({ ...cluster, status: 'ERROR' });

    expect(await mutate('upgradeCluster', { clusterId: cluster.id, version: '1.31' })).toEqual(
      refusal('upgradeCluster', userError('clusterId', 'INVALID_STATE', errorState(cluster.name))),
    );
    expect(await mutate('createNodePool', { clusterId: cluster.id, ...pool('more') })).toEqual(
      refusal('createNodePool', userError('clusterId', 'INVALID_STATE', errorState(cluster.name))),
    );
    expect(await mutate('scaleNodePool', { nodePoolId: first.id, nodeCount: 5 })).toEqual(
      refusal('scaleNodePool', userError('nodePoolId', 'INVALID_STATE', errorState(cluster.name))),
    );
    expect(await mutate('deleteNodePool', { nodePoolId: second.id })).toEqual(
      refusal('deleteNodePool', userError('nodePoolId', 'INVALID_STATE', errorState(cluster.name))),
    );
    // Changes that take effect at once still go.
    expect((await mutate('updateCluster', { clusterId: cluster.id, description: 'waiting for a retry' })).userErrors).toEqual([]);

    expect(await retry(upgrade.operation.id, member.token)).toEqual({
      operation: { id: upgrade.operation.id, status: 'PENDING', error: null },
      userErrors: [],
    });
    expect(await settled(upgrade.operation.id, owner.token, 'progress error result attempts')).toEqual({
      status: 'DONE',
      progress: 100,
      error: null,
      result: { version: '1.31' },
      attempts: 2,
    });
    expect(stepsRun(upgrade.operation.id)).toEqual(['control-plane', 'node-pools', 'node-pools']);
    expect(await readCluster(cluster.id)).toEqual({ ...cluster, description: 'waiting for a retry', version: '1.31', status: 'READY' });
    // A DONE operation is not retried again.
    expect(await retry(upgrade.operation.id)).toEqual({
      operation: null,
      userErrors: [userError('operationId', 'INVALID_STATE', 'The operation is DONE; only a FAILED one can be retried.')],
    });
  });

  it('a failed scale keeps the old count; the retry applies the new one', async () => {
    const cluster = await readyCluster();
    const [defaultPool] = cluster.nodePools;
    await idle();
    server.provisioner.failNext({ type: 'NODE_POOL_SCALE' as OperationType, step: 'nodes', message: 'Not enough standard-2 capacity.' });
    const scale = await mutate('scaleNodePool', { nodePoolId: defaultPool.id, nodeCount: 9 });
    expect(await settled(scale.operation.id, owner.token)).toEqual({
      status: 'FAILED',
      progress: 0,
      error: 'Not enough standard-2 capacity.',
    });
    expect(await readCluster(cluster.id)).toEqual({ ...cluster, status: 'ERROR' });
    expect(await mutate('scaleNodePool', { nodePoolId: defaultPool.id, nodeCount: 4 })).toEqual(
      refusal('scaleNodePool', userError('nodePoolId', 'INVALID_STATE', errorState(cluster.name))),
    );
    expect(await mutate('upgradeCluster', { clusterId: cluster.id, version: '1.32' })).toEqual(
      refusal('upgradeCluster', userError('clusterId', 'INVALID_STATE', errorState(cluster.name))),
    );

    // Retrying takes the permission starting it took.
    expectRefused(
      await server.gql(
        `mutation($input: RetryOperationInput!) { retryOperation(input: $input) { ${USER_ERRORS} } }`,
        { input: { operationId: scale.operation.id } },
        viewer.token,
      ),
      'retryOperation',
      'FORBIDDEN',
      'You need the cluster:scale permission to retry this operation.',
    );
    expect((await retry(scale.operation.id)).userErrors).toEqual([]);
    expect(await settled(scale.operation.id, owner.token, 'result attempts')).toEqual({
      status: 'DONE',
      result: { nodePoolId: defaultPool.id, nodeCount: 9 },
      attempts: 2,
    });
    expect(await readCluster(cluster.id)).toEqual({ ...cluster, nodePools: [{ ...defaultPool, nodeCount: 9 }] });
  });
});

// ---------------------------------------------------------------------------------------------

describe('while an operation is under way (a server that runs operations only when told)', () => {
  let held: TestServer;
  let worker: OperationWorker;
  let heldOwner: User;
  let heldTeam: TeamRef;
  const heldApi = api(() => held);

  /** Runs the oldest runnable operation to its end. */
  const runNext = async () => expect(await worker.runOnce()).toBe(true);

  const heldCluster = async (extra: Record<string, unknown> = {}) => {
    const created = await mutate('createCluster', clusterInput(heldTeam, extra), heldOwner.token, held);
    expect(created.userErrors).toEqual([]);
    return created;
  };
  const heldRead = async (id: string) => (await heldApi.ok(CLUSTER, { id }, heldOwner.token)).cluster;
  const heldMutate = (name: MutationName, input: Record<string, unknown>) => mutate(name, input, heldOwner.token, held);
  const waitState = (name: string, status: string) =>
    `Cluster ${name} is ${status}; wait for its current operation to finish (see Cluster.operations).`;

  beforeAll(async () => {
    held = await startTestServer({ operationWorkers: 0 });
    worker = new OperationWorker(held.database, held.provisioner, operationHandlers, createLogger('silent'), {
      concurrency: 1,
      leaseMs: 60_000,
    });
    heldOwner = await held.signUp('owner@held.test');
    heldTeam = await heldApi.newTeam('held-clusters', heldOwner.token);
  });
  afterAll(() => held?.close());

  it('refuses long-running changes and deletion while PROVISIONING; renaming goes', async () => {
    const { cluster, operation } = await heldCluster({ nodePools: [pool('default'), pool('spare')] });
    const [first, second] = cluster.nodePools;
    expect(await heldMutate('deleteCluster', { clusterId: cluster.id })).toEqual(
      refusal('deleteCluster', userError('clusterId', 'INVALID_STATE', waitState(cluster.name, 'PROVISIONING'))),
    );
    expect(await heldMutate('upgradeCluster', { clusterId: cluster.id, version: '1.32' })).toEqual(
      refusal('upgradeCluster', userError('clusterId', 'INVALID_STATE', waitState(cluster.name, 'PROVISIONING'))),
    );
    expect(await heldMutate('createNodePool', { clusterId: cluster.id, ...pool('more') })).toEqual(
      refusal('createNodePool', userError('clusterId', 'INVALID_STATE', waitState(cluster.name, 'PROVISIONING'))),
    );
    expect(await heldMutate('scaleNodePool', { nodePoolId: first.id, nodeCount: 4 })).toEqual(
      refusal('scaleNodePool', userError('nodePoolId', 'INVALID_STATE', waitState(cluster.name, 'PROVISIONING'))),
    );
    expect(await heldMutate('deleteNodePool', { nodePoolId: second.id })).toEqual(
      refusal('deleteNodePool', userError('nodePoolId', 'INVALID_STATE', waitState(cluster.name, 'PROVISIONING'))),
    );
    const renamed = await heldMutate('updateCluster', { clusterId: cluster.id, name: `${cluster.name}-x` });
    expect(renamed.cluster).toMatchObject({ name: `${cluster.name}-x`, status: 'PROVISIONING' });

    expect((await heldApi.ok(OPERATION, { id: operation.id }, heldOwner.token)).operation.status).toBe('PENDING');
    await runNext();
    expect(await heldRead(cluster.id)).toMatchObject({ name: `${cluster.name}-x`, status: 'READY' });
  });

  it('applies a new node count only when the operation is DONE; the cluster is UPDATING meanwhile and cannot be deleted', async () => {
    const { cluster } = await heldCluster();
    await runNext();
    const ready = await heldRead(cluster.id);
    const scale = await heldMutate('scaleNodePool', { nodePoolId: ready.nodePools[0].id, nodeCount: 6 });
    expect(scale.userErrors).toEqual([]);
    expect(await heldRead(cluster.id)).toEqual({ ...ready, status: 'UPDATING' });
    expect(await heldMutate('deleteCluster', { clusterId: cluster.id })).toEqual(
      refusal('deleteCluster', userError('clusterId', 'INVALID_STATE', waitState(cluster.name, 'UPDATING'))),
    );
    expect(await heldMutate('scaleNodePool', { nodePoolId: ready.nodePools[0].id, nodeCount: 8 })).toEqual(
      refusal('scaleNodePool', userError('nodePoolId', 'INVALID_STATE', waitState(cluster.name, 'UPDATING'))),
    );

    await runNext();
    expect(await heldRead(cluster.id)).toEqual({ ...ready, nodePools: [{ ...ready.nodePools[0], nodeCount: 6 }] });
  });

  it('refuses updateCluster and app placement while DELETING', async () => {
    const { cluster } = await heldCluster();
    await runNext();
    const deleting = await heldMutate('deleteCluster', { clusterId: cluster.id });
    expect(deleting.cluster.status).toBe('DELETING');
    expect(await heldMutate('updateCluster', { clusterId: cluster.id, description: 'too late' })).toEqual(
      refusal('updateCluster', userError('clusterId', 'INVALID_STATE', `Cluster ${cluster.name} is being deleted.`)),
    );
    expect(await heldMutate('deleteCluster', { clusterId: cluster.id })).toEqual(
      refusal('deleteCluster', userError('clusterId', 'INVALID_STATE', waitState(cluster.name, 'DELETING'))),
    );
    const r = await held.gql(
      CREATE_APP,
      { input: { teamId: heldTeam.id, name: 'late-app', platform: 'node', clusterId: cluster.id } },
      heldOwner.token,
    );
    expect(r.body.data!.createApp).toEqual({
      app: null,
      userErrors: [userError('clusterId', 'INVALID_STATE', `Cluster ${cluster.name} is DELETING; place the app on another cluster.`)],
    });

    await runNext();
    expectNotFound(await held.gql(CLUSTER, { id: cluster.id }, heldOwner.token), 'cluster', 'Cluster not found.');
  });

  it('refuses an upgrade to a deprecated version, even a newer one', async () => {
    await held.database.db.insert(clusterVersions).values({ version: '1.32', deprecated: true });
    const { cluster } = await heldCluster({ version: '1.30' });
    await runNext();
    expect(await heldMutate('upgradeCluster', { clusterId: cluster.id, version: '1.32' })).toEqual(
      refusal(
        'upgradeCluster',
        userError(
          'version',
          'INVALID',
          'version 1.32 is deprecated: clusters cannot be created on it or upgraded to it; see clusterVersions for the available ones.',
        ),
      ),
    );
    const upgrade = await heldMutate('upgradeCluster', { clusterId: cluster.id, version: '1.31' });
    expect(upgrade.cluster).toMatchObject({ status: 'UPDATING', version: '1.30' });
    await runNext();
    expect(await heldRead(cluster.id)).toMatchObject({ status: 'READY', version: '1.31' });
  });
});
