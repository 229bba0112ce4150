import { eq, sql } from 'drizzle-orm';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
// The server support module loads reflect-metadata: it comes before any src module.
import { startTestServer, type TestServer } from './support/server.js';
import { api, dbId, errorsOf, expectRefused, USER_ERRORS, type TeamRef, type User } from './support/api.js';
import { operations, users } from '../src/db/schema/index.js';
import { createLogger } from '../src/logger.js';
import { operationHandlers } from '../src/modules/operations/handlers.js';
import { SimulatedProvisioner, type ProvisionRequest, type Provisioner } from '../src/modules/operations/provisioner.js';
import { OPERATION_CHANNEL, type OperationNotice } from '../src/modules/operations/queue.js';
import type { OperationType } from '../src/modules/operations/types.js';
import { OperationWorker, type WorkerOptions } from '../src/modules/operations/worker.js';

// The durable operations queue (issue 4): the operation API (lifecycle, lists, access), workers
// racing on one queue, a worker crashing or losing its lease mid-operation, graceful stop,
// retryOperation, and the operationProgress subscription. The server runs no worker of its own:
// every test builds the workers it needs, so it decides when and how operations run.

let server: TestServer;
let owner: User;
let viewer: User;
let stranger: User;

const { ok, newTeam, addMember, settled } = api(() => server);
const logger = createLogger('silent');

// ---------------------------------------------------------------------------------------------
// Workers and provisioners built by the tests

const workers: OperationWorker[] = [];

/** A worker on the test server's database, stopped after the test (unless killed). */
function worker(provisioner: Provisioner, options: Partial<WorkerOptions> = {}): OperationWorker {
  const built = new OperationWorker(server.database, provisioner, operationHandlers, logger, {
    concurrency: 1,
    leaseMs: 10_000,
    pollMs: 50,
    ...options,
  });
  workers.push(built);
  return built;
}

interface Held {
  request: ProvisionRequest;
  /** The worker's signal for the step (aborted when the worker stops, is killed or loses its lease). */
  signal: AbortSignal;
  release(): void;
}

/**
 * The simulated cloud, except that the steps `holds` picks wait until the test releases them. A
 * held step ignores its worker's abort signal, as a cloud call already in flight would: it
 * completes when released, whatever became of the worker meanwhile.
 */
class GatedProvisioner implements Provisioner {
  /** Every step started, in order (held ones included, when they arrive). */
  readonly started: ProvisionRequest[] = [];
  private readonly cloud = new SimulatedProvisioner(0);
  private readonly held: Held[] = [];
  private readonly waiting: ((held: Held) => void)[] = [];

  constructor(private readonly holds: (request: ProvisionRequest) => boolean) {}

  /** The next held step, once it has arrived. */
  next(): Promise<Held> {
    const held = this.held.shift();
    return held ? Promise.resolve(held) : new Promise((resolve) => this.waiting.push(resolve));
  }

  async perform(request: ProvisionRequest, signal: AbortSignal) {
    this.started.push(request);
    if (!this.holds(request)) return this.cloud.perform(request, signal);
    await new Promise<void>((release) => {
      const held = { request, signal, release };
      const waiter = this.waiting.shift();
      if (waiter) waiter(held);
      else this.held.push(held);
    });
    return this.cloud.perform(request, new AbortController().signal);
  }
}

/** Holds the first `step` of a `type` operation only. */
function holdOnce(type: OperationType, step: string) {
  let done = false;
  return (request: ProvisionRequest) => !done && request.type === type && request.step === step && (done = true);
}

/** The steps of the operation (a global ID) in a provisioner log, in order. */
const stepsOf = (log: ProvisionRequest[], operationId: string) => log.filter((r) => r.operationId === dbId(operationId)).map((r) => r.step);

/** Polls (every 20 ms, up to 15 s) until `check` returns a value other than undefined. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The operation's row, as stored. */
async function row(operationId: string) {
  const [found] = await server.database.db
    .select()
    .from(operations)
    .where(eq(operations.id, dbId(operationId)));
  return found;
}

/** Collects the notices announced on the operations channel (every queueing, step and end). */
async function noticesHeard() {
  const heard: OperationNotice[] = [];
  const stop = await server.database.listen(OPERATION_CHANNEL, (payload) => heard.push(JSON.parse(payload) as OperationNotice));
  return { heard, stop };
}

// ---------------------------------------------------------------------------------------------
// API helpers

const OPERATION_FIELDS = 'id type status progress attempts error result startedAt finishedAt targetId';
const CREATE_CLUSTER = `mutation($input: CreateClusterInput!) { createCluster(input: $input) {
  cluster { id status } operation { id } ${USER_ERRORS} } }`;
const CREATE_APP = `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id name } ${USER_ERRORS} } }`;
const DEPLOY = `mutation($input: DeployAppInput!) { deployApp(input: $input) { deploy { id version } operation { id } ${USER_ERRORS} } }`;
const RETRY = `mutation($input: RetryOperationInput!) { retryOperation(input: $input) {
  operation { id status error } ${USER_ERRORS} } }`;
const OPERATION = `query($id: ID!) { operation(id: $id) { ${OPERATION_FIELDS} } }`;

