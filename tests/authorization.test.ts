import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { api, expectRefused, USER_ERRORS, type User } from './support/api.js';

/** Authorization declared once (issue: security review): rules a review showed broken, through HTTP. */

let server: TestServer;
let owner: User;
let viewer: User;
let stranger: User;
let teamId: string;
let appId: string;
beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signUp('owner@authz.test');
  viewer = await server.signUp('viewer@authz.test');
  stranger = await server.signUp('stranger@authz.test');
  teamId = await createTeam('authz', owner.token);
  await addMember({ id: teamId, slug: 'authz' }, viewer, 'VIEWER', owner.token);
  appId = await createApp('authz-web', teamId, owner.token);
});
afterAll(() => server.close());

const { ok, createTeam, addMember, newTeam } = api(() => server);

async function createApp(name: string, team: string, token: string): Promise<string> {
  const r = await ok(
    `mutation($i: CreateAppInput!) { createApp(input: $i) { app { id } ${USER_ERRORS} } }`,
    { i: { teamId: team, name, platform: 'node' } },
    token,
  );
  expect(r.createApp.userErrors).toEqual([]);
  return r.createApp.app.id;
}

const DEPLOY = `mutation($i: DeployAppInput!) { deployApp(input: $i) { deploy { version } ${USER_ERRORS} } }`;

