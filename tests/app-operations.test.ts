import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type GqlResult, type TestServer } from './support/server.js';
import { api, USER_ERRORS } from './support/api.js';

/**
 * Operations on apps (issue 3): lifecycle, units and the unit limit, env vars, cnames, deploys
 * and rollbacks. Everything goes through HTTP with real tokens.
 */

let server: TestServer;
let adminToken: string;

type User = { token: string; id: string; email: string };
let owner: User;
let viewer: User;
let stranger: User;
let team: { id: string; slug: string };

const APP_FIELDS = 'name state units { process status } processes { name units }';
const APP = `app { ${APP_FIELDS} }`;

const { ok, settled } = api(() => server);

/** The top-level errors without their source locations. */
const errorsOf = (r: GqlResult) =>
  r.body.errors?.map(({ message, path, extensions }) => ({ message, path, extensions: { code: extensions?.code } }));

/** Runs `mutation name(input)` and returns its payload (failing on top-level errors unless allowed). */
async function run(name: string, input: Record<string, unknown>, selection = `${APP} ${USER_ERRORS}`, token = owner.token) {
  const type = `${name[0].toUpperCase()}${name.slice(1)}Input`;
  const r = await server.gql(`mutation($input: ${type}!) { ${name}(input: $input) { ${selection} } }`, { input }, token);
  expect(r.body.errors).toBeUndefined();
  return r.body.data![name];
}

/** The raw response of a mutation, for permission checks. */
async function attempt(name: string, input: Record<string, unknown>, token: string) {
  const type = `${name[0].toUpperCase()}${name.slice(1)}Input`;
  return server.gql(`mutation($input: ${type}!) { ${name}(input: $input) { ${USER_ERRORS} } }`, { input }, token);
}

async function createApp(name: string): Promise<{ id: string; name: string }> {
  const payload = await run('createApp', { teamId: team.id, name, platform: 'node' }, `app { id name } ${USER_ERRORS}`);
  if (!payload.app) throw new Error(`createApp ${name} failed: ${JSON.stringify(payload)}`);
  return payload.app;
}

async function readApp(name: string, selection: string, token = owner.token) {
  const r = await server.gql(`query($name: String!) { app(name: $name) { ${selection} } }`, { name }, token);
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.app;
}

/** Deploys and waits, as a client would, for the deploy's operation to finish. */
async function deploy(appId: string, image: string) {
  const payload = await run('deployApp', { appId, image }, `deploy { id version } operation { id } ${USER_ERRORS}`);
  expect(payload.userErrors).toEqual([]);
  expect(await settled(payload.operation.id, owner.token)).toEqual({ status: 'DONE', progress: 100, error: null });
  const { node } = await ok(
    `query($id: ID!) { node(id: $id) { ... on Deploy { id version status } } }`,
    { id: payload.deploy.id },
    owner.token,
  );
  return node as { id: string; version: number; status: string };
}

beforeAll(async () => {
  server = await startTestServer();
  adminToken = await server.adminToken();
  [owner, viewer, stranger] = await Promise.all(['owner', 'viewer', 'stranger'].map((n) => server.signUp(`${n}@app-ops.test`)));
  const created = await server.gql(
    `mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id slug } ${USER_ERRORS} } }`,
    { input: { slug: 'ops', name: 'Ops' } },
    owner.token,
  );
  team = created.body.data!.createTeam.team;
  // The viewer joins through the real invitation flow.
  const invite = await server.gql(
    `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { ${USER_ERRORS} } }`,
    { input: { teamId: team.id, email: viewer.email, role: 'VIEWER' } },
    owner.token,
  );
  expect(invite.body.data?.inviteMember.userErrors).toEqual([]);
  const token = (await server.deliveredMail()).tokenFor(viewer.email, 'invitation');
  const accept = await server.gql(
    `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { membership { role } ${USER_ERRORS} } }`,
    { input: { token } },
    viewer.token,
  );
  expect(accept.body.data?.acceptInvitation).toEqual({ membership: { role: 'VIEWER' }, userErrors: [] });
});
afterAll(() => server?.close());

