import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { api, USER_ERRORS, type TeamRef, type User } from './support/api.js';

// Bucket/App/Cluster.collaborators (issue 5): who has access to a resource, and why.

let server: TestServer;
let owner: User;
let viewer: User;
let partnerMember: User;
let outsider: User;
let acme: TeamRef;
let partner: TeamRef;

const { ok, newTeam, addMember } = api(() => server);

beforeAll(async () => {
  server = await startTestServer();
  [owner, viewer, partnerMember, outsider] = await Promise.all(
    ['owner', 'viewer', 'partner', 'outsider'].map((n) => server.signUp(`${n}@collaborators.test`)),
  );
  acme = await newTeam('acme-collab', owner.token);
  partner = await newTeam('partner-collab', partnerMember.token);
  await addMember(acme, viewer, 'VIEWER', owner.token);
});
afterAll(() => server?.close());

describe('App.collaborators', () => {
  it('lists team members by role, members of granted teams and resource grants, by email, with their sources', async () => {
    const created = await ok(
      `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id } ${USER_ERRORS} } }`,
      { input: { teamId: acme.id, name: 'collab-app', platform: 'node' } },
      owner.token,
    );
    const appId = created.createApp.app.id;
    await ok(
      `mutation($input: GrantAppAccessInput!) { grantAppAccess(input: $input) { ${USER_ERRORS} } }`,
      { input: { appId, teamId: partner.id } },
      owner.token,
    );
    await ok(
      `mutation($input: CreateAclEntriesInput!) { createAclEntries(input: $input) { ${USER_ERRORS} } }`,
      {
        input: {
          subject: { type: 'USER', id: outsider.id },
          items: [{ permission: 'app:deploy', resourceType: 'APP', resourceId: appId }],
        },
      },
      owner.token,
    );
    const QUERY = `query($id: ID!) { node(id: $id) { ... on App { collaborators {
      user { email } serviceAccount { name } permissions sources { kind role teamSlug permissions } } } } }`;
    const OWNER = [
      'app:delete',
      'app:deploy',
      'app:env:read-secrets',
      'app:env:write',
      'app:grant',
      'app:lifecycle',
      'app:read',
      'app:update',
    ];
    // Through a grant, sharing the app further (app:grant) does not pass on: it is a team permission.
    const GRANTEE_OWNER = OWNER.filter((p) => p !== 'app:grant');
    expect((await ok(QUERY, { id: appId }, owner.token)).node.collaborators).toEqual([
      {
        user: { email: outsider.email },
        serviceAccount: null,
        // An ACL entry of app:deploy implies reading the app.
        permissions: ['app:deploy', 'app:read'],
        sources: [{ kind: 'ACL', role: null, teamSlug: null, permissions: ['app:deploy', 'app:read'] }],
      },
      {
        user: { email: owner.email },
        serviceAccount: null,
        permissions: OWNER,
        sources: [{ kind: 'TEAM_ROLE', role: 'OWNER', teamSlug: 'acme-collab', permissions: OWNER }],
      },
      {
        user: { email: partnerMember.email },
        serviceAccount: null,
        permissions: GRANTEE_OWNER,
        sources: [{ kind: 'GRANTED_TEAM', role: 'OWNER', teamSlug: 'partner-collab', permissions: GRANTEE_OWNER }],
      },
      {
        user: { email: viewer.email },
        serviceAccount: null,
        permissions: ['app:read'],
        sources: [{ kind: 'TEAM_ROLE', role: 'VIEWER', teamSlug: 'acme-collab', permissions: ['app:read'] }],
      },
    ]);
    const refused = await server.gql(QUERY, { id: appId }, viewer.token);
    expect(refused.body.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      ['You need the iam:manage permission to see who has access.', 'FORBIDDEN'],
    ]);
  });
});