describe('any permission on an object implies reading it', () => {
  it('lets a service account with only an app:deploy ACL entry see and deploy that app, and nothing else of the team', async () => {
    const account = await ok(
      `mutation($i: CreateServiceAccountInput!) { createServiceAccount(input: $i) { serviceAccount { id } ${USER_ERRORS} } }`,
      { i: { teamId, name: 'deployer' } },
      owner.token,
    );
    const subject = { type: 'SERVICE_ACCOUNT', id: account.createServiceAccount.serviceAccount.id };
    const entries = await ok(
      `mutation($i: CreateAclEntriesInput!) { createAclEntries(input: $i) { ${USER_ERRORS} } }`,
      { i: { subject, items: [{ permission: 'app:deploy', resourceType: 'APP', resourceId: appId }] } },
      owner.token,
    );
    expect(entries.createAclEntries.userErrors).toEqual([]);
    const minted = await ok(
      `mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret ${USER_ERRORS} } }`,
      { i: { name: 'ci', serviceAccountId: subject.id } },
      owner.token,
    );
    const ci = minted.createApiToken.secret as string;

    expect(await ok(`{ app(name: "authz-web") { name viewerPermissions } }`, {}, ci)).toEqual({
      app: { name: 'authz-web', viewerPermissions: ['app:deploy', 'app:read'] },
    });
    expect((await ok(DEPLOY, { i: { appId, image: 'registry.test/web:1' } }, ci)).deployApp).toEqual({
      deploy: { version: 1 },
      userErrors: [],
    });
    const team = await server.gql(`{ team(slug: "authz") { name } }`, {}, ci);
    expect(team.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    const other = await createApp('authz-other', teamId, owner.token);
    const refused = await server.gql(DEPLOY, { i: { appId: other, image: 'registry.test/web:1' } }, ci);
    expectRefused(refused, 'deployApp', 'NOT_FOUND', 'App not found.');
  });
});

describe('refused mutations', () => {
  it('are audited as FAILED events that the team’s audit:read holders and the actor see, and strangers do not', async () => {
    const refused = await server.gql(DEPLOY, { i: { appId, image: 'registry.test/web:2' } }, viewer.token);
    expectRefused(refused, 'deployApp', 'FORBIDDEN', 'You need the app:deploy permission to deploy this app.');
    const failed = {
      kind: 'authorization.denied',
      status: 'FAILED',
      actorEmail: viewer.email,
      targetType: 'App',
      error: 'You need the app:deploy permission to deploy this app.',
      data: { mutation: 'deployApp', permission: 'app:deploy' },
    };
    const EVENTS = 'nodes { kind status actorEmail targetType error data }';
    const ofTeam = await ok(`{ team(slug: "authz") { events(first: 1) { ${EVENTS} } } }`, {}, owner.token);
    expect(ofTeam.team.events.nodes).toEqual([failed]);
    const own = await ok(`{ viewer { events(first: 1) { ${EVENTS} } } }`, {}, viewer.token);
    expect(own.viewer.events.nodes).toEqual([failed]);
    // A stranger cannot even find the app: NOT_FOUND, and nothing is recorded in the team's trail.
    expectRefused(await server.gql(DEPLOY, { i: { appId, image: 'x:1' } }, stranger.token), 'deployApp', 'NOT_FOUND', 'App not found.');
    expect((await ok(`{ team(slug: "authz") { events(first: 1) { ${EVENTS} } } }`, {}, owner.token)).team.events.nodes).toEqual([failed]);
  });
});

describe('sharing an app with another team', () => {
  it('passes on only what the granter holds on the app, whatever the grantee team’s roles', async () => {
    // A custom role with app:grant and app:read only: its holder may share the app, but their own
    // team (where they are OWNER) comes back with no more than they held.
    const sharer = await server.signUp('sharer@authz.test');
    const role = await ok(
      `mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } ${USER_ERRORS} } }`,
      { i: { scope: 'TEAM', teamId, name: 'sharers', permissions: ['app:grant', 'app:read'] } },
      owner.token,
    );
    const bound = await ok(
      `mutation($i: SetIamPolicyInput!) { setIamPolicy(input: $i) { ${USER_ERRORS} } }`,
      { i: { subject: { type: 'USER', id: sharer.id }, scope: { type: 'TEAM', id: teamId }, add: { roles: [role.createRole.role.id] } } },
      owner.token,
    );
    expect(bound.setIamPolicy.userErrors).toEqual([]);
    const own = await newTeam('sharer-own', sharer.token);
    const granted = await ok(
      `mutation($i: GrantAppAccessInput!) { grantAppAccess(input: $i) { ${USER_ERRORS} } }`,
      { i: { appId, teamId: own.id } },
      sharer.token,
    );
    expect(granted.grantAppAccess.userErrors).toEqual([]);
    const seen = await ok(`{ app(name: "authz-web") { viewerPermissions env { name value } } }`, {}, sharer.token);
    expect(seen.app.viewerPermissions).toEqual(['app:grant', 'app:read']);
    const deploy = await server.gql(DEPLOY, { i: { appId, image: 'x:2' } }, sharer.token);
    expectRefused(deploy, 'deployApp', 'FORBIDDEN', 'You need the app:deploy permission to deploy this app.');
  });
});

describe('setTeamLimits', () => {
  it('answers NOT_FOUND for a team its caller cannot read, before saying it is for platform admins', async () => {
    const SET = `mutation($i: SetTeamLimitsInput!) { setTeamLimits(input: $i) { team { name } ${USER_ERRORS} } }`;
    expectRefused(await server.gql(SET, { i: { teamId, maxApps: 5 } }, stranger.token), 'setTeamLimits', 'NOT_FOUND', 'Team not found.');
    expectRefused(
      await server.gql(SET, { i: { teamId, maxApps: 5 } }, owner.token),
      'setTeamLimits',
      'FORBIDDEN',
      'Only platform admins (team:update) may set team limits.',
    );
    const admin = await server.adminToken();
    expect((await ok(SET, { i: { teamId, maxApps: 5 } }, admin)).setTeamLimits).toEqual({ team: { name: 'authz' }, userErrors: [] });
  });
});

describe('cnames', () => {
  it('are checked against the permission the catalog names for them (app:env:write), not app:update', async () => {
    const writer = await server.signUp('env-writer@authz.test');
    const entries = await ok(
      `mutation($i: CreateAclEntriesInput!) { createAclEntries(input: $i) { ${USER_ERRORS} } }`,
      { i: { subject: { type: 'USER', id: writer.id }, items: [{ permission: 'app:env:write', resourceType: 'APP', resourceId: appId }] } },
      owner.token,
    );
    expect(entries.createAclEntries.userErrors).toEqual([]);
    const ADD = `mutation($i: AddCnameInput!) { addCname(input: $i) { app { cnames } ${USER_ERRORS} } }`;
    expect((await ok(ADD, { i: { appId, cname: 'www.authz.example' } }, writer.token)).addCname).toEqual({
      app: { cnames: ['www.authz.example'] },
      userErrors: [],
    });
    const updater = await server.signUp('updater@authz.test');
    await ok(
      `mutation($i: CreateAclEntriesInput!) { createAclEntries(input: $i) { ${USER_ERRORS} } }`,
      { i: { subject: { type: 'USER', id: updater.id }, items: [{ permission: 'app:update', resourceType: 'APP', resourceId: appId }] } },
      owner.token,
    );
    expectRefused(
      await server.gql(ADD, { i: { appId, cname: 'api.authz.example' } }, updater.token),
      'addCname',
      'FORBIDDEN',
      'You need the app:env:write permission to add a cname to this app.',
    );
  });
});