async function createCluster(team: TeamRef, name: string, cidr: string) {
  const data = await ok(
    CREATE_CLUSTER,
    { input: { teamId: team.id, name, cidr, region: 'eu-west-1', nodePools: [{ name: 'default', nodeType: 'standard-2', nodeCount: 3 }] } },
    owner.token,
  );
  expect(data.createCluster.userErrors).toEqual([]);
  return { clusterId: data.createCluster.cluster.id as string, operationId: data.createCluster.operation.id as string };
}

async function createApp(team: TeamRef, name: string): Promise<string> {
  const data = await ok(CREATE_APP, { input: { teamId: team.id, name, platform: 'node' } }, owner.token);
  expect(data.createApp.userErrors).toEqual([]);
  return data.createApp.app.id;
}

async function deploy(appId: string, image = 'registry.example.com/web:1') {
  const data = await ok(DEPLOY, { input: { appId, image } }, owner.token);
  expect(data.deployApp.userErrors).toEqual([]);
  return {
    deployId: data.deployApp.deploy.id as string,
    version: data.deployApp.deploy.version as number,
    operationId: data.deployApp.operation.id as string,
  };
}

/** The global IDs of the operations the viewer lists with `filter`, in list order. */
async function listed(filter: Record<string, unknown>, token = owner.token): Promise<string[]> {
  const data = await ok(`query($filter: OperationFilter) { operations(filter: $filter, first: 100) { nodes { id } } }`, { filter }, token);
  return data.operations.nodes.map((n: { id: string }) => n.id);
}

let teamCounter = 0;
/** A fresh team of the owner's, with the viewer as a VIEWER member. */
async function freshTeam(): Promise<TeamRef> {
  const team = await newTeam(`ops-${++teamCounter}`, owner.token);
  await addMember(team, viewer, 'VIEWER', owner.token);
  return team;
}

beforeAll(async () => {
  server = await startTestServer({ operationWorkers: 0 });
  [owner, viewer, stranger] = await Promise.all(['owner', 'viewer', 'stranger'].map((n) => server.signUp(`${n}@operations.test`)));
  // Every test works in a team of its own.
  await server.database.db
    .update(users)
    .set({ teamLimit: 50 })
    .where(eq(users.id, dbId(owner.id)));
});
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop();
});
afterAll(() => server?.close());

// ---------------------------------------------------------------------------------------------

