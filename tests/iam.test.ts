import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { api, USER_ERRORS, type TeamRef, type User } from './support/api.js';

// IAM (issue 5): service accounts and their tokens, custom roles, IAM policies, ACL entries.

let server: TestServer;
let owner: User;
let outsider: User;
let acme: TeamRef;

const { ok, newTeam } = api(() => server);

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signUp('owner@iam.test');
  outsider = await server.signUp('outsider@iam.test');
  acme = await newTeam('acme-iam', owner.token);
});
afterAll(() => server?.close());

const SET_POLICY = `mutation($input: SetIamPolicyInput!) { setIamPolicy(input: $input) {
  iamPolicy { subjectType scopeType roles { name builtIn } permissions } ${USER_ERRORS} } }`;

async function createBucket(name: string) {
  const data = await ok(
    `mutation($input: CreateBucketInput!) { createBucket(input: $input) { bucket { id } ${USER_ERRORS} } }`,
    { input: { teamId: acme.id, name, region: 'eu-west-1' } },
    owner.token,
  );
  expect(data.createBucket.userErrors).toEqual([]);
  return data.createBucket.bucket.id as string;
}

describe('service accounts', () => {
  it('hold what their IAM policy grants, and act with their own tokens', async () => {
    const created = await ok(
      `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { serviceAccount { id name team { slug } } ${USER_ERRORS} } }`,
      { input: { teamId: acme.id, name: 'ci-bot', description: 'CI' } },
      owner.token,
    );
    expect(created.createServiceAccount).toMatchObject({ serviceAccount: { name: 'ci-bot', team: { slug: 'acme-iam' } }, userErrors: [] });
    const account = created.createServiceAccount.serviceAccount.id;
    const minted = await ok(
      `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret token { name } ${USER_ERRORS} } }`,
      { input: { name: 'deploys', serviceAccountId: account } },
      owner.token,
    );
    expect(minted.createApiToken.userErrors).toEqual([]);
    const botToken = minted.createApiToken.secret as string;
    await createBucket('iam-assets');

    // Nothing granted yet: the team does not exist for it.
    const before = await server.gql(`{ team(slug: "acme-iam") { slug } }`, {}, botToken);
    expect(before.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const policy = await ok(
      SET_POLICY,
      {
        input: {
          subject: { type: 'SERVICE_ACCOUNT', id: account },
          scope: { type: 'TEAM', id: acme.id },
          add: { permissions: ['team:read', 'bucket:read'] },
        },
      },
      owner.token,
    );
    expect(policy.setIamPolicy).toEqual({
      iamPolicy: { subjectType: 'SERVICE_ACCOUNT', scopeType: 'TEAM', roles: [], permissions: ['bucket:read', 'team:read'] },
      userErrors: [],
    });
    expect(await ok(`{ team(slug: "acme-iam") { slug viewerPermissions buckets { nodes { name } } } }`, {}, botToken)).toEqual({
      team: { slug: 'acme-iam', viewerPermissions: ['bucket:read', 'team:read'], buckets: { nodes: [{ name: 'iam-assets' }] } },
    });
    const refused = await server.gql(
      `mutation($input: CreateBucketInput!) { createBucket(input: $input) { ${USER_ERRORS} } }`,
      { input: { teamId: acme.id, name: 'by-bot', region: 'eu-west-1' } },
      botToken,
    );
    expect(refused.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('roles and resource-scope bindings', () => {
  it('share one bucket with a user outside the team through a custom role', async () => {
    const bucket = await createBucket('iam-shared');
    const role = await ok(
      `mutation($input: CreateRoleInput!) { createRole(input: $input) { role { id name scope permissions builtIn team { slug } } ${USER_ERRORS} } }`,
      { input: { scope: 'TEAM', teamId: acme.id, name: 'Bucket reader', permissions: ['bucket:read'] } },
      owner.token,
    );
    expect(role.createRole).toMatchObject({
      role: { name: 'Bucket reader', scope: 'TEAM', permissions: ['bucket:read'], builtIn: false, team: { slug: 'acme-iam' } },
      userErrors: [],
    });
    await ok(
      SET_POLICY,
      {
        input: {
          subject: { type: 'USER', id: outsider.id },
          scope: { type: 'BUCKET', id: bucket },
          add: { roles: [role.createRole.role.id] },
        },
      },
      owner.token,
    );
    expect(
      await ok(`query($id: ID!) { node(id: $id) { ... on Bucket { name viewerPermissions } } }`, { id: bucket }, outsider.token),
    ).toEqual({
      node: { name: 'iam-shared', viewerPermissions: ['bucket:read'] },
    });
    const team = await server.gql(`{ team(slug: "acme-iam") { slug } }`, {}, outsider.token);
    expect(team.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('ACL entries', () => {
  it('grant one permission on one resource, all or none', async () => {
    const bucket = await createBucket('iam-acl');
    const created = await ok(
      `mutation($input: CreateAclEntriesInput!) { createAclEntries(input: $input) { aclEntries { permission resourceType subjectId } ${USER_ERRORS} } }`,
      {
        input: {
          subject: { type: 'USER', id: outsider.id },
          items: [
            { permission: 'bucket:read', resourceType: 'BUCKET', resourceId: bucket },
            { permission: 'bucket:create', resourceType: 'BUCKET', resourceId: bucket },
          ],
        },
      },
      owner.token,
    );
    expect(created.createAclEntries).toEqual({
      aclEntries: null,
      userErrors: [
        {
          field: ['input', 'items', '1', 'permission'],
          code: 'INVALID',
          message: 'items[1]: bucket:create cannot be granted on a bucket; use a bucket: permission other than bucket:create.',
        },
      ],
    });
    const granted = await ok(
      `mutation($input: CreateAclEntriesInput!) { createAclEntries(input: $input) { aclEntries { permission resourceType subjectId } ${USER_ERRORS} } }`,
      {
        input: {
          subject: { type: 'USER', id: outsider.id },
          items: [{ permission: 'bucket:read', resourceType: 'BUCKET', resourceId: bucket }],
        },
      },
      owner.token,
    );
    expect(granted.createAclEntries).toEqual({
      aclEntries: [{ permission: 'bucket:read', resourceType: 'BUCKET', subjectId: outsider.id }],
      userErrors: [],
    });
    expect(
      await ok(
        `query($s: SubjectInput!) { aclEntries(subject: $s) { nodes { permission resource { ... on Bucket { name } } } } }`,
        { s: { type: 'USER', id: outsider.id } },
        outsider.token,
      ),
    ).toEqual({ aclEntries: { nodes: [{ permission: 'bucket:read', resource: { name: 'iam-acl' } }] } });
  });
});