describe('lifecycle', () => {
  let app: { id: string; name: string };
  beforeAll(async () => {
    app = await createApp('life');
  });

  it('walks an app through deploy, stop, start and sleep, refusing impossible transitions', async () => {
    expect(await readApp('life', 'state units { name } processes { name }')).toEqual({ state: 'STOPPED', units: [], processes: [] });

    expect(await run('startApp', { appId: app.id })).toEqual({
      app: null,
      userErrors: [{ field: null, code: 'INVALID_STATE', message: 'life has no units; deploy the app or add units first.' }],
    });

    const deployed = await deploy(app.id, 'registry.example.com/life:1');
    expect(deployed).toEqual({ id: expect.any(String), version: 1, status: 'SUCCEEDED' });
    expect(await readApp('life', APP_FIELDS)).toEqual({
      name: 'life',
      state: 'RUNNING',
      units: [{ process: 'web', status: 'STARTED' }],
      processes: [{ name: 'web', units: 1 }],
    });

    expect(await run('stopApp', { appId: app.id })).toEqual({
      app: { name: 'life', state: 'STOPPED', units: [{ process: 'web', status: 'STOPPED' }], processes: [{ name: 'web', units: 1 }] },
      userErrors: [],
    });
    expect(await run('stopApp', { appId: app.id })).toEqual({
      app: null,
      userErrors: [
        {
          field: null,
          code: 'INVALID_STATE',
          message: 'Cannot stop life: it is STOPPED; stop works from RUNNING, STARTING, SLEEPING, ERROR.',
        },
      ],
    });

    expect(await run('startApp', { appId: app.id })).toEqual({
      app: { name: 'life', state: 'RUNNING', units: [{ process: 'web', status: 'STARTED' }], processes: [{ name: 'web', units: 1 }] },
      userErrors: [],
    });
    expect(await run('restartApp', { appId: app.id })).toEqual({
      app: { name: 'life', state: 'RUNNING', units: [{ process: 'web', status: 'STARTED' }], processes: [{ name: 'web', units: 1 }] },
      userErrors: [],
    });
    expect(await run('sleepApp', { appId: app.id })).toEqual({
      app: { name: 'life', state: 'SLEEPING', units: [{ process: 'web', status: 'STOPPED' }], processes: [{ name: 'web', units: 1 }] },
      userErrors: [],
    });
    expect(await run('restartApp', { appId: app.id })).toEqual({
      app: null,
      userErrors: [
        { field: null, code: 'INVALID_STATE', message: 'Cannot restart life: it is SLEEPING; restart works from RUNNING, ERROR.' },
      ],
    });
    expect(await run('sleepApp', { appId: app.id })).toEqual({
      app: null,
      userErrors: [{ field: null, code: 'INVALID_STATE', message: 'Cannot sleep life: it is SLEEPING; sleep works from RUNNING.' }],
    });
    // A sleeping app starts again.
    expect((await run('startApp', { appId: app.id })).app.state).toBe('RUNNING');

    // Each refused transition left no audit event; each done one left exactly one.
    const events = await readApp('life', 'events(first: 20) { nodes { kind } }');
    expect(events.events.nodes.map((e: { kind: string }) => e.kind)).toEqual([
      'app.start',
      'app.sleep',
      'app.restart',
      'app.start',
      'app.stop',
      'app.deploy',
      'app.create',
    ]);
  });

  it('acts on one process only when given one', async () => {
    const added = await run('addUnits', { appId: app.id, process: 'worker', count: 2 });
    expect(added).toEqual({
      app: {
        name: 'life',
        state: 'RUNNING',
        units: expect.arrayContaining([{ process: 'web', status: 'STARTED' }]),
        processes: [
          { name: 'web', units: 1 },
          { name: 'worker', units: 2 },
        ],
      },
      userErrors: [],
    });
    const byProcess = (units: { process: string; status: string }[]) =>
      Object.fromEntries(['web', 'worker'].map((p) => [p, units.filter((u) => u.process === p).map((u) => u.status)]));
    expect(byProcess(added.app.units)).toEqual({ web: ['STARTED'], worker: ['STARTED', 'STARTED'] });

    const stopped = await run('stopApp', { appId: app.id, process: 'worker' });
    expect(stopped.userErrors).toEqual([]);
    expect(stopped.app.state).toBe('RUNNING');
    expect(byProcess(stopped.app.units)).toEqual({ web: ['STARTED'], worker: ['STOPPED', 'STOPPED'] });

    expect(await run('stopApp', { appId: app.id, process: 'worker' })).toEqual({
      app: null,
      userErrors: [{ field: ['input', 'process'], code: 'INVALID_STATE', message: 'Process worker is already stopped.' }],
    });
    expect(await run('restartApp', { appId: app.id, process: 'worker' })).toEqual({
      app: null,
      userErrors: [{ field: ['input', 'process'], code: 'INVALID_STATE', message: 'Cannot restart process worker: no unit is running.' }],
    });

    // Stopping the last running process stops the app; starting one runs it again.
    const allStopped = await run('stopApp', { appId: app.id, process: 'web' });
    expect(allStopped.app.state).toBe('STOPPED');
    expect(byProcess(allStopped.app.units)).toEqual({ web: ['STOPPED'], worker: ['STOPPED', 'STOPPED'] });
    const workerOnly = await run('startApp', { appId: app.id, process: 'worker' });
    expect(workerOnly.app.state).toBe('RUNNING');
    expect(byProcess(workerOnly.app.units)).toEqual({ web: ['STOPPED'], worker: ['STARTED', 'STARTED'] });
    expect(await run('startApp', { appId: app.id, process: 'worker' })).toEqual({
      app: null,
      userErrors: [{ field: ['input', 'process'], code: 'INVALID_STATE', message: 'Process worker is already running.' }],
    });

    expect(await run('stopApp', { appId: app.id, process: 'nope' })).toEqual({
      app: null,
      userErrors: [{ field: ['input', 'process'], code: 'INVALID', message: 'process "nope" does not exist in life; see App.processes.' }],
    });
    const badName = await run('startApp', { appId: app.id, process: 'Web Server' });
    expect(badName.app).toBeNull();
    expect(badName.userErrors).toEqual([
      { field: ['input', 'process'], code: 'INVALID', message: expect.stringMatching(/^process must be a process name/) },
    ]);
  });

  it('refuses every change to a locked app until it is unlocked', async () => {
    const lockedApp = await createApp('locked-app');
    await deploy(lockedApp.id, 'img:1');
    expect((await run('updateApp', { appId: lockedApp.id, locked: true }, `app { locked } ${USER_ERRORS}`)).userErrors).toEqual([]);
    const locked = {
      field: ['input', 'appId'],
      code: 'INVALID_STATE',
      message: 'App locked-app is locked; unlock it with updateApp(locked: false) first.',
    };
    for (const [name, input] of [
      ['stopApp', {}],
      ['addUnits', { process: 'web', count: 1 }],
      ['setEnv', { variables: [{ name: 'A', value: '1' }] }],
      ['addCname', { cname: 'locked.example.com' }],
      ['deployApp', { image: 'img:2' }],
    ] as const) {
      expect((await attempt(name, { appId: lockedApp.id, ...input }, owner.token)).body).toEqual({
        data: { [name]: { userErrors: [locked] } },
      });
    }
    expect((await run('updateApp', { appId: lockedApp.id, locked: false }, `app { locked } ${USER_ERRORS}`)).userErrors).toEqual([]);
    expect((await run('stopApp', { appId: lockedApp.id })).app.state).toBe('STOPPED');
  });

  it('needs app:lifecycle: a viewer is FORBIDDEN, a stranger gets NOT_FOUND', async () => {
    for (const name of ['startApp', 'stopApp', 'restartApp', 'sleepApp']) {
      const asViewer = await attempt(name, { appId: app.id }, viewer.token);
      // The payload is non-null, so the error nulls the whole data.
      expect(asViewer.body.data).toBeNull();
      expect(errorsOf(asViewer)?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
      const asStranger = await attempt(name, { appId: app.id }, stranger.token);
      expect(asStranger.body.data).toBeNull();
      expect(errorsOf(asStranger)?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
    }
  });
});

describe('units', () => {
  it('adds units to new or existing processes, CREATED when stopped and STARTED when running', async () => {
    const app = await createApp('units');
    const first = await run('addUnits', { appId: app.id, process: 'web', count: 2 });
    expect(first).toEqual({
      app: {
        name: 'units',
        state: 'STOPPED',
        units: [
          { process: 'web', status: 'CREATED' },
          { process: 'web', status: 'CREATED' },
        ],
        processes: [{ name: 'web', units: 2 }],
      },
      userErrors: [],
    });
    expect((await run('startApp', { appId: app.id })).app.units).toEqual([
      { process: 'web', status: 'STARTED' },
      { process: 'web', status: 'STARTED' },
    ]);
    const more = await run('addUnits', { appId: app.id, process: 'worker', count: 3 });
    expect(more.app.processes).toEqual([
      { name: 'web', units: 2 },
      { name: 'worker', units: 3 },
    ]);
    expect(more.app.units.filter((u: { process: string }) => u.process === 'worker')).toEqual(
      Array(3).fill({ process: 'worker', status: 'STARTED' }),
    );
    expect(await readApp('units', 'quota { used limit }')).toEqual({ quota: { used: 5, limit: null } });
  });

  it('refuses counts outside 1..100 naming count', async () => {
    const { id } = await createApp('unit-counts');
    for (const name of ['addUnits', 'removeUnits']) {
      expect(await run(name, { appId: id, process: 'web', count: 0 })).toEqual({
        app: null,
        userErrors: [{ field: ['input', 'count'], code: 'INVALID', message: 'count must be at least 1' }],
      });
      expect(await run(name, { appId: id, process: 'web', count: 101 })).toEqual({
        app: null,
        userErrors: [{ field: ['input', 'count'], code: 'INVALID', message: 'count must be at most 100' }],
      });
      expect(await run(name, { appId: id, process: 'web', count: -3 })).toEqual({
        app: null,
        userErrors: [{ field: ['input', 'count'], code: 'INVALID', message: 'count must be at least 1' }],
      });
    }
    expect(await readApp('unit-counts', 'processes { name } units { name }')).toEqual({ processes: [], units: [] });
  });

  it('removes units, never below zero', async () => {
    const app = await createApp('unit-removal');
    await run('addUnits', { appId: app.id, process: 'web', count: 3 });
    expect(await run('removeUnits', { appId: app.id, process: 'web', count: 4 })).toEqual({
      app: null,
      userErrors: [{ field: ['input', 'count'], code: 'INVALID', message: 'count 4 is more than the 3 units process web has.' }],
    });
    expect(await run('removeUnits', { appId: app.id, process: 'worker', count: 1 })).toEqual({
      app: null,
      userErrors: [
        { field: ['input', 'process'], code: 'INVALID', message: 'process "worker" does not exist in unit-removal; see App.processes.' },
      ],
    });
    const removed = await run('removeUnits', { appId: app.id, process: 'web', count: 2 });
    expect(removed.userErrors).toEqual([]);
    expect(removed.app.processes).toEqual([{ name: 'web', units: 1 }]);
    expect(removed.app.units).toHaveLength(1);
    const none = await run('removeUnits', { appId: app.id, process: 'web', count: 1 });
    expect(none.app.processes).toEqual([{ name: 'web', units: 0 }]);
    expect(none.app.units).toEqual([]);
    expect(await run('removeUnits', { appId: app.id, process: 'web', count: 1 })).toEqual({
      app: null,
      userErrors: [{ field: ['input', 'count'], code: 'INVALID', message: 'count 1 is more than the 0 units process web has.' }],
    });
    expect(await readApp('unit-removal', 'quota { used limit } processes { name units }')).toEqual({
      quota: { used: 0, limit: null },
      processes: [{ name: 'web', units: 0 }],
    });
  });

  it('holds the unit limit set by a platform admin (LIMIT_REACHED)', async () => {
    const app = await createApp('unit-limit');
    await run('addUnits', { appId: app.id, process: 'web', count: 2 });

    // Only platform admins set quotas.
    const byOwner = await attempt('setAppQuota', { appId: app.id, unitLimit: 100 }, owner.token);
    expect(byOwner.body.data).toBeNull();
    expect(errorsOf(byOwner)?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
    expect(await run('setAppQuota', { appId: app.id, unitLimit: 1 }, `app { quota { used limit } } ${USER_ERRORS}`, adminToken)).toEqual({
      app: null,
      userErrors: [
        { field: ['input', 'unitLimit'], code: 'INVALID', message: 'unitLimit 1 is below the 2 units the app has; remove units first.' },
      ],
    });
    expect(await run('setAppQuota', { appId: app.id, unitLimit: 3 }, `app { quota { used limit } } ${USER_ERRORS}`, adminToken)).toEqual({
      app: { quota: { used: 2, limit: 3 } },
      userErrors: [],
    });

    expect(await run('addUnits', { appId: app.id, process: 'worker', count: 2 })).toEqual({
      app: null,
      userErrors: [
        {
          field: ['input', 'count'],
          code: 'LIMIT_REACHED',
          message: 'Not enough reserved units: unit-limit has 2 of its 3; ask an admin to raise its quota or remove units.',
        },
      ],
    });
    expect((await run('addUnits', { appId: app.id, process: 'worker', count: 1 })).userErrors).toEqual([]);
    expect((await run('addUnits', { appId: app.id, process: 'web', count: 1 })).userErrors.map((e: { code: string }) => e.code)).toEqual([
      'LIMIT_REACHED',
    ]);
    expect(await readApp('unit-limit', 'quota { used limit } processes { name units }')).toEqual({
      quota: { used: 3, limit: 3 },
      processes: [
        { name: 'web', units: 2 },
        { name: 'worker', units: 1 },
      ],
    });
    // Lifting the limit (null) lets units be added again.
    expect(
      (await run('setAppQuota', { appId: app.id, unitLimit: null }, `app { quota { limit } } ${USER_ERRORS}`, adminToken)).app,
    ).toEqual({
      quota: { limit: null },
    });
    expect((await run('addUnits', { appId: app.id, process: 'web', count: 1 })).userErrors).toEqual([]);
  });

  it('never exceeds the unit limit under concurrency: 20 parallel addUnits against 8 free units', async () => {
    const app = await createApp('unit-race');
    await run('addUnits', { appId: app.id, process: 'web', count: 2 });
    expect((await run('setAppQuota', { appId: app.id, unitLimit: 10 }, USER_ERRORS, adminToken)).userErrors).toEqual([]);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => run('addUnits', { appId: app.id, process: 'web', count: 1 }, `app { name } ${USER_ERRORS}`)),
    );
    const codes = results.map((r) => r.userErrors.map((e: { code: string }) => e.code).join(',') || 'OK');
    expect(codes.filter((c) => c === 'OK')).toHaveLength(8);
    expect(codes.filter((c) => c === 'LIMIT_REACHED')).toHaveLength(12);
    const after = await readApp('unit-race', 'quota { used limit } processes { name units } units { name }');
    expect(after.quota).toEqual({ used: 10, limit: 10 });
    expect(after.processes).toEqual([{ name: 'web', units: 10 }]);
    expect(after.units).toHaveLength(10);
  });

  it('needs app:lifecycle to add or remove units', async () => {
    const { id } = await readApp('units', 'id');
    for (const name of ['addUnits', 'removeUnits']) {
      const asViewer = await attempt(name, { appId: id, process: 'web', count: 1 }, viewer.token);
      expect(errorsOf(asViewer)?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
      const asStranger = await attempt(name, { appId: id, process: 'web', count: 1 }, stranger.token);
      expect(errorsOf(asStranger)?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
    }
    expect((await readApp('units', 'quota { used }')).quota.used).toBe(5);
  });
});

describe('environment variables', () => {
  let app: { id: string; name: string };
  const ENV = `app { env { name value secret } } ${USER_ERRORS}`;
  beforeAll(async () => {
    app = await createApp('env');
  });

  it('sets variables in bulk and replaces existing ones', async () => {
    expect(
      await run(
        'setEnv',
        {
          appId: app.id,
          variables: [
            { name: 'DATABASE_URL', value: 'postgres://db/app', secret: true },
            { name: 'A', value: '1' },
            { name: '_private', value: '' },
          ],
        },
        ENV,
      ),
    ).toEqual({
      app: {
        env: [
          { name: 'A', value: '1', secret: false },
          { name: 'DATABASE_URL', value: 'postgres://db/app', secret: true },
          { name: '_private', value: '', secret: false },
        ],
      },
      userErrors: [],
    });
    // Upsert: A is replaced (value and secret flag), the others stay.
    expect(
      await run(
        'setEnv',
        {
          appId: app.id,
          variables: [
            { name: 'A', value: '2', secret: true },
            { name: 'B', value: 'b' },
          ],
        },
        ENV,
      ),
    ).toEqual({
      app: {
        env: [
          { name: 'A', value: '2', secret: true },
          { name: 'B', value: 'b', secret: false },
          { name: 'DATABASE_URL', value: 'postgres://db/app', secret: true },
          { name: '_private', value: '', secret: false },
        ],
      },
      userErrors: [],
    });
    // A viewer sees the names but not the secret values.
    expect(await readApp('env', 'env { name value secret }', viewer.token)).toEqual({
      env: [
        { name: 'A', value: null, secret: true },
        { name: 'B', value: 'b', secret: false },
        { name: 'DATABASE_URL', value: null, secret: true },
        { name: '_private', value: '', secret: false },
      ],
    });
  });

  it('refuses names that are not POSIX names, naming each variable', async () => {
    const long = 'A'.repeat(129);
    const r = await run(
      'setEnv',
      {
        appId: app.id,
        variables: [
          { name: '1ABC', value: 'x' },
          { name: 'A-B', value: 'x' },
          { name: '', value: 'x' },
          { name: long, value: 'x' },
          { name: 'OK_NAME', value: 'x' },
        ],
      },
      ENV,
    );
    const posix = 'must be a POSIX name: letters, digits and underscores, not starting with a digit';
    expect(r).toEqual({
      app: null,
      userErrors: [
        { field: ['input', 'variables', '0', 'name'], code: 'INVALID', message: `variables.0.name ${posix}` },
        { field: ['input', 'variables', '1', 'name'], code: 'INVALID', message: `variables.1.name ${posix}` },
        { field: ['input', 'variables', '2', 'name'], code: 'INVALID', message: `variables.2.name ${posix}` },
        { field: ['input', 'variables', '3', 'name'], code: 'TOO_LONG', message: 'variables.3.name must be at most 128 characters' },
      ],
    });
    // A 128-character name is fine.
    expect((await run('setEnv', { appId: app.id, variables: [{ name: 'A'.repeat(128), value: 'x' }] }, ENV)).userErrors).toEqual([]);
    expect((await run('unsetEnv', { appId: app.id, names: ['A'.repeat(128)] }, ENV)).userErrors).toEqual([]);
  });

  it('refuses values over 4096 characters, a name given twice and more than 100 variables', async () => {
    expect(await run('setEnv', { appId: app.id, variables: [{ name: 'BIG', value: 'x'.repeat(4097) }] }, ENV)).toEqual({
      app: null,
      userErrors: [
        { field: ['input', 'variables', '0', 'value'], code: 'TOO_LONG', message: 'variables.0.value must be at most 4096 characters' },
      ],
    });
    expect((await run('setEnv', { appId: app.id, variables: [{ name: 'BIG', value: 'x'.repeat(4096) }] }, ENV)).userErrors).toEqual([]);
    expect(
      await run(
        'setEnv',
        {
          appId: app.id,
          variables: [
            { name: 'TWICE', value: '1' },
            { name: 'TWICE', value: '2' },
          ],
        },
        ENV,
      ),
    ).toEqual({
      app: null,
      userErrors: [{ field: ['input', 'variables'], code: 'INVALID', message: 'variables must not name a variable twice' }],
    });
    const many = Array.from({ length: 101 }, (_, i) => ({ name: `V${i}`, value: String(i) }));
    expect(await run('setEnv', { appId: app.id, variables: many }, ENV)).toEqual({
      app: null,
      userErrors: [{ field: ['input', 'variables'], code: 'TOO_LONG', message: 'variables must contain at most 100 variables' }],
    });
    expect(await run('setEnv', { appId: app.id, variables: [] }, ENV)).toEqual({
      app: null,
      userErrors: [{ field: ['input', 'variables'], code: 'TOO_SHORT', message: 'variables must contain at least one variable' }],
    });
    // Nothing refused was stored.
    const names = (await readApp('env', 'env { name }')).env.map((v: { name: string }) => v.name);
    expect(names).toEqual(['A', 'B', 'BIG', 'DATABASE_URL', '_private']);
  });

  it('holds at most 500 variables per app (LIMIT_REACHED)', async () => {
    const full = await createApp('env-full');
    for (let batch = 0; batch < 5; batch++) {
      const variables = Array.from({ length: 100 }, (_, i) => ({ name: `V${batch}_${i}`, value: 'x' }));
      expect((await run('setEnv', { appId: full.id, variables }, USER_ERRORS)).userErrors).toEqual([]);
    }
    expect(await run('setEnv', { appId: full.id, variables: [{ name: 'ONE_MORE', value: 'x' }] }, `app { name } ${USER_ERRORS}`)).toEqual({
      app: null,
      userErrors: [
        { field: ['input', 'variables'], code: 'LIMIT_REACHED', message: 'An app may have at most 500 variables; this would make 501.' },
      ],
    });
    // Replacing an existing variable is still fine at the limit.
    expect((await run('setEnv', { appId: full.id, variables: [{ name: 'V0_0', value: 'y' }] }, USER_ERRORS)).userErrors).toEqual([]);
    const { env } = await readApp('env-full', 'env { name }');
    expect(env).toHaveLength(500);
    expect(env.map((v: { name: string }) => v.name)).not.toContain('ONE_MORE');
  });

  it('unsets variables, ignoring unknown names', async () => {
    expect(await run('unsetEnv', { appId: app.id, names: ['BIG', 'NOT_SET', '_private'] }, ENV)).toEqual({
      app: {
        env: [
          { name: 'A', value: '2', secret: true },
          { name: 'B', value: 'b', secret: false },
          { name: 'DATABASE_URL', value: 'postgres://db/app', secret: true },
        ],
      },
      userErrors: [],
    });
    expect(await run('unsetEnv', { appId: app.id, names: ['NOT_SET'] }, ENV)).toEqual({
      app: {
        env: [
          { name: 'A', value: '2', secret: true },
          { name: 'B', value: 'b', secret: false },
          { name: 'DATABASE_URL', value: 'postgres://db/app', secret: true },
        ],
      },
      userErrors: [],
    });
    expect(await run('unsetEnv', { appId: app.id, names: ['1BAD'] }, ENV)).toEqual({
      app: null,
      userErrors: [
        {
          field: ['input', 'names', '0'],
          code: 'INVALID',
          message: 'names.0 must be a POSIX name: letters, digits and underscores, not starting with a digit',
        },
      ],
    });
  });

  it('records names (never values) and whether a running app restarted', async () => {
    const running = await createApp('env-events');
    await deploy(running.id, 'img:1');
    expect(
      (
        await run('setEnv', {
          appId: running.id,
          variables: [
            { name: 'TOKEN', value: 'hunter2-secret', secret: true },
            { name: 'MODE', value: 'prod-value' },
          ],
        })
      ).userErrors,
    ).toEqual([]);
    expect(
      (await run('setEnv', { appId: running.id, variables: [{ name: 'MODE', value: 'dev-value' }], noRestart: true })).userErrors,
    ).toEqual([]);
    expect((await run('unsetEnv', { appId: running.id, names: ['MODE', 'GHOST'] })).userErrors).toEqual([]);
    expect((await run('unsetEnv', { appId: running.id, names: ['TOKEN'], noRestart: true })).userErrors).toEqual([]);
    expect((await run('stopApp', { appId: running.id })).userErrors).toEqual([]);
    expect((await run('setEnv', { appId: running.id, variables: [{ name: 'AFTER', value: 'stopped-value' }] })).userErrors).toEqual([]);

    const { events } = await readApp('env-events', 'events(first: 10) { nodes { kind data } }');
    const envEvents = events.nodes.filter((e: { kind: string }) => e.kind.startsWith('app.env.'));
    expect(envEvents).toEqual([
      { kind: 'app.env.set', data: { names: ['AFTER'], restarted: false } },
      { kind: 'app.env.unset', data: { names: ['TOKEN'], restarted: false } },
      { kind: 'app.env.unset', data: { names: ['MODE'], restarted: true } },
      { kind: 'app.env.set', data: { names: ['MODE'], restarted: false } },
      { kind: 'app.env.set', data: { names: ['TOKEN', 'MODE'], restarted: true } },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/hunter2|prod-value|dev-value|stopped-value/);
  });

  it('needs app:env:write: a viewer is FORBIDDEN, a stranger gets NOT_FOUND', async () => {
    const set = { appId: app.id, variables: [{ name: 'X', value: '1' }] };
    const unset = { appId: app.id, names: ['A'] };
    for (const [name, input] of [
      ['setEnv', set],
      ['unsetEnv', unset],
    ] as const) {
      expect(errorsOf(await attempt(name, input, viewer.token))?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
      expect(errorsOf(await attempt(name, input, stranger.token))?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
    }
    expect((await readApp('env', 'env { name }')).env.map((v: { name: string }) => v.name)).toEqual(['A', 'B', 'DATABASE_URL']);
  });
});

describe('cnames', () => {
  let a: { id: string; name: string };
  let b: { id: string; name: string };
  const CNAMES = `app { cnames } ${USER_ERRORS}`;
  beforeAll(async () => {
    a = await createApp('cname-a');
    b = await createApp('cname-b');
  });

  it('adds cnames lower-cased', async () => {
    expect(await run('addCname', { appId: a.id, cname: 'WWW.Example.COM' }, CNAMES)).toEqual({
      app: { cnames: ['www.example.com'] },
      userErrors: [],
    });
    expect(await run('addCname', { appId: a.id, cname: ' api.example.com ' }, CNAMES)).toEqual({
      app: { cnames: ['api.example.com', 'www.example.com'] },
      userErrors: [],
    });
  });

  it('refuses invalid hostnames', async () => {
    const invalid = 'cname must be a hostname like www.example.com: dot-separated labels of letters, digits and hyphens';
    for (const cname of ['nodot', '-a.com', 'a..com', 'a-.com', 'under_score.com', '']) {
      expect(await run('addCname', { appId: a.id, cname }, CNAMES)).toEqual({
        app: null,
        userErrors: [{ field: ['input', 'cname'], code: 'INVALID', message: invalid }],
      });
    }
    const label = 'a'.repeat(63);
    const longest = [label, label, label, 'a'.repeat(57), 'com'].join('.'); // 253 characters
    expect(longest).toHaveLength(253);
    const tooLong = `a${longest}`;
    // Over 253 characters breaks both the length and the hostname rule: both are reported.
    expect(await run('addCname', { appId: a.id, cname: tooLong }, CNAMES)).toEqual({
      app: null,
      userErrors: [
        { field: ['input', 'cname'], code: 'TOO_LONG', message: 'cname must be at most 253 characters' },
        { field: ['input', 'cname'], code: 'INVALID', message: invalid },
      ],
    });
    expect((await run('addCname', { appId: a.id, cname: longest }, CNAMES)).userErrors).toEqual([]);
    expect((await run('removeCname', { appId: a.id, cname: longest }, CNAMES)).userErrors).toEqual([]);
    expect((await readApp('cname-a', 'cnames')).cnames).toEqual(['api.example.com', 'www.example.com']);
  });

  it('keeps cnames unique on the platform (TAKEN)', async () => {
    const taken = { field: ['input', 'cname'], code: 'TAKEN', message: 'cname www.example.com is already used by an app.' };
    expect(await run('addCname', { appId: b.id, cname: 'www.EXAMPLE.com' }, CNAMES)).toEqual({ app: null, userErrors: [taken] });
    expect(await run('addCname', { appId: a.id, cname: 'www.example.com' }, CNAMES)).toEqual({ app: null, userErrors: [taken] });
    expect((await readApp('cname-b', 'cnames')).cnames).toEqual([]);
  });

  it('gives a cname to exactly one of several apps adding it at once', async () => {
    const apps = await Promise.all(['life', 'units', 'env', 'cname-a', 'cname-b'].map((name) => readApp(name, 'id name')));
    const results = await Promise.all(apps.map((app) => run('addCname', { appId: app.id, cname: 'race.example.com' }, CNAMES)));
    const winners = results.filter((r) => r.userErrors.length === 0);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.userErrors.length > 0).map((r) => r.userErrors)).toEqual(
      Array(4).fill([{ field: ['input', 'cname'], code: 'TAKEN', message: 'cname race.example.com is already used by an app.' }]),
    );
    const owners = await Promise.all(apps.map((app) => readApp(app.name, 'name cnames')));
    expect(owners.filter((o) => o.cnames.includes('race.example.com'))).toHaveLength(1);
    const winner = apps[results.findIndex((r) => r.userErrors.length === 0)];
    expect((await run('removeCname', { appId: winner.id, cname: 'race.example.com' }, CNAMES)).userErrors).toEqual([]);
  });

  it('removes cnames; an unknown one is INVALID', async () => {
    expect(await run('removeCname', { appId: b.id, cname: 'www.example.com' }, CNAMES)).toEqual({
      app: null,
      userErrors: [{ field: ['input', 'cname'], code: 'INVALID', message: 'cname-b has no cname www.example.com.' }],
    });
    expect(await run('removeCname', { appId: a.id, cname: 'WWW.example.com' }, CNAMES)).toEqual({
      app: { cnames: ['api.example.com'] },
      userErrors: [],
    });
    // Once removed it is free for another app.
    expect(await run('addCname', { appId: b.id, cname: 'www.example.com' }, CNAMES)).toEqual({
      app: { cnames: ['www.example.com'] },
      userErrors: [],
    });
  });

  it('needs app:update: a viewer is FORBIDDEN, a stranger gets NOT_FOUND', async () => {
    for (const name of ['addCname', 'removeCname']) {
      expect(errorsOf(await attempt(name, { appId: a.id, cname: 'api.example.com' }, viewer.token))?.map((e) => e.extensions.code)).toEqual(
        ['FORBIDDEN'],
      );
      expect(
        errorsOf(await attempt(name, { appId: a.id, cname: 'api.example.com' }, stranger.token))?.map((e) => e.extensions.code),
      ).toEqual(['NOT_FOUND']);
    }
    expect((await readApp('cname-a', 'cnames')).cnames).toEqual(['api.example.com']);
  });
});

describe('deploys', () => {
  const DEPLOY = `deploy { version origin image commit message status } ${USER_ERRORS}`;

  it('needs exactly one of image or commit, and a commit of 7 to 40 hex digits', async () => {
    const app = await createApp('deploy-rules');
    expect(await run('deployApp', { appId: app.id, image: 'img:1', commit: 'abcdef1' }, DEPLOY)).toEqual({
      deploy: null,
      userErrors: [
        { field: ['input', 'commit'], code: 'INVALID', message: 'commit must be left out when image is given: deploy one or the other' },
      ],
    });
    expect(await run('deployApp', { appId: app.id, message: 'nothing' }, DEPLOY)).toEqual({
      deploy: null,
      userErrors: [
        { field: ['input', 'image'], code: 'INVALID', message: 'image or commit is required: give the image or the git commit to deploy' },
      ],
    });
    const hex = 'commit must be a git commit hash: 7 to 40 hexadecimal digits';
    for (const commit of ['abcde1', 'a'.repeat(41), 'xyz1234', 'abc 1234']) {
      expect(await run('deployApp', { appId: app.id, commit }, DEPLOY)).toEqual({
        deploy: null,
        userErrors: [{ field: ['input', 'commit'], code: 'INVALID', message: hex }],
      });
    }
    // Accepted deploys are queued: PENDING until their operation releases them.
    expect(await run('deployApp', { appId: app.id, commit: 'abcdef1', message: 'first' }, DEPLOY)).toEqual({
      deploy: { version: 1, origin: 'GIT', image: null, commit: 'abcdef1', message: 'first', status: 'PENDING' },
      userErrors: [],
    });
    const full = '0123456789abcdef0123456789abcdef01234567';
    expect(await run('deployApp', { appId: app.id, commit: full }, DEPLOY)).toEqual({
      deploy: { version: 2, origin: 'GIT', image: null, commit: full, message: '', status: 'PENDING' },
      userErrors: [],
    });
    // Refused deploys used no version numbers.
    const { deploys } = await readApp('deploy-rules', 'deploys(first: 10) { nodes { version } }');
    expect(deploys.nodes).toEqual([{ version: 2 }, { version: 1 }]);
  });

  it('rolls back as a new version: history reads 3, 2, 1', async () => {
    const app = await createApp('history');
    await deploy(app.id, 'registry.example.com/history:1');
    await deploy(app.id, 'registry.example.com/history:2');
    const rollback = await run(
      'rollbackApp',
      { appId: app.id, version: 1 },
      `deploy { version origin image message status rollbackOf { version image } } app { state } ${USER_ERRORS}`,
    );
    expect(rollback).toEqual({
      deploy: {
        version: 3,
        origin: 'ROLLBACK',
        image: 'registry.example.com/history:1',
        message: 'Rollback to version 1',
        status: 'PENDING',
        rollbackOf: { version: 1, image: 'registry.example.com/history:1' },
      },
      app: { state: 'RUNNING' },
      userErrors: [],
    });
    const history = await readApp(
      'history',
      'deploys(first: 5) { totalCount nodes { version origin image rollbackOf { version } user { email } } }',
    );
    expect(history.deploys).toEqual({
      totalCount: 3,
      nodes: [
        {
          version: 3,
          origin: 'ROLLBACK',
          image: 'registry.example.com/history:1',
          rollbackOf: { version: 1 },
          user: { email: owner.email },
        },
        { version: 2, origin: 'IMAGE', image: 'registry.example.com/history:2', rollbackOf: null, user: { email: owner.email } },
        { version: 1, origin: 'IMAGE', image: 'registry.example.com/history:1', rollbackOf: null, user: { email: owner.email } },
      ],
    });

    expect(await run('rollbackApp', { appId: app.id, version: 7 }, DEPLOY)).toEqual({
      deploy: null,
      userErrors: [{ field: ['input', 'version'], code: 'INVALID', message: 'history has no version 7; see App.deploys.' }],
    });
    expect(await run('rollbackApp', { appId: app.id, version: 0 }, DEPLOY)).toEqual({
      deploy: null,
      userErrors: [{ field: ['input', 'version'], code: 'INVALID', message: 'version must be 1 or more' }],
    });
    expect((await readApp('history', 'deploys(first: 5) { totalCount }')).deploys.totalCount).toBe(3);
  });

  it('makes a Deploy a Node: readers resolve it, strangers get NOT_FOUND', async () => {
    const { deploys } = await readApp('history', 'deploys(first: 1) { nodes { id version } }');
    const id = deploys.nodes[0].id;
    const query = `query($id: ID!) { node(id: $id) { id __typename ... on Deploy { version app { name } } } }`;
    expect((await server.gql(query, { id }, viewer.token)).body).toEqual({
      data: { node: { id, __typename: 'Deploy', version: 3, app: { name: 'history' } } },
    });
    const asStranger = await server.gql(query, { id }, stranger.token);
    expect(asStranger.body.data).toEqual({ node: null });
    expect(errorsOf(asStranger)?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
    // node(id:) is open to anonymous callers, for whom every private object does not exist.
    const anonymous = await server.gql(query, { id });
    expect(anonymous.body.data).toEqual({ node: null });
    expect(errorsOf(anonymous)?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
  });

  it('needs app:deploy: a viewer is FORBIDDEN, a stranger gets NOT_FOUND', async () => {
    const { id } = await readApp('history', 'id');
    for (const [name, input] of [
      ['deployApp', { appId: id, image: 'img:x' }],
      ['rollbackApp', { appId: id, version: 1 }],
    ] as const) {
      expect(errorsOf(await attempt(name, input, viewer.token))?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
      expect(errorsOf(await attempt(name, input, stranger.token))?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
    }
    expect((await readApp('history', 'deploys(first: 5) { totalCount }')).deploys.totalCount).toBe(3);
  });

  it('numbers 10 parallel deploys 1..10 with no duplicates', async () => {
    const app = await createApp('deploy-race');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => run('deployApp', { appId: app.id, image: `img:${i}` }, `deploy { version } ${USER_ERRORS}`)),
    );
    expect(results.map((r) => r.userErrors)).toEqual(Array(10).fill([]));
    expect(results.map((r) => r.deploy.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const { deploys } = await readApp('deploy-race', 'deploys(first: 20) { totalCount nodes { version } }');
    expect(deploys.totalCount).toBe(10);
    expect(deploys.nodes.map((d: { version: number }) => d.version)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });
});
