import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teams } from '../src/db/schema/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { api, dbId, expectRefused, USER_ERRORS, type TeamRef, type User } from './support/api.js';

// Apps (issue 3): createApp and its rules, permissions of every mutation family for each role,
// a granted team and a stranger, updateApp / deleteApp / grants, filters and paging, env secrets,
// viewerPermissions, quota and audit events.

type Role = 'ADMIN' | 'MEMBER' | 'VIEWER';

let server: TestServer;
let rootToken: string;
/** acme: owner (OWNER), admin (ADMIN), member (MEMBER), viewer (VIEWER). */
let owner: User;
let admin: User;
let member: User;
let viewer: User;
/** In no team of anyone else's. */
let stranger: User;
/** partner: partnerOwner (OWNER) and grantee, whose role there the tests change. */
let partnerOwner: User;
let grantee: User;
let acme: TeamRef;
let partner: TeamRef;
let granteeMembership: string;

const { ok, newTeam, addMember, settled } = api(() => server);

const forbiddenMessage = (permission: string, action: string) => `You need the ${permission} permission to ${action}.`;

async function setRole(membershipId: string, role: Role, managerToken: string) {
  const data = await ok(
    `mutation($input: SetMemberRoleInput!) { setMemberRole(input: $input) { membership { role } ${USER_ERRORS} } }`,
    { input: { membershipId, role } },
    managerToken,
  );
  expect(data.setMemberRole).toEqual({ membership: { role }, userErrors: [] });
}

async function setMaxApps(team: TeamRef, maxApps: number) {
  await server.database.db
    .update(teams)
    .set({ maxApps })
    .where(eq(teams.id, dbId(team.id)));
}

const APP_FIELDS = 'id name description platform plan pool tags state locked';

const CREATE = `mutation($input: CreateAppInput!) { createApp(input: $input) { app { ${APP_FIELDS} team { slug } } ${USER_ERRORS} } }`;
const UPDATE = `mutation($input: UpdateAppInput!) { updateApp(input: $input) { app { ${APP_FIELDS} team { slug } } ${USER_ERRORS} } }`;
const DELETE = `mutation($input: DeleteAppInput!) { deleteApp(input: $input) { deletedAppId ${USER_ERRORS} } }`;
const SET_ENV = `mutation($input: SetEnvInput!) { setEnv(input: $input) { app { name env { name value secret } } ${USER_ERRORS} } }`;
const DEPLOY = `mutation($input: DeployAppInput!) { deployApp(input: $input) {
  deploy { version status origin image } app { name state } operation { id type status } ${USER_ERRORS} } }`;
const START = `mutation($input: StartAppInput!) { startApp(input: $input) { app { name state } ${USER_ERRORS} } }`;
const STOP = `mutation($input: StopAppInput!) { stopApp(input: $input) { app { name state } ${USER_ERRORS} } }`;
const GRANT = `mutation($input: GrantAppAccessInput!) { grantAppAccess(input: $input) { app { name } ${USER_ERRORS} } }`;
const REVOKE = `mutation($input: RevokeAppAccessInput!) { revokeAppAccess(input: $input) { app { name } ${USER_ERRORS} } }`;
const QUOTA = `mutation($input: SetAppQuotaInput!) { setAppQuota(input: $input) { app { name quota { used limit } } ${USER_ERRORS} } }`;
const ADD_UNITS = `mutation($input: AddUnitsInput!) { addUnits(input: $input) { app { name } ${USER_ERRORS} } }`;

/** Creates an app (as `token`, in `team`) and returns its global ID. */
async function createApp(team: TeamRef, name: string, token = owner.token, extra: Record<string, unknown> = {}): Promise<string> {
  const data = await ok(CREATE, { input: { teamId: team.id, name, platform: 'node', ...extra } }, token);
  expect(data.createApp.userErrors).toEqual([]);
  return data.createApp.app.id;
}

/** Deploys and waits for the deploy's operation, so the app is RUNNING afterwards. */
async function deploy(appId: string, token = owner.token) {
  const data = await ok(DEPLOY, { input: { appId, image: 'registry.example.com/web:1' } }, token);
  expect(data.deployApp.userErrors).toEqual([]);
  expect((await settled(data.deployApp.operation.id, token)).status).toBe('DONE');
  return data.deployApp;
}

async function update(appId: string, changes: Record<string, unknown>, token = owner.token) {
  const data = await ok(UPDATE, { input: { appId, ...changes } }, token);
  expect(data.updateApp.userErrors).toEqual([]);
  return data.updateApp.app;
}

beforeAll(async () => {
  server = await startTestServer();
  rootToken = await server.adminToken();
  [owner, admin, member, viewer, stranger, partnerOwner, grantee] = await Promise.all(
    ['owner', 'admin', 'member', 'viewer', 'stranger', 'partner-owner', 'grantee'].map((n) => server.signUp(`${n}@apps.test`)),
  );
  acme = await newTeam('acme', owner.token);
  await setMaxApps(acme, 100);
  await addMember(acme, admin, 'ADMIN', owner.token);
  await addMember(acme, member, 'MEMBER', owner.token);
  await addMember(acme, viewer, 'VIEWER', owner.token);
  partner = await newTeam('partner', partnerOwner.token);
  granteeMembership = await addMember(partner, grantee, 'VIEWER', partnerOwner.token);
});
afterAll(() => server.close());