describe('the operation API', () => {
  it('createCluster queues a PENDING operation; a worker makes it RUNNING, then DONE with its result', async () => {
    const team = await freshTeam();
    const created = await createCluster(team, 'life', '10.1.0.0/16');
    const FIELDS = `${OPERATION_FIELDS} createdBy { email } team { slug } target { __typename ... on Cluster { id name status } }`;
    const read = async (token = owner.token) =>
      (await ok(`query($id: ID!) { operation(id: $id) { ${FIELDS} } }`, { id: created.operationId }, token)).operation;

    // No worker runs: the operation waits.
    const pending = {
      id: created.operationId,
      type: 'CLUSTER_CREATE',
      status: 'PENDING',
      progress: 0,
      attempts: 0,
      error: null,
      result: null,
      startedAt: null,
      finishedAt: null,
      targetId: created.clusterId,
      createdBy: { email: owner.email },
      team: { slug: team.slug },
      target: { __typename: 'Cluster', id: created.clusterId, name: 'life', status: 'PROVISIONING' },
    };
    expect(await read()).toEqual(pending);

    // A worker claims it and runs its first step; the second waits.
    const cloud = new GatedProvisioner(holdOnce('CLUSTER_CREATE' as OperationType, 'control-plane'));
    await worker(cloud).start();
    const held = await cloud.next();
    const running = await read();
    expect(running).toEqual({ ...pending, status: 'RUNNING', progress: 25, attempts: 1, startedAt: expect.any(String) });

    held.release();
    const done = await settled(created.operationId, owner.token, FIELDS);
    const { cluster } = await ok(`query($id: ID!) { cluster(id: $id) { apiUrl consoleUrl } }`, { id: created.clusterId }, owner.token);
    expect(cluster.apiUrl).toMatch(/^https:\/\/api\./);
    expect(done).toEqual({
      ...pending,
      status: 'DONE',
      progress: 100,
      attempts: 1,
      result: { apiUrl: cluster.apiUrl, consoleUrl: cluster.consoleUrl },
      startedAt: running.startedAt,
      finishedAt: expect.any(String),
      target: { ...pending.target, status: 'READY' },
    });
    expect(Date.parse(done.finishedAt)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));
    expect(stepsOf(cloud.started, created.operationId)).toEqual(['network', 'control-plane', 'node-pools', 'health-check']);
    // A team VIEWER reads it as the owner does.
    expect(await read(viewer.token)).toEqual(done);
  });

  it('operations(filter) lists exactly the matching operations, newest first, to readers of the team', async () => {
    const team = await freshTeam();
    const cloud = new SimulatedProvisioner(0);
    const running = worker(cloud);
    await running.start();

    const first = await createCluster(team, 'one', '10.1.0.0/16');
    expect((await settled(first.operationId, owner.token)).status).toBe('DONE');
    cloud.failNext({ type: 'CLUSTER_CREATE' as OperationType, step: 'network', message: 'No capacity in eu-west-1.' });
    const second = await createCluster(team, 'two', '10.2.0.0/16');
    expect(await settled(second.operationId, owner.token)).toEqual({ status: 'FAILED', progress: 0, error: 'No capacity in eu-west-1.' });
    const pool = await ok(
      `mutation($input: CreateNodePoolInput!) { createNodePool(input: $input) { operation { id } ${USER_ERRORS} } }`,
      { input: { clusterId: first.clusterId, name: 'batch', nodeType: 'standard-2', nodeCount: 1 } },
      owner.token,
    );
    expect(pool.createNodePool.userErrors).toEqual([]);
    const poolOperation = pool.createNodePool.operation.id;
    expect((await settled(poolOperation, owner.token)).status).toBe('DONE');
    const appId = await createApp(team, 'ops-listed');
    const v1 = await deploy(appId);
    expect((await settled(v1.operationId, owner.token)).status).toBe('DONE');
    // The last one stays PENDING: no worker runs any more.
    await running.stop();
    const v2 = await deploy(appId);

    const all = [v2.operationId, v1.operationId, poolOperation, second.operationId, first.operationId];
    expect(await listed({ teamId: team.id })).toEqual(all);
    expect(await listed({ teamId: team.id }, viewer.token)).toEqual(all);
    expect(await listed({ teamId: team.id, status: ['FAILED'] })).toEqual([second.operationId]);
    expect(await listed({ teamId: team.id, status: ['PENDING', 'FAILED'] })).toEqual([v2.operationId, second.operationId]);
    expect(await listed({ teamId: team.id, status: ['RUNNING'] })).toEqual([]);
    expect(await listed({ clusterId: first.clusterId })).toEqual([poolOperation, first.operationId]);
    expect(await listed({ clusterId: first.clusterId, type: 'NODE_POOL_CREATE', status: ['DONE'] })).toEqual([poolOperation]);
    expect(await listed({ teamId: team.id, type: 'APP_DEPLOY' })).toEqual([v2.operationId, v1.operationId]);
    expect(await listed({ teamId: team.id, type: 'CLUSTER_CREATE', status: ['DONE'] })).toEqual([first.operationId]);
    // A stranger sees none of them, whatever the filter.
    expect(await listed({ teamId: team.id }, stranger.token)).toEqual([]);
    expect(await listed({ clusterId: first.clusterId }, stranger.token)).toEqual([]);

    const noStatus = await server.gql(
      `query($filter: OperationFilter) { operations(filter: $filter) { nodes { id } } }`,
      {
        filter: { teamId: team.id, status: [] },
      },
      owner.token,
    );
    expect(errorsOf(noStatus)).toEqual([
      {
        message: 'filter.status: give 1 to 4 statuses, or leave it out for all.',
        path: ['operations'],
        extensions: { code: 'BAD_USER_INPUT', field: 'filter.status' },
      },
    ]);

    // Leave the queue empty for the next tests.
    expect(await worker(new SimulatedProvisioner(0)).runOnce()).toBe(true);
    expect((await settled(v2.operationId, owner.token)).status).toBe('DONE');
  });

  it('operation(id): NOT_FOUND for a stranger and an unknown ID; a malformed or other type’s ID is bad input', async () => {
    const team = await freshTeam();
    const appId = await createApp(team, 'ops-lookup');
    const { operationId } = await deploy(appId);
    expect((await ok(OPERATION, { id: operationId }, viewer.token)).operation).toMatchObject({ id: operationId, status: 'PENDING' });

    expectRefused(await server.gql(OPERATION, { id: operationId }, stranger.token), 'operation', 'NOT_FOUND', 'Operation not found.', {
      operation: null,
    });
    const unknown = Buffer.from('Operation:00000000-0000-4000-8000-000000000000').toString('base64url');
    expectRefused(await server.gql(OPERATION, { id: unknown }, owner.token), 'operation', 'NOT_FOUND', 'Operation not found.', {
      operation: null,
    });
    for (const id of ['not-an-id', appId]) {
      const r = await server.gql(OPERATION, { id }, owner.token);
      expect(errorsOf(r)).toEqual([
        { message: 'id: expected the ID of an Operation.', path: ['operation'], extensions: { code: 'BAD_USER_INPUT', field: 'id' } },
      ]);
      expect(r.body.data).toEqual({ operation: null });
    }
    expect(await worker(new SimulatedProvisioner(0)).runOnce()).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('workers racing on one queue', () => {
  /** Queues 20 operations in a fresh team: three deploys on each of five apps, and five cluster creations. */
  async function queueTwenty(prefix: string) {
    const team = await freshTeam();
    const apps: { appId: string; operations: string[] }[] = [];
    const clusters: { clusterId: string; operationId: string }[] = [];
    for (let a = 0; a < 5; a++) {
      const appId = await createApp(team, `${prefix}-app-${a}`);
      apps.push({ appId, operations: [] });
    }
    // Interleaved, so the queue mixes apps and clusters.
    for (let round = 0; round < 3; round++)
      for (const app of apps) app.operations.push((await deploy(app.appId, `registry.example.com/web:${round + 1}`)).operationId);
    for (let c = 0; c < 5; c++) clusters.push(await createCluster(team, `${prefix}-cluster-${c}`, `10.${c}.0.0/16`));
    return { team, apps, clusters, all: [...apps.flatMap((a) => a.operations), ...clusters.map((c) => c.operationId)] };
  }

  /** Every operation DONE exactly once, each step run once, each app's deploys released in version order. */
  async function expectEachDoneOnce(queued: Awaited<ReturnType<typeof queueTwenty>>, log: ProvisionRequest[], heard: OperationNotice[]) {
    const data = await ok(
      `query($filter: OperationFilter) { operations(filter: $filter, first: 100) { nodes { id type status progress attempts error } } }`,
      { filter: { teamId: queued.team.id } },
      owner.token,
    );
    expect(data.operations.nodes).toHaveLength(20);
    for (const op of data.operations.nodes)
      expect(op).toEqual({ id: op.id, type: op.type, status: 'DONE', progress: 100, attempts: 1, error: null });

    for (const operationId of queued.all) {
      const steps = queued.clusters.some((c) => c.operationId === operationId)
        ? ['network', 'control-plane', 'node-pools', 'health-check']
        : ['build', 'release'];
      expect(stepsOf(log, operationId)).toEqual(steps);
      // One completion announced per operation.
      expect(heard.filter((n) => n.id === dbId(operationId) && n.status === 'DONE')).toHaveLength(1);
      expect(await row(operationId)).toMatchObject({ status: 'DONE', step: steps.length, leaseOwner: null, leaseExpiresAt: null });
    }

    // Per app, each deploy ran only once the one before was released.
    for (const app of queued.apps) {
      const ids = new Set(app.operations.map(dbId));
      expect(log.filter((r) => ids.has(r.operationId)).map((r) => `v${String(r.input.version)} ${r.step}`)).toEqual([
        'v1 build',
        'v1 release',
        'v2 build',
        'v2 release',
        'v3 build',
        'v3 release',
      ]);
      const { app: found } = await ok(
        `query($id: ID!) { app: node(id: $id) { ... on App { state deploys(first: 10) { nodes { version status finishedAt operation { status } } } } } }`,
        { id: app.appId },
        owner.token,
      );
      expect(found.state).toBe('RUNNING');
      const deploys = found.deploys.nodes;
      expect(
        deploys.map((d: { version: number; status: string; operation: { status: string } }) => [d.version, d.status, d.operation.status]),
      ).toEqual([
        [3, 'SUCCEEDED', 'DONE'],
        [2, 'SUCCEEDED', 'DONE'],
        [1, 'SUCCEEDED', 'DONE'],
      ]);
      const finished = deploys.map((d: { finishedAt: string }) => Date.parse(d.finishedAt));
      expect(finished[0]).toBeGreaterThanOrEqual(finished[1]);
      expect(finished[1]).toBeGreaterThanOrEqual(finished[2]);
    }
    for (const { clusterId } of queued.clusters)
      expect((await ok(`query($id: ID!) { cluster(id: $id) { status } }`, { id: clusterId }, owner.token)).cluster.status).toBe('READY');
  }

  it('two running workers (two operations at once each) do 20 operations: each DONE once, each step once, deploys in version order', async () => {
    const queued = await queueTwenty('race');
    const { heard, stop } = await noticesHeard();
    try {
      // One cloud for both, so its log orders the steps of both workers.
      const cloud = new SimulatedProvisioner(2);
      const a = worker(cloud, { concurrency: 2 });
      const b = worker(cloud, { concurrency: 2 });
      await Promise.all([a.start(), b.start()]);
      await waitFor('every operation to finish', async () => {
        const rows = await server.database.db
          .select({ status: operations.status })
          .from(operations)
          .where(eq(operations.teamId, dbId(queued.team.id)));
        return rows.every((r) => r.status === 'DONE') ? true : undefined;
      });
      await Promise.all([a.stop(), b.stop()]);
      await expectEachDoneOnce(queued, cloud.performed, heard);
    } finally {
      await stop();
    }
  });

  it('runOnce called at the same time on two workers, round after round until both find nothing: the same guarantees', async () => {
    const queued = await queueTwenty('rounds');
    const { heard, stop } = await noticesHeard();
    try {
      const cloud = new SimulatedProvisioner(2);
      const a = worker(cloud);
      const b = worker(cloud);
      let rounds = 0;
      for (;;) {
        const [ranA, ranB] = await Promise.all([a.runOnce(), b.runOnce()]);
        if (!ranA && !ranB) break;
        if (++rounds > 100) throw new Error('the workers never ran out of work');
      }
      await expectEachDoneOnce(queued, cloud.performed, heard);
    } finally {
      await stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('a worker that dies or stalls mid-operation', () => {
  it('killed during a step: another worker resumes at that step once the lease expires; the dead worker’s late step changes nothing', async () => {
    const team = await freshTeam();
    const { clusterId, operationId } = await createCluster(team, 'crash', '10.1.0.0/16');
    const { heard, stop } = await noticesHeard();
    try {
      const deadCloud = new GatedProvisioner(holdOnce('CLUSTER_CREATE' as OperationType, 'node-pools'));
      const a = worker(deadCloud, { leaseMs: 1000 });
      const aRun = a.runOnce();
      const held = await deadCloud.next();
      // While A holds the lease (renewed by its heartbeat), nobody else can take the operation.
      const liveCloud = new SimulatedProvisioner(0);
      const b = worker(liveCloud, { leaseMs: 300, pollMs: 50 });
      expect(await b.runOnce()).toBe(false);
      expect(await row(operationId)).toMatchObject({ status: 'RUNNING', step: 2, attempts: 1, leaseOwner: a.id });

      a.kill();
      await b.start();
      expect(await settled(operationId, owner.token, 'progress attempts error')).toEqual({
        status: 'DONE',
        progress: 100,
        attempts: 2,
        error: null,
      });
      // The steps recorded before the crash were not run again; the one in flight was.
      expect(stepsOf(deadCloud.started, operationId)).toEqual(['network', 'control-plane', 'node-pools']);
      expect(stepsOf(liveCloud.performed, operationId)).toEqual(['node-pools', 'health-check']);
      expect(liveCloud.performed.map((r) => r.attempt)).toEqual([2, 2]);
      expect((await ok(`query($id: ID!) { cluster(id: $id) { status apiUrl } }`, { id: clusterId }, owner.token)).cluster).toEqual({
        status: 'READY',
        apiUrl: expect.stringMatching(/^https:\/\/api\./),
      });

      // The dead worker's cloud call comes back at last: nothing is recorded.
      const before = await row(operationId);
      expect(before).toMatchObject({ status: 'DONE', step: 4, progress: 100, attempts: 2, leaseOwner: null });
      held.release();
      expect(await aRun).toBe(true);
      expect(await row(operationId)).toEqual(before);
      expect(heard.filter((n) => n.id === dbId(operationId)).map((n) => n.status)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'DONE']);
    } finally {
      await stop();
    }
  });

  it('stalled past its lease: the worker that took over finishes, and the stalled one cannot record its step', async () => {
    const team = await freshTeam();
    const { operationId } = await createCluster(team, 'stall', '10.1.0.0/16');
    const slowCloud = new GatedProvisioner(holdOnce('CLUSTER_CREATE' as OperationType, 'control-plane'));
    // A long lease: its heartbeat does not come again during the test.
    const a = worker(slowCloud, { leaseMs: 60_000 });
    const aRun = a.runOnce();
    const held = await slowCloud.next();
    // As if A's process had been frozen for longer than its lease.
    await server.database.db
      .update(operations)
      .set({ leaseExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(operations.id, dbId(operationId)));

    const cloud = new SimulatedProvisioner(0);
    const b = worker(cloud);
    expect(await b.runOnce()).toBe(true);
    expect(stepsOf(cloud.performed, operationId)).toEqual(['control-plane', 'node-pools', 'health-check']);
    const before = await row(operationId);
    expect(before).toMatchObject({ status: 'DONE', step: 4, attempts: 2, leaseOwner: null });

    held.release();
    expect(await aRun).toBe(true);
    expect(await row(operationId)).toEqual(before);
  });
});

describe('graceful stop', () => {
  it('stop() lets the step in flight finish, hands the operation back at the step boundary, and another worker finishes it', async () => {
    const team = await freshTeam();
    const { clusterId, operationId } = await createCluster(team, 'handover', '10.1.0.0/16');
    const firstCloud = new GatedProvisioner(holdOnce('CLUSTER_CREATE' as OperationType, 'control-plane'));
    const a = worker(firstCloud);
    await a.start();
    const held = await firstCloud.next();

    const stopped = a.stop();
    await waitFor('the worker to ask the step to stop', () => (held.signal.aborted ? true : undefined));
    held.release();
    await stopped;
    // control-plane was recorded; the operation is nobody's now, claimable at once.
    const handedBack = await row(operationId);
    expect(handedBack).toMatchObject({ status: 'RUNNING', step: 2, progress: 50, attempts: 1, leaseOwner: null });
    expect(handedBack.leaseExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(stepsOf(firstCloud.started, operationId)).toEqual(['network', 'control-plane']);

    const cloud = new SimulatedProvisioner(0);
    expect(await worker(cloud).runOnce()).toBe(true);
    expect(stepsOf(cloud.performed, operationId)).toEqual(['node-pools', 'health-check']);
    expect(await settled(operationId, owner.token, 'progress attempts')).toEqual({ status: 'DONE', progress: 100, attempts: 2 });
    expect((await ok(`query($id: ID!) { cluster(id: $id) { status } }`, { id: clusterId }, owner.token)).cluster.status).toBe('READY');
  });
});

// ---------------------------------------------------------------------------------------------

/** The simulated cloud behind a flaky connection: the first `failures` steps throw an unexpected error. */
class FlakyProvisioner implements Provisioner {
  readonly performed: ProvisionRequest[] = [];
  private readonly cloud = new SimulatedProvisioner(0);
  constructor(private failures: number) {}
  async perform(request: ProvisionRequest, signal: AbortSignal) {
    this.performed.push(request);
    if (this.failures-- > 0) throw new Error('read ECONNRESET');
    return this.cloud.perform(request, signal);
  }
}

describe('unexpected errors', () => {
  it('hand the operation back with a backoff; after maxAttempts it FAILS with a generic message; a retry starts the count again and finishes it', async () => {
    const team = await freshTeam();
    const appId = await createApp(team, 'flaky-app');
    const { operationId } = await deploy(appId);

    const flaky = new FlakyProvisioner(2);
    expect(await worker(flaky, { maxAttempts: 2 }).runOnce()).toBe(true);
    const backingOff = await row(operationId);
    expect(backingOff).toMatchObject({ status: 'RUNNING', step: 0, attempts: 1, leaseOwner: null, error: null });
    // Not claimable until the backoff (2 s after a first attempt) has passed.
    expect(backingOff.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    expect(await worker(new SimulatedProvisioner(0)).runOnce()).toBe(false);

    // As if the backoff had passed: the second attempt fails too, and that was the last one.
    await server.database.db
      .update(operations)
      .set({ leaseExpiresAt: sql`now() - interval '1 millisecond'` })
      .where(eq(operations.id, dbId(operationId)));
    expect(await worker(flaky, { maxAttempts: 2 }).runOnce()).toBe(true);
    const error = 'An internal error stopped this operation after 2 attempts; retry it with retryOperation.';
    expect((await ok(OPERATION, { id: operationId }, owner.token)).operation).toMatchObject({ status: 'FAILED', attempts: 2, error });
    const DEPLOY_STATUS = `query($id: ID!) { operation(id: $id) { target { ... on Deploy { version status } } } }`;
    expect((await ok(DEPLOY_STATUS, { id: operationId }, owner.token)).operation.target).toEqual({ version: 1, status: 'FAILED' });
    expect(flaky.performed.map((r) => [r.step, r.attempt])).toEqual([
      ['build', 1],
      ['build', 2],
    ]);

    // A retry gets the full allowance again: one more unexpected error backs off instead of failing.
    expect((await ok(RETRY, { input: { operationId } }, owner.token)).retryOperation.userErrors).toEqual([]);
    const flakyAgain = new FlakyProvisioner(1);
    expect(await worker(flakyAgain, { maxAttempts: 2 }).runOnce()).toBe(true);
    expect(await row(operationId)).toMatchObject({ status: 'RUNNING', attempts: 3, failures: 1, leaseOwner: null, error: null });
    await server.database.db
      .update(operations)
      .set({ leaseExpiresAt: sql`now() - interval '1 millisecond'` })
      .where(eq(operations.id, dbId(operationId)));
    expect(await worker(flakyAgain, { maxAttempts: 2 }).runOnce()).toBe(true);
    expect((await ok(OPERATION, { id: operationId }, owner.token)).operation).toMatchObject({ status: 'DONE', attempts: 4, error: null });
    expect((await ok(DEPLOY_STATUS, { id: operationId }, owner.token)).operation.target).toEqual({ version: 1, status: 'SUCCEEDED' });
  });

  it('two retries at once: one queues the operation again, the other finds it PENDING', async () => {
    const team = await freshTeam();
    const { operationId, clusterId } = await createCluster(team, 'twice', '10.1.0.0/16');
    const cloud = new SimulatedProvisioner(0);
    cloud.failNext({ type: 'CLUSTER_CREATE' as OperationType, step: 'control-plane', message: 'Quota exceeded.' });
    expect(await worker(cloud).runOnce()).toBe(true);
    expect((await ok(OPERATION, { id: operationId }, owner.token)).operation).toMatchObject({ status: 'FAILED', error: 'Quota exceeded.' });

    const results = await Promise.all([1, 2].map(() => ok(RETRY, { input: { operationId } }, owner.token)));
    expect(results.map((r) => r.retryOperation).sort((a, b) => a.userErrors.length - b.userErrors.length)).toEqual([
      { operation: { id: operationId, status: 'PENDING', error: null }, userErrors: [] },
      {
        operation: null,
        userErrors: [
          {
            field: ['input', 'operationId'],
            code: 'INVALID_STATE',
            message: 'The operation is PENDING; only a FAILED one can be retried.',
          },
        ],
      },
    ]);
    expect(await worker(cloud).runOnce()).toBe(true);
    expect(stepsOf(cloud.performed, operationId)).toEqual(['network', 'control-plane', 'control-plane', 'node-pools', 'health-check']);
    expect((await ok(OPERATION, { id: operationId }, owner.token)).operation).toMatchObject({ status: 'DONE', attempts: 2 });
    expect((await ok(`query($id: ID!) { cluster(id: $id) { status } }`, { id: clusterId }, owner.token)).cluster.status).toBe('READY');
  });
});

// ---------------------------------------------------------------------------------------------

describe('retryOperation', () => {
  let cloud: SimulatedProvisioner;
  let background: OperationWorker;
  let team: TeamRef;

  beforeAll(async () => {
    cloud = new SimulatedProvisioner(0);
    background = new OperationWorker(server.database, cloud, operationHandlers, logger, { concurrency: 2, leaseMs: 10_000, pollMs: 50 });
    await background.start();
    team = await freshTeam();
  });
  afterAll(() => background.stop());

  const DEPLOYS = `query($id: ID!) {
    app: node(id: $id) { ... on App { state deploys(first: 10) { nodes { version status operation { status error attempts } } } } }
  }`;
  const failRelease = (message: string) => cloud.failNext({ type: 'APP_DEPLOY' as OperationType, step: 'release', message });

  it('a failed deploy leaves the Deploy and its operation FAILED with the error; retrying releases it', async () => {
    const appId = await createApp(team, 'retry-ok');
    failRelease('Registry registry.example.com timed out.');
    const v1 = await deploy(appId);
    expect(await settled(v1.operationId, owner.token)).toEqual({
      status: 'FAILED',
      progress: 50,
      error: 'Registry registry.example.com timed out.',
    });
    expect((await ok(DEPLOYS, { id: appId }, owner.token)).app).toEqual({
      state: 'STOPPED',
      deploys: {
        nodes: [
          { version: 1, status: 'FAILED', operation: { status: 'FAILED', error: 'Registry registry.example.com timed out.', attempts: 1 } },
        ],
      },
    });

    expect((await ok(RETRY, { input: { operationId: v1.operationId } }, owner.token)).retryOperation).toEqual({
      operation: { id: v1.operationId, status: 'PENDING', error: null },
      userErrors: [],
    });
    expect(await settled(v1.operationId, owner.token, 'progress error attempts')).toEqual({
      status: 'DONE',
      progress: 100,
      error: null,
      attempts: 2,
    });
    expect((await ok(DEPLOYS, { id: appId }, owner.token)).app).toEqual({
      state: 'RUNNING',
      deploys: { nodes: [{ version: 1, status: 'SUCCEEDED', operation: { status: 'DONE', error: null, attempts: 2 } }] },
    });
    // It resumed at the step that failed.
    expect(stepsOf(cloud.performed, v1.operationId)).toEqual(['build', 'release', 'release']);

    // Retrying a DONE operation is refused.
    expect((await ok(RETRY, { input: { operationId: v1.operationId } }, owner.token)).retryOperation).toEqual({
      operation: null,
      userErrors: [
        { field: ['input', 'operationId'], code: 'INVALID_STATE', message: 'The operation is DONE; only a FAILED one can be retried.' },
      ],
    });
  });

  it('only the latest operation on its app can be retried', async () => {
    const appId = await createApp(team, 'retry-latest');
    failRelease('Registry registry.example.com timed out.');
    const v1 = await deploy(appId);
    expect((await settled(v1.operationId, owner.token)).status).toBe('FAILED');
    const v2 = await deploy(appId, 'registry.example.com/web:2');
    expect((await settled(v2.operationId, owner.token)).status).toBe('DONE');

    expect((await ok(RETRY, { input: { operationId: v1.operationId } }, owner.token)).retryOperation).toEqual({
      operation: null,
      userErrors: [
        {
          field: ['input', 'operationId'],
          code: 'INVALID_STATE',
          message: 'A later operation on the same resource exists; only the latest one can be retried (start a new one instead).',
        },
      ],
    });
    expect((await ok(DEPLOYS, { id: appId }, owner.token)).app.deploys.nodes).toEqual([
      { version: 2, status: 'SUCCEEDED', operation: { status: 'DONE', error: null, attempts: 1 } },
      { version: 1, status: 'FAILED', operation: { status: 'FAILED', error: 'Registry registry.example.com timed out.', attempts: 1 } },
    ]);
  });

  it('a VIEWER is FORBIDDEN and a stranger finds no operation; the operation stays FAILED', async () => {
    const appId = await createApp(team, 'retry-access');
    failRelease('Registry registry.example.com timed out.');
    const v1 = await deploy(appId);
    expect((await settled(v1.operationId, owner.token)).status).toBe('FAILED');
    cloud.failNext({ type: 'CLUSTER_CREATE' as OperationType, step: 'node-pools', message: 'Quota exceeded.' });
    const created = await createCluster(team, 'retry-cluster', '10.9.0.0/16');
    expect((await settled(created.operationId, owner.token)).status).toBe('FAILED');

    const input = (operationId: string) => ({ input: { operationId } });
    expectRefused(
      await server.gql(RETRY, input(v1.operationId), viewer.token),
      'retryOperation',
      'FORBIDDEN',
      'You need the app:deploy permission to retry this operation.',
    );
    expectRefused(
      await server.gql(RETRY, input(created.operationId), viewer.token),
      'retryOperation',
      'FORBIDDEN',
      'You need the cluster:create permission to retry this operation.',
    );
    for (const operationId of [v1.operationId, created.operationId])
      expectRefused(await server.gql(RETRY, input(operationId), stranger.token), 'retryOperation', 'NOT_FOUND', 'Operation not found.');
    for (const operationId of [v1.operationId, created.operationId])
      expect((await ok(OPERATION, { id: operationId }, owner.token)).operation).toMatchObject({ status: 'FAILED', attempts: 1 });
  });
});

// ---------------------------------------------------------------------------------------------

describe('operationProgress', () => {
  const clients: Client[] = [];
  afterAll(async () => {
    for (const client of clients) await client.dispose();
  });

  function connect(token?: string): Client {
    const client = createClient({
      url: server.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  }

  type Message = { data?: { operationProgress: Record<string, unknown> } | null; errors?: unknown[] };

  function follow(operationId: string, token: string | null = owner.token, fields = 'status progress') {
    return connect(token ?? undefined).iterate({
      query: `subscription($id: ID!) { operationProgress(operationId: $id) { ${fields} } }`,
      variables: { id: operationId },
    }) as AsyncIterableIterator<Message>;
  }

  /** Everything the subscription delivers until it completes (failing after 10 s instead of hanging). */
  async function untilComplete(stream: AsyncIterableIterator<Message>): Promise<Message[]> {
    const messages: Message[] = [];
    const all = (async () => {
      for await (const message of stream) messages.push(message);
      return messages;
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the subscription did not complete; it delivered ${JSON.stringify(messages)}`)), 10_000);
    });
    try {
      return await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  let team: TeamRef;
  beforeAll(async () => {
    team = await freshTeam();
  });

  it('follows a PENDING operation: its state now, then each step’s progress, then DONE, then the end', async () => {
    const { operationId } = await createCluster(team, 'followed', '10.1.0.0/16');
    const stream = follow(operationId);
    expect(await stream.next()).toEqual({ done: false, value: { data: { operationProgress: { status: 'PENDING', progress: 0 } } } });

    // Every step waits for the test, so each change is seen on its own.
    const cloud = new GatedProvisioner(() => true);
    await worker(cloud).start();
    for (const [status, progress] of [
      ['RUNNING', 25],
      ['RUNNING', 50],
      ['RUNNING', 75],
      ['DONE', 100],
    ] as const) {
      (await cloud.next()).release();
      expect(await stream.next()).toEqual({ done: false, value: { data: { operationProgress: { status, progress } } } });
    }
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('with steps taking 50 ms: progress rises to 100 and DONE, and the stream completes', async () => {
    const appId = await createApp(team, 'followed-app');
    const { operationId } = await deploy(appId);
    const stream = follow(operationId);
    expect(await stream.next()).toEqual({ done: false, value: { data: { operationProgress: { status: 'PENDING', progress: 0 } } } });
    await worker(new SimulatedProvisioner(50)).start();
    const rest = (await untilComplete(stream)).map((m) => m.data!.operationProgress);
    expect(rest.at(-1)).toEqual({ status: 'DONE', progress: 100 });
    for (const state of rest.slice(0, -1)) expect(state.status).toBe('RUNNING');
    const progress = rest.map((s) => s.progress as number);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(new Set(progress).size).toBe(progress.length);
  });

  it('an operation already DONE is delivered once, then the stream completes', async () => {
    const appId = await createApp(team, 'finished-app');
    const { operationId } = await deploy(appId);
    expect(await worker(new SimulatedProvisioner(0)).runOnce()).toBe(true);
    expect(await untilComplete(follow(operationId, owner.token, 'status progress attempts'))).toEqual([
      { data: { operationProgress: { status: 'DONE', progress: 100, attempts: 1 } } },
    ]);
    // A team VIEWER may follow it too.
    expect(await untilComplete(follow(operationId, viewer.token))).toEqual([
      { data: { operationProgress: { status: 'DONE', progress: 100 } } },
    ]);
  });

  it('a stranger gets NOT_FOUND and an anonymous subscriber UNAUTHENTICATED', async () => {
    const appId = await createApp(team, 'private-app');
    const { operationId } = await deploy(appId);
    expect(await untilComplete(follow(operationId, stranger.token))).toEqual([
      {
        errors: [
          { message: 'Operation not found.', locations: expect.any(Array), path: ['operationProgress'], extensions: { code: 'NOT_FOUND' } },
        ],
      },
    ]);
    expect(await untilComplete(follow(operationId, null))).toEqual([
      {
        errors: [
          {
            message: 'Authentication required: send Authorization: Bearer <token>.',
            locations: expect.any(Array),
            path: ['operationProgress'],
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      },
    ]);
    expect(await untilComplete(follow(team.id))).toEqual([
      {
        errors: [
          {
            message: 'operationId: expected the ID of an Operation.',
            locations: expect.any(Array),
            path: ['operationProgress'],
            extensions: { code: 'BAD_USER_INPUT', field: 'operationId' },
          },
        ],
      },
    ]);
    expect(await worker(new SimulatedProvisioner(0)).runOnce()).toBe(true);
  });

  it('stops, without another state, when the subscriber loses access meanwhile', async () => {
    const own = await newTeam(`ops-${++teamCounter}`, owner.token);
    const member = await server.signUp(`member-${teamCounter}@operations.test`);
    const membershipId = await addMember(own, member, 'VIEWER', owner.token);
    const { operationId } = await createCluster(own, 'watched', '10.1.0.0/16');
    const stream = follow(operationId, member.token);
    expect(await stream.next()).toEqual({ done: false, value: { data: { operationProgress: { status: 'PENDING', progress: 0 } } } });

    const cloud = new GatedProvisioner((r) => r.step === 'network');
    await worker(cloud).start();
    const held = await cloud.next();
    const removed = await ok(
      `mutation($input: RemoveMemberInput!) { removeMember(input: $input) { ${USER_ERRORS} } }`,
      { input: { membershipId } },
      owner.token,
    );
    expect(removed.removeMember.userErrors).toEqual([]);
    held.release();
    expect(await untilComplete(stream)).toEqual([]);
    expect((await settled(operationId, owner.token)).status).toBe('DONE');
  });

  it('a change committed while the first state is on its way is not missed', async () => {
    const appId = await createApp(team, 'raced-app');
    const { operationId } = await deploy(appId);

    // The database answers the first state's `team` slowly; meanwhile the operation runs to its end.
    // Teams are read by the prepared-read path (Database.values).
    const database = server.database;
    const values = database.values;
    let reached!: () => void;
    const teamRequested = new Promise<void>((resolve) => (reached = resolve));
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    database.values = async (query) => {
      if (/from "teams"/.test(query.sql)) {
        database.values = values;
        reached();
        await answered;
      }
      return values.call(database, query);
    };
    try {
      const messages = untilComplete(follow(operationId, owner.token, 'status progress team { slug }'));
      await teamRequested;
      expect(await worker(new SimulatedProvisioner(0)).runOnce()).toBe(true);
      answer();
      expect(await messages).toEqual([
        { data: { operationProgress: { status: 'PENDING', progress: 0, team: { slug: team.slug } } } },
        { data: { operationProgress: { status: 'DONE', progress: 100, team: { slug: team.slug } } } },
      ]);
    } finally {
      database.values = values;
      answer();
    }
  });
});
