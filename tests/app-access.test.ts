import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { api, USER_ERRORS as ERRORS } from './support/api.js';

let server: TestServer;
let admin: string;
beforeAll(async () => {
  server = await startTestServer();
  admin = await server.adminToken();
});
afterAll(() => server.close());

const { data: ok, createTeam: team } = api(() => server);

async function app(name: string, teamId: string, token: string): Promise<string> {
  const data = await ok(
    `mutation($i: CreateAppInput!) { createApp(input: $i) { app { id } ${ERRORS} } }`,
    { i: { teamId, name, platform: 'node' } },
    token,
  );
  return data.createApp.app.id;
}

const GRANT = `mutation($i: GrantAppAccessInput!) { grantAppAccess(input: $i) { app { id } ${ERRORS} } }`;

describe('access grants seen from the app', () => {
  it('lists every granted team by slug, even to readers who cannot read those teams', async () => {
    const owner = await server.signUp('grants-owner@example.com');
    const other = await server.signUp('grants-other@example.com');
    const ownerTeam = await team('grants-owner', owner.token);
    const otherTeam = await team('grants-other', other.token);
    const appId = await app('grants-app', ownerTeam, owner.token);
    await ok(GRANT, { i: { appId, teamId: otherTeam } }, owner.token);
    const data = await ok(
      `query($n: String!) { app(name: $n) { grantedTeams { slug } accessGrants { teamId teamSlug teamName } } }`,
      { n: 'grants-app' },
      owner.token,
    );
    // The owner cannot read the other team (grantedTeams leaves it out) but sees whom it granted access to.
    expect(data.app).toEqual({
      grantedTeams: [],
      accessGrants: [{ teamId: otherTeam, teamSlug: 'grants-other', teamName: 'grants-other' }],
    });
  });
});

describe('a granted team', () => {
  it('cannot move the app into its own team, nor learn the owner team through the teamSlug filter', async () => {
    const owner = await server.signUp('move-owner@example.com');
    const grantee = await server.signUp('move-grantee@example.com');
    const ownerTeam = await team('move-owner', owner.token);
    const granteeTeam = await team('move-grantee', grantee.token);
    const appId = await app('move-app', ownerTeam, owner.token);
    await ok(GRANT, { i: { appId, teamId: granteeTeam } }, owner.token);

    const move = await server.gql(
      `mutation($i: UpdateAppInput!) { updateApp(input: $i) { app { id } ${ERRORS} } }`,
      { i: { appId, teamId: granteeTeam } },
      grantee.token,
    );
    expect(move.body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      // The grant carried app:delete (the owner held it), but only the owner team's own holders may move the app.
      ['FORBIDDEN', 'You need the app:delete permission to move this app to another team.'],
    ]);

    const byOwnerSlug = await ok(`{ apps(filter: { teamSlug: "move-owner" }) { nodes { name } } }`, {}, grantee.token);
    expect(byOwnerSlug.apps.nodes).toEqual([]);
    const all = await ok(`{ apps { nodes { name } } }`, {}, grantee.token);
    expect(all.apps.nodes).toEqual([{ name: 'move-app' }]);
  });
});

describe('deploying an app whose unit limit is 0', () => {
  it('is refused with LIMIT_REACHED and leaves the app stopped', async () => {
    const owner = await server.signUp('zero-owner@example.com');
    const teamId = await team('zero-team', owner.token);
    const appId = await app('zero-app', teamId, owner.token);
    await ok(`mutation($i: SetAppQuotaInput!) { setAppQuota(input: $i) { app { id } ${ERRORS} } }`, { i: { appId, unitLimit: 0 } }, admin);
    const deploy = await ok(
      `mutation($i: DeployAppInput!) { deployApp(input: $i) { deploy { version } ${ERRORS} } }`,
      { i: { appId, image: 'reg/zero:1' } },
      owner.token,
    );
    expect(deploy.deployApp).toEqual({
      deploy: null,
      userErrors: [
        {
          field: null,
          code: 'LIMIT_REACHED',
          message: 'zero-app may have no units (its unit limit is 0), so nothing could run this deploy.',
        },
      ],
    });
    const after = await ok(`{ app(name: "zero-app") { state deploys { totalCount } } }`, {}, owner.token);
    expect(after.app).toEqual({ state: 'STOPPED', deploys: { totalCount: 0 } });
  });
});