describe('catalogs', () => {
  it('platforms, plans and pools list the seeded catalogs', async () => {
    const data = await ok(
      `{ platforms { name description } plans { name description memoryMb cpuMillis isDefault } pools { name description isDefault } }`,
      {},
      stranger.token,
    );
    expect(data).toEqual({
      platforms: [
        { name: 'go', description: 'Go' },
        { name: 'java', description: 'Java' },
        { name: 'node', description: 'Node.js' },
        { name: 'python', description: 'Python' },
        { name: 'ruby', description: 'Ruby' },
        { name: 'static', description: 'Static files served by nginx' },
      ],
      plans: [
        { name: 'small', description: '256 MB, 0.25 CPU', memoryMb: 256, cpuMillis: 250, isDefault: true },
        { name: 'medium', description: '1 GB, 1 CPU', memoryMb: 1024, cpuMillis: 1000, isDefault: false },
        { name: 'large', description: '4 GB, 2 CPU', memoryMb: 4096, cpuMillis: 2000, isDefault: false },
      ],
      pools: [
        { name: 'dedicated', description: 'Dedicated nodes', isDefault: false },
        { name: 'default', description: 'Shared pool', isDefault: true },
      ],
    });
  });

  it('are public, but a refused token is an error; apps and createApp need authentication', async () => {
    expect((await server.gql('{ pools { name } }')).body).toEqual({ data: { pools: [{ name: 'dedicated' }, { name: 'default' }] } });
    expect((await server.gql('{ pools { name } }', {}, 'not-a-token')).body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await server.gql('{ apps { totalCount } }')).body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const create = await server.gql(CREATE, { input: { teamId: acme.id, name: 'anonymous', platform: 'node' } });
    expect(create.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('createApp', () => {
  it('creates an app with the default plan and pool', async () => {
    const r = await server.gql(
      CREATE.replace('team { slug }', 'team { slug } quota { used limit } processes { name } env { name } cnames grantedTeams { slug }'),
      { input: { teamId: acme.id, name: 'web-shop', platform: 'node', description: 'The shop', tags: ['web', 'prod'] } },
      member.token,
    );
    expect(r.body).toEqual({
      data: {
        createApp: {
          app: {
            id: expect.any(String),
            name: 'web-shop',
            description: 'The shop',
            platform: 'node',
            plan: 'small',
            pool: 'default',
            tags: ['web', 'prod'],
            state: 'STOPPED',
            locked: false,
            team: { slug: 'acme' },
            quota: { used: 0, limit: null },
            processes: [],
            env: [],
            cnames: [],
            grantedTeams: [],
          },
          userErrors: [],
        },
      },
    });
    const id = r.body.data.createApp.app.id;
    const read = await ok(`{ app(name: "web-shop") { id name plan pool } }`, {}, viewer.token);
    expect(read).toEqual({ app: { id, name: 'web-shop', plan: 'small', pool: 'default' } });
  });

  it('takes an explicit plan and pool', async () => {
    const data = await ok(
      CREATE,
      { input: { teamId: acme.id, name: 'big-one', platform: 'go', plan: 'large', pool: 'dedicated' } },
      admin.token,
    );
    expect(data.createApp.app).toMatchObject({
      name: 'big-one',
      platform: 'go',
      plan: 'large',
      pool: 'dedicated',
      description: '',
      tags: [],
    });
    expect(data.createApp.userErrors).toEqual([]);
  });

  it('refuses names that break the rules, naming the field', async () => {
    const message = 'name must start with a lowercase letter and have at most 40 lowercase letters, digits or hyphens';
    for (const name of ['Web', '1app', 'a'.repeat(41), '', 'my_app', 'web.shop']) {
      const r = await server.gql(CREATE, { input: { teamId: acme.id, name, platform: 'node' } }, owner.token);
      expect(r.body, name).toEqual({
        data: { createApp: { app: null, userErrors: [{ field: ['input', 'name'], code: 'INVALID', message }] } },
      });
    }
    // 40 characters is the longest name allowed.
    await createApp(acme, 'a'.repeat(40));
  });

  it('refuses a name already used, also by another team', async () => {
    await createApp(acme, 'taken-name');
    const taken = {
      field: ['input', 'name'],
      code: 'TAKEN',
      message: 'name "taken-name" is already used by another app; app names are unique on the platform.',
    };
    const same = await server.gql(CREATE, { input: { teamId: acme.id, name: 'taken-name', platform: 'python' } }, owner.token);
    expect(same.body).toEqual({ data: { createApp: { app: null, userErrors: [taken] } } });
    const other = await server.gql(CREATE, { input: { teamId: partner.id, name: 'taken-name', platform: 'python' } }, partnerOwner.token);
    expect(other.body).toEqual({ data: { createApp: { app: null, userErrors: [taken] } } });
  });

  it('refuses an unknown platform, plan or pool, naming the field', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ platform: 'cobol' }, 'platform', 'platform "cobol" does not exist; see the platforms query for the choices.'],
      [{ plan: 'huge' }, 'plan', 'plan "huge" does not exist; see the plans query for the choices.'],
      [{ pool: 'moon' }, 'pool', 'pool "moon" does not exist; see the pools query for the choices.'],
    ];
    for (const [input, field, message] of cases) {
      const r = await server.gql(CREATE, { input: { teamId: acme.id, name: 'catalog-check', platform: 'node', ...input } }, owner.token);
      expect(r.body, field).toEqual({
        data: { createApp: { app: null, userErrors: [{ field: ['input', field], code: 'INVALID', message }] } },
      });
    }
    expectRefused(
      await server.gql(`{ app(name: "catalog-check") { name } }`, {}, owner.token),
      'app',
      'NOT_FOUND',
      'App "catalog-check" not found.',
      {
        app: null,
      },
    );
  });

  it('refuses beyond the team’s app limit', async () => {
    const small = await newTeam('small-team', owner.token);
    await setMaxApps(small, 1);
    await createApp(small, 'only-one');
    const r = await server.gql(CREATE, { input: { teamId: small.id, name: 'one-too-many', platform: 'node' } }, owner.token);
    expect(r.body).toEqual({
      data: {
        createApp: {
          app: null,
          userErrors: [
            {
              field: ['input', 'teamId'],
              code: 'LIMIT_REACHED',
              message: 'Team small-team already has 1 apps, its limit; delete one or ask an admin to raise it.',
            },
          ],
        },
      },
    });
    const count = await ok(`{ team(slug: "small-team") { apps { totalCount nodes { name } } } }`, {}, owner.token);
    expect(count).toEqual({ team: { apps: { totalCount: 1, nodes: [{ name: 'only-one' }] } } });
  });

  it('keeps the app limit under concurrency: 30 parallel creates against a limit of 10 make exactly 10', async () => {
    const rush = await newTeam('rush', owner.token);
    await setMaxApps(rush, 10);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        server.gql(CREATE, { input: { teamId: rush.id, name: `rush${i}`, platform: 'node' } }, owner.token),
      ),
    );
    for (const r of results) expect(r.body.errors).toBeUndefined();
    const created = results.filter((r) => r.body.data.createApp.app);
    const refused = results.filter((r) => !r.body.data.createApp.app);
    expect(created).toHaveLength(10);
    expect(refused).toHaveLength(20);
    for (const r of refused) expect(r.body.data.createApp.userErrors.map((e: { code: string }) => e.code)).toEqual(['LIMIT_REACHED']);
    const count = await ok(`{ team(slug: "rush") { apps { totalCount } } }`, {}, owner.token);
    expect(count).toEqual({ team: { apps: { totalCount: 10 } } });
  });

  it('gives one app and TAKEN to the rest when parallel creates in different teams race for a name', async () => {
    const race = await newTeam('race', owner.token);
    const r = await Promise.all(
      [acme, race, acme, race].map((team) =>
        server.gql(CREATE, { input: { teamId: team.id, name: 'race-name', platform: 'node' } }, owner.token),
      ),
    );
    for (const one of r) expect(one.body.errors).toBeUndefined();
    expect(r.filter((one) => one.body.data.createApp.app)).toHaveLength(1);
    expect(r.flatMap((one) => one.body.data.createApp.userErrors.map((e: { code: string }) => e.code))).toEqual([
      'TAKEN',
      'TAKEN',
      'TAKEN',
    ]);
  });

  it('rejects a malformed team ID as bad input', async () => {
    const r = await server.gql(CREATE, { input: { teamId: 'nope', name: 'bad-team-id', platform: 'node' } }, owner.token);
    expect(r.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('permissions of each mutation family', () => {
  let counter = 0;
  /** A fresh app of acme, deployed (RUNNING, one unit) when asked. */
  async function freshApp(deployed = false): Promise<{ id: string; name: string }> {
    const name = `perm${++counter}`;
    const id = await createApp(acme, name);
    if (deployed) await deploy(id);
    return { id, name };
  }

  it('createApp: VIEWER FORBIDDEN, MEMBER and ADMIN allowed, a stranger finds no team', async () => {
    const input = (name: string) => ({ input: { teamId: acme.id, name, platform: 'node' } });
    expectRefused(
      await server.gql(CREATE, input('by-viewer'), viewer.token),
      'createApp',
      'FORBIDDEN',
      forbiddenMessage('app:create', 'create apps in this team'),
    );
    expect((await ok(CREATE, input('by-member'), member.token)).createApp.userErrors).toEqual([]);
    expect((await ok(CREATE, input('by-admin'), admin.token)).createApp.userErrors).toEqual([]);
    expectRefused(await server.gql(CREATE, input('by-stranger'), stranger.token), 'createApp', 'NOT_FOUND', 'Team not found.');
  });

  it('updateApp: VIEWER FORBIDDEN, MEMBER and ADMIN allowed, a stranger finds no app', async () => {
    const app = await freshApp();
    const input = (description: string) => ({ input: { appId: app.id, description } });
    expectRefused(
      await server.gql(UPDATE, input('v'), viewer.token),
      'updateApp',
      'FORBIDDEN',
      forbiddenMessage('app:update', 'update this app'),
    );
    expect((await ok(UPDATE, input('by member'), member.token)).updateApp.app.description).toBe('by member');
    expect((await ok(UPDATE, input('by admin'), admin.token)).updateApp.app.description).toBe('by admin');
    expectRefused(await server.gql(UPDATE, input('s'), stranger.token), 'updateApp', 'NOT_FOUND', 'App not found.');
  });

  it('deleteApp: VIEWER and MEMBER FORBIDDEN, ADMIN allowed, a stranger finds no app', async () => {
    const app = await freshApp();
    const input = { input: { appId: app.id } };
    const refusal = forbiddenMessage('app:delete', 'delete this app');
    expectRefused(await server.gql(DELETE, input, viewer.token), 'deleteApp', 'FORBIDDEN', refusal);
    expectRefused(await server.gql(DELETE, input, member.token), 'deleteApp', 'FORBIDDEN', refusal);
    expectRefused(await server.gql(DELETE, input, stranger.token), 'deleteApp', 'NOT_FOUND', 'App not found.');
    expect(await ok(DELETE, input, admin.token)).toEqual({ deleteApp: { deletedAppId: app.id, userErrors: [] } });
  });

  it('setEnv: VIEWER FORBIDDEN, MEMBER and ADMIN allowed, a stranger finds no app', async () => {
    const app = await freshApp();
    const input = (value: string) => ({ input: { appId: app.id, variables: [{ name: 'MODE', value }] } });
    expectRefused(
      await server.gql(SET_ENV, input('v'), viewer.token),
      'setEnv',
      'FORBIDDEN',
      forbiddenMessage('app:env:write', 'set environment variables of this app'),
    );
    expect((await ok(SET_ENV, input('member'), member.token)).setEnv).toEqual({
      app: { name: app.name, env: [{ name: 'MODE', value: 'member', secret: false }] },
      userErrors: [],
    });
    expect((await ok(SET_ENV, input('admin'), admin.token)).setEnv.app.env).toEqual([{ name: 'MODE', value: 'admin', secret: false }]);
    expectRefused(await server.gql(SET_ENV, input('s'), stranger.token), 'setEnv', 'NOT_FOUND', 'App not found.');
  });

  it('deployApp: VIEWER FORBIDDEN, MEMBER and ADMIN allowed, a stranger finds no app', async () => {
    const app = await freshApp();
    const input = { input: { appId: app.id, image: 'registry.example.com/web:1' } };
    expectRefused(
      await server.gql(DEPLOY, input, viewer.token),
      'deployApp',
      'FORBIDDEN',
      forbiddenMessage('app:deploy', 'deploy this app'),
    );
    // Queued: the deploy is PENDING and the app as it was until the operation releases it.
    expect(await ok(DEPLOY, input, member.token)).toEqual({
      deployApp: {
        deploy: { version: 1, status: 'PENDING', origin: 'IMAGE', image: 'registry.example.com/web:1' },
        app: { name: app.name, state: 'STOPPED' },
        operation: { id: expect.any(String), type: 'APP_DEPLOY', status: 'PENDING' },
        userErrors: [],
      },
    });
    expect((await ok(DEPLOY, input, admin.token)).deployApp.deploy.version).toBe(2);
    expectRefused(await server.gql(DEPLOY, input, stranger.token), 'deployApp', 'NOT_FOUND', 'App not found.');
  });

  it('startApp / stopApp: VIEWER FORBIDDEN, MEMBER and ADMIN allowed, a stranger finds no app', async () => {
    const app = await freshApp(true);
    const input = { input: { appId: app.id } };
    expectRefused(await server.gql(STOP, input, viewer.token), 'stopApp', 'FORBIDDEN', forbiddenMessage('app:lifecycle', 'stop this app'));
    expect(await ok(STOP, input, member.token)).toEqual({ stopApp: { app: { name: app.name, state: 'STOPPED' }, userErrors: [] } });
    expectRefused(
      await server.gql(START, input, viewer.token),
      'startApp',
      'FORBIDDEN',
      forbiddenMessage('app:lifecycle', 'start this app'),
    );
    expectRefused(await server.gql(START, input, stranger.token), 'startApp', 'NOT_FOUND', 'App not found.');
    expect(await ok(START, input, member.token)).toEqual({ startApp: { app: { name: app.name, state: 'RUNNING' }, userErrors: [] } });
    expect((await ok(STOP, input, admin.token)).stopApp.app.state).toBe('STOPPED');
    expect((await ok(START, input, admin.token)).startApp.app.state).toBe('RUNNING');
  });

  it('grantAppAccess: VIEWER and MEMBER FORBIDDEN, ADMIN allowed, a stranger finds no app', async () => {
    const app = await freshApp();
    const input = { input: { appId: app.id, teamId: partner.id } };
    const refusal = forbiddenMessage('app:grant', 'grant access to this app');
    expectRefused(await server.gql(GRANT, input, viewer.token), 'grantAppAccess', 'FORBIDDEN', refusal);
    expectRefused(await server.gql(GRANT, input, member.token), 'grantAppAccess', 'FORBIDDEN', refusal);
    expectRefused(await server.gql(GRANT, input, stranger.token), 'grantAppAccess', 'NOT_FOUND', 'App not found.');
    expect(await ok(GRANT, input, admin.token)).toEqual({ grantAppAccess: { app: { name: app.name }, userErrors: [] } });
    // revokeAppAccess needs the same permission.
    const revokeRefusal = forbiddenMessage('app:grant', 'revoke access to this app');
    expectRefused(await server.gql(REVOKE, input, member.token), 'revokeAppAccess', 'FORBIDDEN', revokeRefusal);
    expect(await ok(REVOKE, input, admin.token)).toEqual({ revokeAppAccess: { app: { name: app.name }, userErrors: [] } });
  });

  it('a stranger cannot see the apps at all', async () => {
    const app = await freshApp();
    expectRefused(
      await server.gql(`{ app(name: "${app.name}") { name } }`, {}, stranger.token),
      'app',
      'NOT_FOUND',
      `App "${app.name}" not found.`,
      { app: null },
    );
    expectRefused(
      await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: app.id }, stranger.token),
      'node',
      'NOT_FOUND',
      expect.any(String) as any,
      {
        node: null,
      },
    );
    expect(await ok(`{ apps { totalCount nodes { name } } }`, {}, stranger.token)).toEqual({ apps: { totalCount: 0, nodes: [] } });
  });
});

describe('a granted team', () => {
  let shared: { id: string; name: string };
  const READ = `query($id: ID!) {
    app(name: "shared-app") { name team { slug } grantedTeams { slug } viewerPermissions }
    node(id: $id) { ... on App { name } }
    apps { totalCount nodes { name } }
    teams { nodes { slug } }
  }`;

  beforeAll(async () => {
    shared = { id: await createApp(acme, 'shared-app'), name: 'shared-app' };
    await deploy(shared.id);
    expect(await ok(GRANT, { input: { appId: shared.id, teamId: partner.id } }, admin.token)).toEqual({
      grantAppAccess: { app: { name: 'shared-app' }, userErrors: [] },
    });
  });

  it('lets its members read the app, but not the owner team', async () => {
    expect(await ok(READ, { id: shared.id }, grantee.token)).toEqual({
      app: { name: 'shared-app', team: null, grantedTeams: [{ slug: 'partner' }], viewerPermissions: ['app:read'] },
      node: { name: 'shared-app' },
      apps: { totalCount: 1, nodes: [{ name: 'shared-app' }] },
      teams: { nodes: [{ slug: 'partner' }] },
    });
    expectRefused(await server.gql(`{ team(slug: "acme") { slug } }`, {}, grantee.token), 'team', 'NOT_FOUND', 'Team "acme" not found.', {
      team: null,
    });
    // The grant opens the app only: not the owner team's other apps.
    expectRefused(
      await server.gql(`{ app(name: "web-shop") { name } }`, {}, grantee.token),
      'app',
      'NOT_FOUND',
      'App "web-shop" not found.',
      { app: null },
    );
    // Nor can they create apps in the owner team.
    expectRefused(
      await server.gql(CREATE, { input: { teamId: acme.id, name: 'grantee-app', platform: 'node' } }, grantee.token),
      'createApp',
      'NOT_FOUND',
      'Team not found.',
    );
  });

  it('gives its members the app permissions of their role there', async () => {
    const deployInput = { input: { appId: shared.id, image: 'registry.example.com/web:2' } };
    // VIEWER in the granted team: read only.
    expectRefused(
      await server.gql(DEPLOY, deployInput, grantee.token),
      'deployApp',
      'FORBIDDEN',
      forbiddenMessage('app:deploy', 'deploy this app'),
    );
    expectRefused(
      await server.gql(SET_ENV, { input: { appId: shared.id, variables: [{ name: 'A', value: '1' }] } }, grantee.token),
      'setEnv',
      'FORBIDDEN',
      forbiddenMessage('app:env:write', 'set environment variables of this app'),
    );

    // MEMBER: deploy, lifecycle, env, update; not delete nor grant.
    await setRole(granteeMembership, 'MEMBER', partnerOwner.token);
    // Waits for the deploy's operation: stopping before it releases would race with the release.
    await deploy(shared.id, grantee.token);
    expect((await ok(STOP, { input: { appId: shared.id } }, grantee.token)).stopApp.app.state).toBe('STOPPED');
    expect((await ok(START, { input: { appId: shared.id } }, grantee.token)).startApp.app.state).toBe('RUNNING');
    expect(
      (await ok(SET_ENV, { input: { appId: shared.id, variables: [{ name: 'A', value: '1' }] } }, grantee.token)).setEnv.userErrors,
    ).toEqual([]);
    expect((await ok(UPDATE, { input: { appId: shared.id, description: 'from partner' } }, grantee.token)).updateApp).toMatchObject({
      app: { description: 'from partner', team: null },
      userErrors: [],
    });
    expectRefused(
      await server.gql(DELETE, { input: { appId: shared.id } }, grantee.token),
      'deleteApp',
      'FORBIDDEN',
      forbiddenMessage('app:delete', 'delete this app'),
    );
    const third = await newTeam('third', partnerOwner.token);
    expectRefused(
      await server.gql(GRANT, { input: { appId: shared.id, teamId: third.id } }, grantee.token),
      'grantAppAccess',
      'FORBIDDEN',
      forbiddenMessage('app:grant', 'grant access to this app'),
    );
    expect((await ok(READ, { id: shared.id }, grantee.token)).app.viewerPermissions).toEqual([
      'app:deploy',
      'app:env:read-secrets',
      'app:env:write',
      'app:lifecycle',
      'app:read',
      'app:update',
    ]);

    // ADMIN: delete too, but not sharing the app further: that takes app:grant in the owner team
    // (through a grant it would let a team open the app to any team its admins run).
    await setRole(granteeMembership, 'ADMIN', partnerOwner.token);
    expectRefused(
      await server.gql(GRANT, { input: { appId: shared.id, teamId: third.id } }, grantee.token),
      'grantAppAccess',
      'FORBIDDEN',
      forbiddenMessage('app:grant', 'grant access to this app'),
    );
    expect((await ok(READ, { id: shared.id }, grantee.token)).app.viewerPermissions).toEqual([
      'app:delete',
      'app:deploy',
      'app:env:read-secrets',
      'app:env:write',
      'app:lifecycle',
      'app:read',
      'app:update',
    ]);
    const grants = await ok(`{ app(name: "shared-app") { grantedTeams { slug } } }`, {}, rootToken);
    expect(grants).toEqual({ app: { grantedTeams: [{ slug: 'partner' }] } });
    await setRole(granteeMembership, 'VIEWER', partnerOwner.token);
  });
});

describe('updateApp', () => {
  it('changes description, plan, pool and tags', async () => {
    const id = await createApp(acme, 'to-update', owner.token, { tags: ['old'] });
    const app = await update(id, { description: 'New words', plan: 'medium', pool: 'dedicated', tags: ['a', 'b'] }, member.token);
    expect(app).toEqual({
      id,
      name: 'to-update',
      description: 'New words',
      platform: 'node',
      plan: 'medium',
      pool: 'dedicated',
      tags: ['a', 'b'],
      state: 'STOPPED',
      locked: false,
      team: { slug: 'acme' },
    });
    // Omitted fields stay as they are.
    expect(await update(id, { description: 'Only this' })).toMatchObject({
      description: 'Only this',
      plan: 'medium',
      pool: 'dedicated',
      tags: ['a', 'b'],
    });
  });

  it('refuses an unknown plan or pool, naming the field', async () => {
    const id = await createApp(acme, 'bad-update');
    const plan = await server.gql(UPDATE, { input: { appId: id, plan: 'huge' } }, owner.token);
    expect(plan.body).toEqual({
      data: {
        updateApp: {
          app: null,
          userErrors: [
            { field: ['input', 'plan'], code: 'INVALID', message: 'plan "huge" does not exist; see the plans query for the choices.' },
          ],
        },
      },
    });
    const pool = await server.gql(UPDATE, { input: { appId: id, pool: 'moon' } }, owner.token);
    expect(pool.body.data.updateApp.userErrors).toEqual([
      { field: ['input', 'pool'], code: 'INVALID', message: 'pool "moon" does not exist; see the pools query for the choices.' },
    ]);
    expect(await ok(`{ app(name: "bad-update") { plan pool } }`, {}, owner.token)).toEqual({ app: { plan: 'small', pool: 'default' } });
  });

  it('moves an app to another team only with app:delete in its team and app:create in the target, never a locked one, recorded in both teams’ trails', async () => {
    const target = await newTeam('move-target', owner.token);
    const targetMember = await addMember(target, member, 'VIEWER', owner.token);
    await addMember(target, viewer, 'MEMBER', owner.token);
    const id = await createApp(acme, 'mover');
    const move = (token: string) => server.gql(UPDATE, { input: { appId: id, teamId: target.id } }, token);

    // MEMBER on the app: moving ends the team's hold on it, which takes app:delete (the review's attack).
    expectRefused(await move(member.token), 'updateApp', 'FORBIDDEN', forbiddenMessage('app:delete', 'move this app to another team'));
    await setRole(targetMember, 'ADMIN', owner.token);
    expectRefused(await move(member.token), 'updateApp', 'FORBIDDEN', forbiddenMessage('app:delete', 'move this app to another team'));
    // MEMBER in the target, VIEWER on the app: no app:update.
    expectRefused(await move(viewer.token), 'updateApp', 'FORBIDDEN', forbiddenMessage('app:update', 'update this app'));
    // ADMIN of the app's team but not in the target: the target does not exist for them.
    expectRefused(await move(admin.token), 'updateApp', 'NOT_FOUND', 'Team not found.');
    // ADMIN of the app's team, VIEWER in the target: no app:create there.
    const adminInTarget = await addMember(target, admin, 'VIEWER', owner.token);
    expectRefused(await move(admin.token), 'updateApp', 'FORBIDDEN', forbiddenMessage('app:create', 'move apps into that team'));
    expect(await ok(`{ app(name: "mover") { team { slug } } }`, {}, owner.token)).toEqual({ app: { team: { slug: 'acme' } } });

    await setRole(adminInTarget, 'MEMBER', owner.token);
    await ok(UPDATE, { input: { appId: id, locked: true } }, owner.token);
    expect((await move(admin.token)).body.data.updateApp.userErrors).toEqual([
      { field: ['input', 'appId'], code: 'INVALID_STATE', message: 'App mover is locked; unlock it with updateApp(locked: false) first.' },
    ]);
    await ok(UPDATE, { input: { appId: id, locked: false } }, owner.token);
    const moved = await move(admin.token);
    expect(moved.body.data.updateApp).toMatchObject({ app: { id, name: 'mover', team: { slug: 'move-target' } }, userErrors: [] });
    const lists = await ok(
      `{ acme: team(slug: "acme") { apps(filter: { name: "mover" }) { nodes { name } } } target: team(slug: "move-target") { apps { nodes { name } } } }`,
      {},
      owner.token,
    );
    expect(lists).toEqual({ acme: { apps: { nodes: [] } }, target: { apps: { nodes: [{ name: 'mover' }] } } });
    // Both teams' audit trails record the move, done by the admin.
    const trails = await ok(
      `{ acme: team(slug: "acme") { events(first: 1) { nodes { kind actorEmail data } } } target: team(slug: "move-target") { events(first: 1) { nodes { kind actorEmail data } } } }`,
      {},
      owner.token,
    );
    const moveEvent = { kind: 'app.update', actorEmail: admin.email, data: { changed: ['team'] } };
    expect(trails).toEqual({ acme: { events: { nodes: [moveEvent] } }, target: { events: { nodes: [moveEvent] } } });
  });

  it('refuses to move an app into a team at its app limit', async () => {
    const id = await createApp(acme, 'no-room');
    const r = await server.gql(
      UPDATE,
      { input: { appId: id, teamId: (await ok(`{ team(slug: "small-team") { id } }`, {}, owner.token)).team.id } },
      owner.token,
    );
    expect(r.body).toEqual({
      data: {
        updateApp: {
          app: null,
          userErrors: [
            {
              field: ['input', 'teamId'],
              code: 'LIMIT_REACHED',
              message: 'Team small-team already has 1 apps, its limit; delete one or ask an admin to raise it.',
            },
          ],
        },
      },
    });
  });

  it('moves the app with everything it has; the new owner team’s roles govern it', async () => {
    const origin = await newTeam('origin', owner.token);
    const home = await newTeam('new-home', owner.token);
    const newcomer = await server.signUp('newcomer@apps.test');
    await addMember(home, newcomer, 'MEMBER', owner.token);
    const id = await createApp(origin, 'wanderer');
    await deploy(id);
    await ok(
      SET_ENV,
      { input: { appId: id, variables: [{ name: 'TOKEN', value: 's3cret', secret: true }], noRestart: true } },
      owner.token,
    );
    expect((await ok(GRANT, { input: { appId: id, teamId: partner.id } }, owner.token)).grantAppAccess.userErrors).toEqual([]);
    expect((await update(id, { teamId: home.id })).team).toEqual({ slug: 'new-home' });

    const READ = `{ app(name: "wanderer") {
      team { slug } env { name value secret } processes { name units } units { process status }
      deploys { totalCount nodes { version operation { type status } } }
      viewerPermissions
    } }`;
    const after = {
      team: { slug: 'new-home' },
      env: [{ name: 'TOKEN', value: 's3cret', secret: true }],
      processes: [{ name: 'web', units: 1 }],
      units: [{ process: 'web', status: 'STARTED' }],
      deploys: { totalCount: 1, nodes: [{ version: 1, operation: { type: 'APP_DEPLOY', status: 'DONE' } }] },
    };
    // A MEMBER of the new owner team (in no other team of the app) holds MEMBER's app permissions, secrets included.
    expect.soft(await ok(READ, {}, newcomer.token)).toEqual({
      app: {
        ...after,
        viewerPermissions: ['app:deploy', 'app:env:read-secrets', 'app:env:write', 'app:lifecycle', 'app:read', 'app:update'],
      },
    });

    // The old team owns nothing now, so it may be deleted; that must not take the app's rows with it.
    const deleted = await ok(
      `mutation($input: DeleteTeamInput!) { deleteTeam(input: $input) { deletedTeamId ${USER_ERRORS} } }`,
      { input: { teamId: origin.id } },
      owner.token,
    );
    expect(deleted.deleteTeam).toEqual({ deletedTeamId: origin.id, userErrors: [] });
    expect(await ok(READ.replace('viewerPermissions', 'grantedTeams { slug }'), {}, rootToken)).toEqual({
      app: { ...after, grantedTeams: [{ slug: 'partner' }] },
    });
  });

  it('locks an app: lifecycle, env, deploy and delete are refused until it is unlocked', async () => {
    const id = await createApp(acme, 'lockable');
    await deploy(id);
    expect(await update(id, { locked: true })).toMatchObject({ locked: true });
    const locked = [
      {
        field: ['input', 'appId'],
        code: 'INVALID_STATE',
        message: 'App lockable is locked; unlock it with updateApp(locked: false) first.',
      },
    ];
    const attempts: [string, string, Record<string, unknown>][] = [
      ['stopApp', STOP, { appId: id }],
      ['startApp', START, { appId: id }],
      ['setEnv', SET_ENV, { appId: id, variables: [{ name: 'X', value: '1' }] }],
      ['deployApp', DEPLOY, { appId: id, image: 'registry.example.com/web:9' }],
      ['deleteApp', DELETE, { appId: id }],
    ];
    for (const [field, query, input] of attempts) {
      const r = await server.gql(query, { input }, owner.token);
      expect(r.body.errors, field).toBeUndefined();
      expect(r.body.data[field].userErrors, field).toEqual(locked);
    }
    expect(await ok(`{ app(name: "lockable") { state locked env { name } deploys { totalCount } } }`, {}, owner.token)).toEqual({
      app: { state: 'RUNNING', locked: true, env: [], deploys: { totalCount: 1 } },
    });

    expect(await update(id, { locked: false })).toMatchObject({ locked: false });
    expect((await ok(STOP, { input: { appId: id } }, owner.token)).stopApp).toEqual({
      app: { name: 'lockable', state: 'STOPPED' },
      userErrors: [],
    });
    expect((await ok(DEPLOY, { input: { appId: id, image: 'registry.example.com/web:9' } }, owner.token)).deployApp.deploy.version).toBe(2);
    expect((await ok(DELETE, { input: { appId: id } }, owner.token)).deleteApp).toEqual({ deletedAppId: id, userErrors: [] });
  });
});

describe('deleteApp', () => {
  it('deletes the app: it is gone from lookups and lists', async () => {
    const id = await createApp(acme, 'doomed');
    await deploy(id);
    await ok(SET_ENV, { input: { appId: id, variables: [{ name: 'K', value: 'v' }] } }, owner.token);
    expect(await ok(DELETE, { input: { appId: id } }, admin.token)).toEqual({ deleteApp: { deletedAppId: id, userErrors: [] } });
    expectRefused(await server.gql(`{ app(name: "doomed") { name } }`, {}, owner.token), 'app', 'NOT_FOUND', 'App "doomed" not found.', {
      app: null,
    });
    expectRefused(
      await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, owner.token),
      'node',
      'NOT_FOUND',
      expect.any(String) as any,
      {
        node: null,
      },
    );
    expect(await ok(`{ apps(filter: { name: "doomed" }) { totalCount } }`, {}, owner.token)).toEqual({ apps: { totalCount: 0 } });
    // Deleting again: it no longer exists.
    expectRefused(await server.gql(DELETE, { input: { appId: id } }, admin.token), 'deleteApp', 'NOT_FOUND', 'App not found.');
    // The name is free again.
    await createApp(acme, 'doomed');
  });
});

describe('grantAppAccess and revokeAppAccess', () => {
  let appId: string;
  beforeAll(async () => {
    appId = await createApp(acme, 'grant-me');
  });

  it('refuses a grant that exists, or to the owner team', async () => {
    expect((await ok(GRANT, { input: { appId, teamId: partner.id } }, owner.token)).grantAppAccess.userErrors).toEqual([]);
    const again = await server.gql(GRANT, { input: { appId, teamId: partner.id } }, owner.token);
    expect(again.body).toEqual({
      data: {
        grantAppAccess: {
          app: null,
          userErrors: [{ field: ['input', 'teamId'], code: 'ALREADY_EXISTS', message: 'Team partner already has access to grant-me.' }],
        },
      },
    });
    const ownerTeam = await server.gql(GRANT, { input: { appId, teamId: acme.id } }, owner.token);
    expect(ownerTeam.body).toEqual({
      data: {
        grantAppAccess: {
          app: null,
          userErrors: [{ field: ['input', 'teamId'], code: 'ALREADY_EXISTS', message: 'Team acme owns the app and has access already.' }],
        },
      },
    });
    expect(await ok(`{ app(name: "grant-me") { name } }`, {}, grantee.token)).toEqual({ app: { name: 'grant-me' } });
  });

  it('refuses to revoke the owner team, or a team without a grant', async () => {
    const ownerTeam = await server.gql(REVOKE, { input: { appId, teamId: acme.id } }, owner.token);
    expect(ownerTeam.body).toEqual({
      data: {
        revokeAppAccess: {
          app: null,
          userErrors: [
            {
              field: ['input', 'teamId'],
              code: 'NOT_ALLOWED',
              message: 'The owner team’s access cannot be revoked; move the app with updateApp instead.',
            },
          ],
        },
      },
    });
    const rush = await ok(`{ team(slug: "rush") { id } }`, {}, owner.token);
    const notGranted = await server.gql(REVOKE, { input: { appId, teamId: rush.team.id } }, owner.token);
    expect(notGranted.body).toEqual({
      data: {
        revokeAppAccess: {
          app: null,
          userErrors: [{ field: ['input', 'teamId'], code: 'INVALID', message: 'That team has no access grant on grant-me.' }],
        },
      },
    });
  });

  it('after a revoke the granted team’s members find the app no more', async () => {
    expect(await ok(REVOKE, { input: { appId, teamId: partner.id } }, owner.token)).toEqual({
      revokeAppAccess: { app: { name: 'grant-me' }, userErrors: [] },
    });
    expectRefused(
      await server.gql(`{ app(name: "grant-me") { name } }`, {}, grantee.token),
      'app',
      'NOT_FOUND',
      'App "grant-me" not found.',
      { app: null },
    );
    expectRefused(
      await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: appId }, grantee.token),
      'node',
      'NOT_FOUND',
      expect.any(String) as any,
      {
        node: null,
      },
    );
    expect((await ok(`{ apps { nodes { name } } }`, {}, grantee.token)).apps.nodes).not.toContainEqual({ name: 'grant-me' });
    expectRefused(
      await server.gql(DEPLOY, { input: { appId, image: 'registry.example.com/web:1' } }, grantee.token),
      'deployApp',
      'NOT_FOUND',
      'App not found.',
    );
  });
});

describe('apps: filters and ordering', () => {
  let lister: User;
  /** Creation order: delta, alpha, echo, charlie, bravo (different from name order). */
  const CREATED = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
  const LIST = `query($filter: AppFilter, $orderBy: AppOrder) { apps(filter: $filter, orderBy: $orderBy) { totalCount nodes { name } } }`;
  const names = async (variables: Record<string, unknown>, token = lister.token) =>
    ((await ok(LIST, variables, token)).apps.nodes as { name: string }[]).map((n) => n.name);

  beforeAll(async () => {
    lister = await server.signUp('lister@apps.test');
    const one = await newTeam('list-one', lister.token);
    const two = await newTeam('list-two', lister.token);
    const spec: Record<string, [TeamRef, Record<string, unknown>]> = {
      delta: [two, { platform: 'go', pool: 'dedicated', tags: ['web'] }],
      alpha: [one, { platform: 'node', tags: ['web', 'prod'] }],
      echo: [two, { platform: 'node' }],
      charlie: [one, { platform: 'node' }],
      bravo: [one, { platform: 'python', pool: 'dedicated', tags: ['worker'] }],
    };
    const ids: Record<string, string> = {};
    for (const name of CREATED) {
      const [team, extra] = spec[name];
      ids[name] = await createApp(team, name, lister.token, extra);
    }
    await deploy(ids.echo, lister.token);
    await update(ids.charlie, { locked: true }, lister.token);
  });

  it('lists only the apps the viewer can read, by name', async () => {
    expect(await ok(LIST, {}, lister.token)).toEqual({
      apps: { totalCount: 5, nodes: ['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((name) => ({ name })) },
    });
  });

  it('filters by name (substring, case-insensitive and literal)', async () => {
    expect(await names({ filter: { name: 'ha' } })).toEqual(['alpha', 'charlie']);
    expect(await names({ filter: { name: 'HA' } })).toEqual(['alpha', 'charlie']);
    expect(await names({ filter: { name: 'a%' } })).toEqual([]);
    expect(await names({ filter: { name: '_' } })).toEqual([]);
  });

  it('filters by owner team, platform, pool, state, tag and locked', async () => {
    expect(await names({ filter: { teamSlug: 'list-one' } })).toEqual(['alpha', 'bravo', 'charlie']);
    expect(await names({ filter: { teamSlug: 'list-two' } })).toEqual(['delta', 'echo']);
    expect(await names({ filter: { teamSlug: 'acme' } })).toEqual([]);
    expect(await names({ filter: { platform: 'node' } })).toEqual(['alpha', 'charlie', 'echo']);
    expect(await names({ filter: { platform: 'go' } })).toEqual(['delta']);
    expect(await names({ filter: { pool: 'dedicated' } })).toEqual(['bravo', 'delta']);
    expect(await names({ filter: { pool: 'default' } })).toEqual(['alpha', 'charlie', 'echo']);
    expect(await names({ filter: { state: 'RUNNING' } })).toEqual(['echo']);
    expect(await names({ filter: { state: 'STOPPED' } })).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
    expect(await names({ filter: { tag: 'web' } })).toEqual(['alpha', 'delta']);
    expect(await names({ filter: { tag: 'worker' } })).toEqual(['bravo']);
    expect(await names({ filter: { tag: 'none' } })).toEqual([]);
    expect(await names({ filter: { locked: true } })).toEqual(['charlie']);
    expect(await names({ filter: { locked: false } })).toEqual(['alpha', 'bravo', 'delta', 'echo']);
    // Filters combine.
    expect(await names({ filter: { platform: 'node', teamSlug: 'list-one', locked: false } })).toEqual(['alpha']);
    expect(await ok(LIST, { filter: { pool: 'dedicated' } }, lister.token)).toEqual({
      apps: { totalCount: 2, nodes: [{ name: 'bravo' }, { name: 'delta' }] },
    });
  });

  it('filters Team.apps the same way', async () => {
    const data = await ok(`{ team(slug: "list-one") { apps(filter: { tag: "web" }) { totalCount nodes { name } } } }`, {}, lister.token);
    expect(data).toEqual({ team: { apps: { totalCount: 1, nodes: [{ name: 'alpha' }] } } });
  });

  it('orders by NAME and CREATED_AT, both directions', async () => {
    expect(await names({ orderBy: { field: 'NAME', direction: 'ASC' } })).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo']);
    expect(await names({ orderBy: { field: 'NAME', direction: 'DESC' } })).toEqual(['echo', 'delta', 'charlie', 'bravo', 'alpha']);
    expect(await names({ orderBy: { field: 'CREATED_AT', direction: 'ASC' } })).toEqual(CREATED);
    expect(await names({ orderBy: { field: 'CREATED_AT', direction: 'DESC' } })).toEqual([...CREATED].reverse());
  });
});

describe('apps: paging', () => {
  let pager: User;
  let pages: TeamRef;
  const PAGE = `query($first: Int, $after: String, $last: Int, $before: String, $orderBy: AppOrder) {
    apps(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
      nodes { name }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }`;
  async function page(variables: Record<string, unknown>) {
    const { apps } = await ok(PAGE, variables, pager.token);
    return { names: (apps.nodes as { name: string }[]).map((n) => n.name), info: apps.pageInfo };
  }

  beforeAll(async () => {
    pager = await server.signUp('pager@apps.test');
    pages = await newTeam('pages', pager.token);
    for (const name of ['pc', 'pe', 'pg', 'pi', 'pk', 'pm', 'po']) await createApp(pages, name, pager.token);
  });

  it('pages forward and backward by name', async () => {
    const p1 = await page({ first: 3 });
    expect(p1).toEqual({
      names: ['pc', 'pe', 'pg'],
      info: { hasNextPage: true, hasPreviousPage: false, startCursor: expect.any(String), endCursor: expect.any(String) },
    });
    const p2 = await page({ first: 3, after: p1.info.endCursor });
    expect(p2.names).toEqual(['pi', 'pk', 'pm']);
    expect(p2.info).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const p3 = await page({ first: 3, after: p2.info.endCursor });
    expect(p3.names).toEqual(['po']);
    expect(p3.info).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    const b1 = await page({ last: 3 });
    expect(b1.names).toEqual(['pk', 'pm', 'po']);
    expect(b1.info).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const b2 = await page({ last: 3, before: b1.info.startCursor });
    expect(b2.names).toEqual(['pe', 'pg', 'pi']);
    expect(b2.info).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const b3 = await page({ last: 3, before: b2.info.startCursor });
    expect(b3.names).toEqual(['pc']);
    expect(b3.info).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

    const created = await page({ first: 4, orderBy: { field: 'CREATED_AT', direction: 'DESC' } });
    expect(created.names).toEqual(['po', 'pm', 'pk', 'pi']);
    const createdNext = await page({ first: 4, after: created.info.endCursor, orderBy: { field: 'CREATED_AT', direction: 'DESC' } });
    expect(createdNext.names).toEqual(['pg', 'pe', 'pc']);
  });

  it('stays stable when an app sorting before the cursor is inserted between pages', async () => {
    const p1 = await page({ first: 3 });
    expect(p1.names).toEqual(['pc', 'pe', 'pg']);
    await createApp(pages, 'pa', pager.token);
    await createApp(pages, 'pf', pager.token);
    const p2 = await page({ first: 3, after: p1.info.endCursor });
    expect(p2.names).toEqual(['pi', 'pk', 'pm']);

    // Backward: an app sorting after the cursor does not shift the earlier page.
    const b1 = await page({ last: 2 });
    expect(b1.names).toEqual(['pm', 'po']);
    await createApp(pages, 'pz', pager.token);
    await createApp(pages, 'pn', pager.token);
    const b2 = await page({ last: 3, before: b1.info.startCursor });
    expect(b2.names).toEqual(['pg', 'pi', 'pk']);
  });

  it('refuses page sizes outside 1..100', async () => {
    for (const first of [0, 101]) {
      const r = await server.gql(PAGE, { first }, pager.token);
      expect(r.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('App.env and App.viewerPermissions', () => {
  let appId: string;
  beforeAll(async () => {
    appId = await createApp(acme, 'envy');
    const set = await ok(
      SET_ENV,
      {
        input: {
          appId,
          variables: [
            { name: 'PUBLIC_URL', value: 'https://envy.example.com' },
            { name: 'DB_PASSWORD', value: 'hunter2', secret: true },
          ],
          noRestart: true,
        },
      },
      member.token,
    );
    expect(set.setEnv.userErrors).toEqual([]);
  });

  const ENV = `{ app(name: "envy") { env { name value secret } } }`;

  it('hides secret values from a VIEWER, shows them to a MEMBER', async () => {
    expect(await ok(ENV, {}, viewer.token)).toEqual({
      app: {
        env: [
          { name: 'DB_PASSWORD', value: null, secret: true },
          { name: 'PUBLIC_URL', value: 'https://envy.example.com', secret: false },
        ],
      },
    });
    const full = {
      app: {
        env: [
          { name: 'DB_PASSWORD', value: 'hunter2', secret: true },
          { name: 'PUBLIC_URL', value: 'https://envy.example.com', secret: false },
        ],
      },
    };
    expect(await ok(ENV, {}, member.token)).toEqual(full);
    expect(await ok(ENV, {}, admin.token)).toEqual(full);
    expect(await ok(ENV, {}, rootToken)).toEqual(full);
  });

  it('hides secret values from a VIEWER of a granted team, shows them to a MEMBER of it', async () => {
    await ok(GRANT, { input: { appId, teamId: partner.id } }, owner.token);
    expect((await ok(ENV, {}, grantee.token)).app.env[0]).toEqual({ name: 'DB_PASSWORD', value: null, secret: true });
    await setRole(granteeMembership, 'MEMBER', partnerOwner.token);
    expect((await ok(ENV, {}, grantee.token)).app.env[0]).toEqual({ name: 'DB_PASSWORD', value: 'hunter2', secret: true });
    await setRole(granteeMembership, 'VIEWER', partnerOwner.token);
  });

  it('lists exactly the app permissions the viewer holds', async () => {
    const PERMS = `{ app(name: "envy") { viewerPermissions } }`;
    const perms = async (token: string) => (await ok(PERMS, {}, token)).app.viewerPermissions;
    const MEMBER = ['app:deploy', 'app:env:read-secrets', 'app:env:write', 'app:lifecycle', 'app:read', 'app:update'];
    const ADMIN = [
      'app:delete',
      'app:deploy',
      'app:env:read-secrets',
      'app:env:write',
      'app:grant',
      'app:lifecycle',
      'app:read',
      'app:update',
    ];
    expect(await perms(viewer.token)).toEqual(['app:read']);
    expect(await perms(member.token)).toEqual(MEMBER);
    expect(await perms(admin.token)).toEqual(ADMIN);
    expect(await perms(owner.token)).toEqual(ADMIN);
    expect(await perms(rootToken)).toEqual(ADMIN);
  });
});

describe('setAppQuota', () => {
  let appId: string;
  beforeAll(async () => {
    appId = await createApp(acme, 'quota-app');
    await deploy(appId);
  });

  it('is for platform admins only', async () => {
    for (const user of [owner, admin, member, viewer, stranger]) {
      expectRefused(
        await server.gql(QUOTA, { input: { appId, unitLimit: 5 } }, user.token),
        'setAppQuota',
        'FORBIDDEN',
        'Only platform admins (app:update) may set app quotas.',
      );
    }
    expect(await ok(`{ app(name: "quota-app") { quota { used limit } } }`, {}, owner.token)).toEqual({
      app: { quota: { used: 1, limit: null } },
    });
  });

  it('sets and clears the unit limit; refuses one below the units in use', async () => {
    expect(await ok(QUOTA, { input: { appId, unitLimit: 3 } }, rootToken)).toEqual({
      setAppQuota: { app: { name: 'quota-app', quota: { used: 1, limit: 3 } }, userErrors: [] },
    });
    expect((await ok(ADD_UNITS, { input: { appId, process: 'web', count: 2 } }, member.token)).addUnits.userErrors).toEqual([]);
    expect(await ok(`{ app(name: "quota-app") { quota { used limit } } }`, {}, viewer.token)).toEqual({
      app: { quota: { used: 3, limit: 3 } },
    });
    // The limit holds.
    expect(
      (await ok(ADD_UNITS, { input: { appId, process: 'web', count: 1 } }, member.token)).addUnits.userErrors.map((e: any) => e.code),
    ).toEqual(['LIMIT_REACHED']);

    const below = await server.gql(QUOTA, { input: { appId, unitLimit: 2 } }, rootToken);
    expect(below.body).toEqual({
      data: {
        setAppQuota: {
          app: null,
          userErrors: [
            {
              field: ['input', 'unitLimit'],
              code: 'INVALID',
              message: 'unitLimit 2 is below the 3 units the app has; remove units first.',
            },
          ],
        },
      },
    });
    expect(await ok(QUOTA, { input: { appId, unitLimit: null } }, rootToken)).toEqual({
      setAppQuota: { app: { name: 'quota-app', quota: { used: 3, limit: null } }, userErrors: [] },
    });
    expect((await ok(ADD_UNITS, { input: { appId, process: 'web', count: 5 } }, member.token)).addUnits.userErrors).toEqual([]);
    expect(await ok(`{ app(name: "quota-app") { quota { used limit } } }`, {}, owner.token)).toEqual({
      app: { quota: { used: 8, limit: null } },
    });
  });

  it('refuses a negative limit, naming the field', async () => {
    const r = await server.gql(QUOTA, { input: { appId, unitLimit: -1 } }, rootToken);
    expect(r.body.data.setAppQuota.userErrors).toEqual([
      { field: ['input', 'unitLimit'], code: 'INVALID', message: 'unitLimit must be 0 or more, or null for no limit' },
    ]);
  });
});

describe('App.events', () => {
  it('lists what was done to the app, newest first', async () => {
    const id = await createApp(acme, 'audited', member.token);
    await update(id, { description: 'changed' }, member.token);
    await ok(SET_ENV, { input: { appId: id, variables: [{ name: 'S', value: 'x', secret: true }], noRestart: true } }, member.token);
    await deploy(id, member.token);
    await ok(STOP, { input: { appId: id } }, member.token);
    const data = await ok(
      `{ app(name: "audited") { events { totalCount nodes { kind status actorEmail targetType targetId team { slug } } } } }`,
      {},
      viewer.token,
    );
    const event = (kind: string) => ({
      kind,
      status: 'SUCCEEDED',
      actorEmail: member.email,
      targetType: 'App',
      targetId: id,
      team: { slug: 'acme' },
    });
    expect(data).toEqual({
      app: {
        events: {
          totalCount: 5,
          nodes: ['app.stop', 'app.deploy', 'app.env.set', 'app.update', 'app.create'].map(event),
        },
      },
    });
    // Secret values stay out of the audit trail.
    const raw = await ok(`{ app(name: "audited") { events { nodes { data } } } }`, {}, owner.token);
    expect(JSON.stringify(raw)).not.toContain('"x"');
  });
});
