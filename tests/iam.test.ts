import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { api, errorsOf, expectRefused, USER_ERRORS, type TeamRef, type User } from './support/api.js';

// IAM (issue 5): service accounts and their tokens, custom roles, IAM policies, ACL entries.

let server: TestServer;
let owner: User;
let outsider: User;
let acme: TeamRef;

const { ok, newTeam, addMember, settled } = api(() => server);

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

// ---------------------------------------------------------------------------------------------
// The IAM API through HTTP: permissions and roles, IAM policies, ACL entries, service accounts.
// ---------------------------------------------------------------------------------------------

/** A global ID, to name the built-in roles by their fixed IDs (and ids that do not exist). */
const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');
const BUILT_IN = {
  PLATFORM_ADMIN: globalId('Role', '00000000-0000-4000-8000-000000000001'),
  OWNER: globalId('Role', '00000000-0000-4000-8000-000000000010'),
  ADMIN: globalId('Role', '00000000-0000-4000-8000-000000000011'),
  MEMBER: globalId('Role', '00000000-0000-4000-8000-000000000012'),
  VIEWER: globalId('Role', '00000000-0000-4000-8000-000000000013'),
};
const asUser = (user: User) => ({ type: 'USER', id: user.id });
const asAccount = (id: string) => ({ type: 'SERVICE_ACCOUNT', id });
const teamScope = (team: TeamRef) => ({ type: 'TEAM', id: team.id });

const ROLE = 'id name description scope permissions builtIn team { slug }';
const CREATE_ROLE = `mutation($input: CreateRoleInput!) { createRole(input: $input) { role { ${ROLE} } ${USER_ERRORS} } }`;
const UPDATE_ROLE = `mutation($input: UpdateRoleInput!) { updateRole(input: $input) { role { ${ROLE} } ${USER_ERRORS} } }`;
const ADD_PERMISSIONS = `mutation($input: AddRolePermissionsInput!) { addRolePermissions(input: $input) { role { ${ROLE} } ${USER_ERRORS} } }`;
const REMOVE_PERMISSIONS = `mutation($input: RemoveRolePermissionsInput!) { removeRolePermissions(input: $input) { role { ${ROLE} } ${USER_ERRORS} } }`;
const DELETE_ROLE = `mutation($input: DeleteRoleInput!) { deleteRole(input: $input) { role { ${ROLE} } ${USER_ERRORS} } }`;
const POLICY = `query($subject: SubjectInput!, $scope: GrantScopeInput!) { iamPolicy(subject: $subject, scope: $scope) {
  subjectType subjectId scopeType scopeId roles { name builtIn } permissions } }`;
const SET = `mutation($input: SetIamPolicyInput!) { setIamPolicy(input: $input) { iamPolicy { roles { name builtIn } permissions } ${USER_ERRORS} } }`;
const ACL_FIELDS = 'permission resourceType resourceId subjectType subjectId';
const CREATE_ACL = `mutation($input: CreateAclEntriesInput!) { createAclEntries(input: $input) { aclEntries { ${ACL_FIELDS} } ${USER_ERRORS} } }`;
const DELETE_ACL = `mutation($input: DeleteAclEntriesInput!) { deleteAclEntries(input: $input) { aclEntries { ${ACL_FIELDS} } ${USER_ERRORS} } }`;
const CREATE_ACCOUNT = `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) {
  serviceAccount { id name description team { slug } } ${USER_ERRORS} } }`;
const UPDATE_ACCOUNT = `mutation($input: UpdateServiceAccountInput!) { updateServiceAccount(input: $input) {
  serviceAccount { id name description } ${USER_ERRORS} } }`;
const DELETE_ACCOUNT = `mutation($input: DeleteServiceAccountInput!) { deleteServiceAccount(input: $input) { deletedServiceAccountId ${USER_ERRORS} } }`;
const MINT = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret token { id name scopes state } ${USER_ERRORS} } }`;
const DEPLOY = `mutation($input: DeployAppInput!) { deployApp(input: $input) { deploy { version } operation { id } ${USER_ERRORS} } }`;
const REFUSED_TOKEN = 'The token is invalid, expired or revoked, or its user is suspended; log in again or use another token.';

/** Creates a custom role, expecting no userErrors; returns its ID. */
async function newRole(token: string, input: Record<string, unknown>): Promise<string> {
  const data = await ok(CREATE_ROLE, { input }, token);
  expect(data.createRole.userErrors).toEqual([]);
  return data.createRole.role.id;
}

/** setIamPolicy expecting no userErrors; returns the policy after the change. */
async function grant(token: string, subject: unknown, scope: unknown, add: unknown, del?: unknown) {
  const data = await ok(SET, { input: { subject, scope, add, delete: del } }, token);
  expect(data.setIamPolicy.userErrors).toEqual([]);
  return data.setIamPolicy.iamPolicy;
}

async function bucketIn(team: TeamRef, name: string, token: string): Promise<string> {
  const data = await ok(
    `mutation($input: CreateBucketInput!) { createBucket(input: $input) { bucket { id } ${USER_ERRORS} } }`,
    { input: { teamId: team.id, name, region: 'eu-west-1' } },
    token,
  );
  expect(data.createBucket.userErrors).toEqual([]);
  return data.createBucket.bucket.id;
}

async function appIn(team: TeamRef, name: string, token: string): Promise<string> {
  const data = await ok(
    `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id } ${USER_ERRORS} } }`,
    { input: { teamId: team.id, name, platform: 'node' } },
    token,
  );
  expect(data.createApp.userErrors).toEqual([]);
  return data.createApp.app.id;
}

async function grantApp(appId: string, team: TeamRef, token: string) {
  const data = await ok(
    `mutation($input: GrantAppAccessInput!) { grantAppAccess(input: $input) { ${USER_ERRORS} } }`,
    { input: { appId, teamId: team.id } },
    token,
  );
  expect(data.grantAppAccess.userErrors).toEqual([]);
}

async function newAccount(team: TeamRef, name: string, token: string): Promise<string> {
  const data = await ok(CREATE_ACCOUNT, { input: { teamId: team.id, name } }, token);
  expect(data.createServiceAccount.userErrors).toEqual([]);
  return data.createServiceAccount.serviceAccount.id;
}

/** Mints a token for a service account; returns its secret and ID. */
async function mint(accountId: string, name: string, token: string, scopes?: string[]): Promise<{ secret: string; id: string }> {
  const data = await ok(MINT, { input: { name, serviceAccountId: accountId, scopes } }, token);
  expect(data.createApiToken.userErrors).toEqual([]);
  return { secret: data.createApiToken.secret, id: data.createApiToken.token.id };
}

const signUpAll = (prefix: string, names: string[]) => Promise.all(names.map((n) => server.signUp(`${prefix}-${n}@iam.test`)));

describe('the permission catalog', () => {
  it('lists every permission with what it allows and where it can be granted, to anyone', async () => {
    const { permissions } = await ok(`{ permissions { name description scopes } }`, {}, '');
    expect(permissions.map((p: { name: string }) => p.name)).toEqual([
      'team:read',
      'team:update',
      'team:delete',
      'team:transfer',
      'team:members:manage',
      'bucket:read',
      'bucket:create',
      'bucket:update',
      'bucket:delete',
      'app:read',
      'app:create',
      'app:update',
      'app:delete',
      'app:deploy',
      'app:lifecycle',
      'app:env:write',
      'app:env:read-secrets',
      'app:grant',
      'cluster:read',
      'cluster:create',
      'cluster:update',
      'cluster:delete',
      'cluster:scale',
      'iam:manage',
      'audit:read',
      'user:manage',
    ]);
    const byName = (name: string) => permissions.find((p: { name: string }) => p.name === name);
    expect(byName('team:read')).toEqual({
      name: 'team:read',
      description: 'See the team, its members and its resources’ existence.',
      scopes: ['PLATFORM', 'TEAM'],
    });
    expect(byName('bucket:read')).toEqual({
      name: 'bucket:read',
      description: 'See buckets and their usage.',
      scopes: ['PLATFORM', 'TEAM', 'BUCKET'],
    });
    expect(byName('bucket:create').scopes).toEqual(['PLATFORM', 'TEAM']);
    expect(byName('app:deploy').scopes).toEqual(['PLATFORM', 'TEAM', 'APP']);
    expect(byName('cluster:scale').scopes).toEqual(['PLATFORM', 'TEAM', 'CLUSTER']);
    expect(byName('iam:manage').scopes).toEqual(['PLATFORM', 'TEAM']);
    expect(byName('user:manage')).toEqual({
      name: 'user:manage',
      description: 'Manage every user account (platform administration).',
      scopes: ['PLATFORM'],
    });
  });
});

describe('listing and reading roles', () => {
  let rOwner: User;
  let rStranger: User;
  let rTeam: TeamRef;
  let rOther: TeamRef;
  let admin: string;
  const ids: Record<string, string> = {};
  const LIST = `query($filter: RoleFilter) { roles(filter: $filter) { id name scope builtIn team { slug } } }`;
  const builtIns = [
    { id: BUILT_IN.PLATFORM_ADMIN, name: 'ADMIN', scope: 'PLATFORM', builtIn: true, team: null },
    { id: BUILT_IN.OWNER, name: 'OWNER', scope: 'TEAM', builtIn: true, team: null },
    { id: BUILT_IN.ADMIN, name: 'ADMIN', scope: 'TEAM', builtIn: true, team: null },
    { id: BUILT_IN.MEMBER, name: 'MEMBER', scope: 'TEAM', builtIn: true, team: null },
    { id: BUILT_IN.VIEWER, name: 'VIEWER', scope: 'TEAM', builtIn: true, team: null },
  ];
  const custom = (name: string, scope: string, slug: string | null) => ({
    id: ids[name],
    name,
    scope,
    builtIn: false,
    team: slug ? { slug } : null,
  });

  beforeAll(async () => {
    [rOwner, rStranger] = await signUpAll('roles', ['owner', 'stranger']);
    rTeam = await newTeam('roles-team', rOwner.token);
    rOther = await newTeam('roles-other', rStranger.token);
    admin = await server.adminToken();
    ids.Zeta = await newRole(rOwner.token, { scope: 'TEAM', teamId: rTeam.id, name: 'Zeta', permissions: ['app:read'] });
    ids.Alpha = await newRole(rOwner.token, { scope: 'TEAM', teamId: rTeam.id, name: 'Alpha', permissions: ['bucket:read'] });
    ids.Beta = await newRole(rStranger.token, { scope: 'TEAM', teamId: rOther.id, name: 'Beta', permissions: ['team:read'] });
    ids['Platform auditor'] = await newRole(admin, {
      scope: 'PLATFORM',
      name: 'Platform auditor',
      permissions: ['team:read', 'audit:read'],
    });
  });

  it('lists built-in roles first, with fixed IDs, then the custom roles the viewer can see, by name', async () => {
    expect((await ok(LIST, {}, rOwner.token)).roles).toEqual([
      ...builtIns,
      custom('Alpha', 'TEAM', 'roles-team'),
      custom('Platform auditor', 'PLATFORM', null),
      custom('Zeta', 'TEAM', 'roles-team'),
    ]);
    // Another team's custom roles do not exist for a stranger; platform roles are visible to all.
    expect((await ok(LIST, {}, rStranger.token)).roles).toEqual([
      ...builtIns,
      custom('Beta', 'TEAM', 'roles-other'),
      custom('Platform auditor', 'PLATFORM', null),
    ]);
    expect((await ok(LIST, { filter: { teamId: rTeam.id } }, rStranger.token)).roles).toEqual([
      ...builtIns,
      custom('Platform auditor', 'PLATFORM', null),
    ]);
    expect((await ok(LIST, { filter: { teamId: rOther.id } }, admin)).roles).toEqual([
      ...builtIns,
      custom('Beta', 'TEAM', 'roles-other'),
      custom('Platform auditor', 'PLATFORM', null),
    ]);
  });

  it('filters by scope and team', async () => {
    expect((await ok(LIST, { filter: { scope: 'TEAM' } }, rOwner.token)).roles).toEqual([
      ...builtIns.slice(1),
      custom('Alpha', 'TEAM', 'roles-team'),
      custom('Zeta', 'TEAM', 'roles-team'),
    ]);
    expect((await ok(LIST, { filter: { scope: 'PLATFORM' } }, rOwner.token)).roles).toEqual([
      builtIns[0],
      custom('Platform auditor', 'PLATFORM', null),
    ]);
    expect((await ok(LIST, { filter: { scope: 'TEAM', teamId: rOther.id } }, rOwner.token)).roles).toEqual(builtIns.slice(1));
  });

  it('role(id) and node(id) show a role to whoever can see it, NOT_FOUND otherwise', async () => {
    const ROLE_QUERY = `query($id: ID!) { role(id: $id) { ${ROLE} createdAt } }`;
    expect(await ok(ROLE_QUERY, { id: ids.Alpha }, rOwner.token)).toEqual({
      role: {
        id: ids.Alpha,
        name: 'Alpha',
        description: '',
        scope: 'TEAM',
        permissions: ['bucket:read'],
        builtIn: false,
        team: { slug: 'roles-team' },
        createdAt: expect.any(String),
      },
    });
    expect(await ok(ROLE_QUERY, { id: BUILT_IN.VIEWER }, rStranger.token)).toEqual({
      role: {
        id: BUILT_IN.VIEWER,
        name: 'VIEWER',
        description: 'Reads everything in the team except secret values.',
        scope: 'TEAM',
        permissions: ['app:read', 'audit:read', 'bucket:read', 'cluster:read', 'team:read'],
        builtIn: true,
        team: null,
        createdAt: null,
      },
    });
    expect((await ok(ROLE_QUERY, { id: BUILT_IN.PLATFORM_ADMIN }, rStranger.token)).role.permissions).toHaveLength(26);
    expect((await ok(ROLE_QUERY, { id: ids['Platform auditor'] }, rStranger.token)).role).toMatchObject({
      name: 'Platform auditor',
      permissions: ['audit:read', 'team:read'],
      team: null,
    });
    expectRefused(await server.gql(ROLE_QUERY, { id: ids.Alpha }, rStranger.token), 'role', 'NOT_FOUND', 'Role not found.', { role: null });

    const NODE = `query($id: ID!) { node(id: $id) { id ... on Role { name permissions builtIn } } }`;
    expect(await ok(NODE, { id: ids.Alpha }, rOwner.token)).toEqual({
      node: { id: ids.Alpha, name: 'Alpha', permissions: ['bucket:read'], builtIn: false },
    });
    expect(await ok(NODE, { id: BUILT_IN.OWNER }, rStranger.token)).toMatchObject({ node: { name: 'OWNER', builtIn: true } });
    expectRefused(await server.gql(NODE, { id: ids.Alpha }, rStranger.token), 'node', 'NOT_FOUND', `Node ${ids.Alpha} not found.`, {
      node: null,
    });
  });
});

describe('creating and changing roles', () => {
  let cOwner: User;
  let cAdmin: User;
  let cMember: User;
  let cDelegate: User;
  let cStranger: User;
  let cTeam: TeamRef;
  let cOther: TeamRef;
  let admin: string;

  beforeAll(async () => {
    [cOwner, cAdmin, cMember, cDelegate, cStranger] = await signUpAll('rules', ['owner', 'admin', 'member', 'delegate', 'stranger']);
    cTeam = await newTeam('role-rules', cOwner.token);
    cOther = await newTeam('role-rules-other', cStranger.token);
    await addMember(cTeam, cAdmin, 'ADMIN', cOwner.token);
    await addMember(cTeam, cMember, 'MEMBER', cOwner.token);
    admin = await server.adminToken();
  });

  const create = (input: Record<string, unknown>, token: string) => server.gql(CREATE_ROLE, { input }, token);
  const createErrors = async (input: Record<string, unknown>, token = cOwner.token) => {
    const data = await ok(CREATE_ROLE, { input }, token);
    expect(data.createRole.role).toBeNull();
    return data.createRole.userErrors;
  };

  it('creates a team role with its permissions deduplicated and sorted (an ADMIN may)', async () => {
    const data = await ok(
      CREATE_ROLE,
      {
        input: {
          scope: 'TEAM',
          teamId: cTeam.id,
          name: 'Deployers',
          description: 'Ship it',
          permissions: ['app:read', 'app:deploy', 'app:read'],
        },
      },
      cAdmin.token,
    );
    expect(data.createRole).toEqual({
      role: {
        id: expect.any(String),
        name: 'Deployers',
        description: 'Ship it',
        scope: 'TEAM',
        permissions: ['app:deploy', 'app:read'],
        builtIn: false,
        team: { slug: 'role-rules' },
      },
      userErrors: [],
    });
  });

  it('refuses malformed names, built-in names and names taken where the role lives', async () => {
    const base = { scope: 'TEAM', teamId: cTeam.id, permissions: ['team:read'] };
    const badName = [
      {
        field: ['input', 'name'],
        code: 'INVALID',
        message: 'name must be 2–50 letters, digits, spaces, hyphens or underscores, starting with a letter',
      },
    ];
    expect(await createErrors({ ...base, name: 'x' })).toEqual(badName);
    expect(await createErrors({ ...base, name: '9 lives' })).toEqual(badName);
    expect(await createErrors({ ...base, name: 'Viewer' })).toEqual([
      { field: ['input', 'name'], code: 'INVALID', message: 'name must not be the name of a built-in role (OWNER, ADMIN, MEMBER, VIEWER)' },
    ]);
    const taken = [{ field: ['input', 'name'], code: 'TAKEN', message: 'A role named Deployers already exists there.' }];
    expect(await createErrors({ ...base, name: 'Deployers' })).toEqual(taken);
    // Names are unique per team, and platform roles have their own namespace.
    await newRole(cStranger.token, { ...base, teamId: cOther.id, name: 'Deployers' });
    await newRole(admin, { scope: 'PLATFORM', name: 'Deployers', permissions: ['app:read'] });
    expect(await createErrors({ scope: 'PLATFORM', name: 'Deployers', permissions: ['app:read'] }, admin)).toEqual(taken);
  });

  it('refuses unknown permissions, and platform-only ones in a team role, naming the index', async () => {
    const base = { scope: 'TEAM', teamId: cTeam.id, name: 'Odd' };
    expect(await createErrors({ ...base, permissions: ['app:read', 'app:fly'] })).toEqual([
      { field: ['input', 'permissions', '1'], code: 'INVALID', message: 'permissions.1 must be a permission from the permissions catalog' },
    ]);
    expect(await createErrors({ ...base, permissions: ['team:read', 'user:manage'] })).toEqual([
      {
        field: ['input', 'permissions', '1'],
        code: 'INVALID',
        message: 'user:manage cannot be part of a TEAM role; it is platform-wide only.',
      },
    ]);
    expect(await createErrors({ ...base, permissions: [] })).toEqual([
      { field: ['input', 'permissions'], code: 'TOO_SHORT', message: 'permissions must name at least one permission' },
    ]);
    // user:manage is fine in a platform role.
    await newRole(admin, { scope: 'PLATFORM', name: 'User desk', permissions: ['user:manage'] });
  });

  it('needs teamId for a TEAM role and refuses it for a PLATFORM role, which only platform admins create', async () => {
    expect(await createErrors({ scope: 'TEAM', name: 'Nowhere', permissions: ['team:read'] })).toEqual([
      { field: ['input', 'teamId'], code: 'REQUIRED', message: 'teamId is required for a TEAM role.' },
    ]);
    expect(await createErrors({ scope: 'PLATFORM', teamId: cTeam.id, name: 'Somewhere', permissions: ['team:read'] }, admin)).toEqual([
      { field: ['input', 'teamId'], code: 'INVALID', message: 'teamId must be left out for a PLATFORM role.' },
    ]);
    expectRefused(
      await create({ scope: 'PLATFORM', name: 'Team owners', permissions: ['team:read'] }, cOwner.token),
      'createRole',
      'FORBIDDEN',
      'Only platform admins (iam:manage on the platform) may create platform roles.',
    );
  });

  it('needs iam:manage in the team for a TEAM role; a team the caller cannot read does not exist', async () => {
    const input = { scope: 'TEAM', teamId: cTeam.id, name: 'Members made', permissions: ['team:read'] };
    expectRefused(
      await create(input, cMember.token),
      'createRole',
      'FORBIDDEN',
      'You need the iam:manage permission to create roles in this team.',
    );
    expectRefused(await create(input, cStranger.token), 'createRole', 'NOT_FOUND', 'Team not found.');
  });

  it('refuses to create or extend a role with permissions the caller does not hold (no escalation)', async () => {
    // The delegate manages IAM through a custom binding, without being a member, and lacks team:delete.
    const managers = await newRole(cOwner.token, {
      scope: 'TEAM',
      teamId: cTeam.id,
      name: 'IAM managers',
      permissions: ['iam:manage', 'team:read'],
    });
    await grant(cOwner.token, asUser(cDelegate), teamScope(cTeam), { roles: [managers] });
    expectRefused(
      await create({ scope: 'TEAM', teamId: cTeam.id, name: 'Demolition', permissions: ['team:read', 'team:delete'] }, cDelegate.token),
      'createRole',
      'FORBIDDEN',
      'You cannot create this role: it would give permissions you do not hold yourself (team:delete).',
    );
    // ADMIN does not hold team:delete either.
    expectRefused(
      await create({ scope: 'TEAM', teamId: cTeam.id, name: 'Demolition', permissions: ['team:delete'] }, cAdmin.token),
      'createRole',
      'FORBIDDEN',
      'You cannot create this role: it would give permissions you do not hold yourself (team:delete).',
    );
    const readers = await newRole(cDelegate.token, { scope: 'TEAM', teamId: cTeam.id, name: 'Readers', permissions: ['team:read'] });
    expectRefused(
      await server.gql(
        ADD_PERMISSIONS,
        { input: { roleId: readers, permissions: ['team:delete', 'app:delete', 'team:read'] } },
        cDelegate.token,
      ),
      'addRolePermissions',
      'FORBIDDEN',
      'You cannot add these permissions to the role: it would give permissions you do not hold yourself (app:delete, team:delete).',
    );
    expectRefused(
      await server.gql(UPDATE_ROLE, { input: { roleId: readers, permissions: ['team:read', 'bucket:read'] } }, cDelegate.token),
      'updateRole',
      'FORBIDDEN',
      'You cannot add these permissions to the role: it would give permissions you do not hold yourself (bucket:read).',
    );
    // The owner holds team:delete and may add it; removing needs no more than iam:manage.
    const added = await ok(ADD_PERMISSIONS, { input: { roleId: readers, permissions: ['team:delete'] } }, cOwner.token);
    expect(added.addRolePermissions).toMatchObject({ role: { permissions: ['team:delete', 'team:read'] }, userErrors: [] });
    const removed = await ok(REMOVE_PERMISSIONS, { input: { roleId: readers, permissions: ['team:delete'] } }, cDelegate.token);
    expect(removed.removeRolePermissions).toMatchObject({ role: { permissions: ['team:read'] }, userErrors: [] });
  });

  it('keeps built-in roles immutable', async () => {
    const immutable = [
      {
        field: ['input', 'roleId'],
        code: 'NOT_ALLOWED',
        message: 'Built-in roles cannot be changed or deleted; create a custom role instead.',
      },
    ];
    const cases: [string, string, Record<string, unknown>][] = [
      [UPDATE_ROLE, 'updateRole', { roleId: BUILT_IN.MEMBER, name: 'Crew' }],
      [ADD_PERMISSIONS, 'addRolePermissions', { roleId: BUILT_IN.VIEWER, permissions: ['app:deploy'] }],
      [REMOVE_PERMISSIONS, 'removeRolePermissions', { roleId: BUILT_IN.OWNER, permissions: ['team:delete'] }],
      [DELETE_ROLE, 'deleteRole', { roleId: BUILT_IN.ADMIN }],
      [DELETE_ROLE, 'deleteRole', { roleId: BUILT_IN.PLATFORM_ADMIN }],
    ];
    for (const [query, field, input] of cases)
      expect(
        (await ok(query, { input }, field === 'deleteRole' && input.roleId === BUILT_IN.PLATFORM_ADMIN ? admin : cOwner.token))[field],
      ).toEqual({
        role: null,
        userErrors: immutable,
      });
  });

  it('renames, replaces, adds and removes permissions; a role keeps at least one', async () => {
    const roleId = await newRole(cOwner.token, { scope: 'TEAM', teamId: cTeam.id, name: 'Ops', permissions: ['app:read'] });
    const role = (name: string, description: string, permissions: string[]) => ({
      role: { id: roleId, name, description, scope: 'TEAM', permissions, builtIn: false, team: { slug: 'role-rules' } },
      userErrors: [],
    });
    expect((await ok(UPDATE_ROLE, { input: { roleId, name: 'Operators', description: 'Runs apps' } }, cOwner.token)).updateRole).toEqual(
      role('Operators', 'Runs apps', ['app:read']),
    );
    expect((await ok(UPDATE_ROLE, { input: { roleId, name: 'Deployers' } }, cOwner.token)).updateRole).toEqual({
      role: null,
      userErrors: [{ field: ['input', 'name'], code: 'TAKEN', message: 'A role named Deployers already exists there.' }],
    });
    expect(
      (await ok(UPDATE_ROLE, { input: { roleId, permissions: ['app:lifecycle', 'app:read', 'app:lifecycle'] } }, cAdmin.token)).updateRole,
    ).toEqual(role('Operators', 'Runs apps', ['app:lifecycle', 'app:read']));
    expect(
      (await ok(ADD_PERMISSIONS, { input: { roleId, permissions: ['app:deploy', 'app:read'] } }, cAdmin.token)).addRolePermissions,
    ).toEqual(role('Operators', 'Runs apps', ['app:deploy', 'app:lifecycle', 'app:read']));
    expect((await ok(ADD_PERMISSIONS, { input: { roleId, permissions: ['user:manage'] } }, cOwner.token)).addRolePermissions).toEqual({
      role: null,
      userErrors: [
        {
          field: ['input', 'permissions', '0'],
          code: 'INVALID',
          message: 'user:manage cannot be part of a TEAM role; it is platform-wide only.',
        },
      ],
    });
    expect(
      (await ok(REMOVE_PERMISSIONS, { input: { roleId, permissions: ['app:deploy', 'app:lifecycle', 'bucket:read'] } }, cOwner.token))
        .removeRolePermissions,
    ).toEqual(role('Operators', 'Runs apps', ['app:read']));
    expect((await ok(REMOVE_PERMISSIONS, { input: { roleId, permissions: ['app:read'] } }, cOwner.token)).removeRolePermissions).toEqual({
      role: null,
      userErrors: [
        { field: ['input', 'permissions'], code: 'NOT_ALLOWED', message: 'A role keeps at least one permission; delete the role instead.' },
      ],
    });
    expect((await ok(UPDATE_ROLE, { input: { roleId, permissions: [] } }, cOwner.token)).updateRole).toEqual({
      role: null,
      userErrors: [{ field: ['input', 'permissions'], code: 'TOO_SHORT', message: 'permissions must name at least one permission' }],
    });
    expect((await ok(`query($id: ID!) { role(id: $id) { permissions } }`, { id: roleId }, cOwner.token)).role).toEqual({
      permissions: ['app:read'],
    });
  });

  it('changing a role takes iam:manage where it lives', async () => {
    const roleId = await newRole(cOwner.token, { scope: 'TEAM', teamId: cTeam.id, name: 'Guarded', permissions: ['app:read'] });
    const platformRole = await newRole(admin, { scope: 'PLATFORM', name: 'Platform guarded', permissions: ['team:read'] });
    expectRefused(
      await server.gql(UPDATE_ROLE, { input: { roleId, name: 'Mine' } }, cMember.token),
      'updateRole',
      'FORBIDDEN',
      'You need the iam:manage permission to change this role.',
    );
    expectRefused(
      await server.gql(DELETE_ROLE, { input: { roleId } }, cMember.token),
      'deleteRole',
      'FORBIDDEN',
      'You need the iam:manage permission to delete this role.',
    );
    expectRefused(
      await server.gql(UPDATE_ROLE, { input: { roleId, name: 'Mine' } }, cStranger.token),
      'updateRole',
      'NOT_FOUND',
      'Role not found.',
    );
    expectRefused(
      await server.gql(ADD_PERMISSIONS, { input: { roleId: platformRole, permissions: ['app:read'] } }, cOwner.token),
      'addRolePermissions',
      'FORBIDDEN',
      'Only platform admins (iam:manage on the platform) may change this role.',
    );
    expect(
      (await ok(ADD_PERMISSIONS, { input: { roleId: platformRole, permissions: ['app:read'] } }, admin)).addRolePermissions,
    ).toMatchObject({
      role: { permissions: ['app:read', 'team:read'], scope: 'PLATFORM', team: null },
      userErrors: [],
    });
  });

  it('deleting a role removes its bindings in the same transaction', async () => {
    const bucket = await bucketIn(cTeam, 'role-rules-data', cOwner.token);
    const roleId = await newRole(cOwner.token, {
      scope: 'TEAM',
      teamId: cTeam.id,
      name: 'Bucket readers',
      permissions: ['team:read', 'bucket:read'],
    });
    await grant(cOwner.token, asUser(cStranger), teamScope(cTeam), { roles: [roleId] });
    await grant(cOwner.token, asUser(cStranger), { type: 'BUCKET', id: bucket }, { roles: [roleId] });
    const TEAM = `{ team(slug: "role-rules") { slug buckets { nodes { name } } } }`;
    expect(await ok(TEAM, {}, cStranger.token)).toEqual({
      team: { slug: 'role-rules', buckets: { nodes: [{ name: 'role-rules-data' }] } },
    });
    const policy = { subject: asUser(cStranger), scope: teamScope(cTeam) };
    expect((await ok(POLICY, policy, cOwner.token)).iamPolicy.roles).toEqual([{ name: 'Bucket readers', builtIn: false }]);

    expect((await ok(DELETE_ROLE, { input: { roleId } }, cOwner.token)).deleteRole).toEqual({
      role: {
        id: roleId,
        name: 'Bucket readers',
        description: '',
        scope: 'TEAM',
        permissions: ['bucket:read', 'team:read'],
        builtIn: false,
        team: { slug: 'role-rules' },
      },
      userErrors: [],
    });
    expectRefused(await server.gql(TEAM, {}, cStranger.token), 'team', 'NOT_FOUND', 'Team "role-rules" not found.', { team: null });
    expectRefused(
      await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: bucket }, cStranger.token),
      'node',
      'NOT_FOUND',
      `Node ${bucket} not found.`,
      { node: null },
    );
    expect((await ok(POLICY, policy, cOwner.token)).iamPolicy).toMatchObject({ roles: [], permissions: [] });
    expect((await ok(POLICY, { ...policy, scope: { type: 'BUCKET', id: bucket } }, cOwner.token)).iamPolicy).toMatchObject({
      roles: [],
      permissions: [],
    });
    expectRefused(await server.gql(DELETE_ROLE, { input: { roleId } }, cOwner.token), 'deleteRole', 'NOT_FOUND', 'Role not found.');
  });
});

describe('reading IAM policies', () => {
  let pOwner: User;
  let pMember: User;
  let pStranger: User;
  let pTeam: TeamRef;
  let bucket: string;
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    [pOwner, pMember, pStranger] = await signUpAll('read', ['owner', 'member', 'stranger']);
    pTeam = await newTeam('policy-read', pOwner.token);
    await addMember(pTeam, pMember, 'MEMBER', pOwner.token);
    bucket = await bucketIn(pTeam, 'policy-read-data', pOwner.token);
    admin = await server.adminToken();
    adminId = (await ok(`{ viewer { id } }`, {}, admin)).viewer.id;
  });

  const read = (subject: unknown, scope: unknown, token: string) => server.gql(POLICY, { subject, scope }, token);

  it('a subject reads its own policy; the membership role shows as a built-in role at its team', async () => {
    expect(await ok(POLICY, { subject: asUser(pMember), scope: teamScope(pTeam) }, pMember.token)).toEqual({
      iamPolicy: {
        subjectType: 'USER',
        subjectId: pMember.id,
        scopeType: 'TEAM',
        scopeId: pTeam.id,
        roles: [{ name: 'MEMBER', builtIn: true }],
        permissions: [],
      },
    });
    const deployers = await newRole(pOwner.token, { scope: 'TEAM', teamId: pTeam.id, name: 'Deployers', permissions: ['app:deploy'] });
    const auditors = await newRole(pOwner.token, { scope: 'TEAM', teamId: pTeam.id, name: 'Auditors', permissions: ['audit:read'] });
    await grant(pOwner.token, asUser(pMember), teamScope(pTeam), { roles: [deployers, auditors], permissions: ['team:members:manage'] });
    expect((await ok(POLICY, { subject: asUser(pMember), scope: teamScope(pTeam) }, pMember.token)).iamPolicy).toMatchObject({
      roles: [
        { name: 'MEMBER', builtIn: true },
        { name: 'Auditors', builtIn: false },
        { name: 'Deployers', builtIn: false },
      ],
      permissions: ['team:members:manage'],
    });
    expect((await ok(POLICY, { subject: asUser(pOwner), scope: teamScope(pTeam) }, pOwner.token)).iamPolicy.roles).toEqual([
      { name: 'OWNER', builtIn: true },
    ]);
    // Membership is a team-scope grant: it does not show at a resource's scope.
    expect(await ok(POLICY, { subject: asUser(pMember), scope: { type: 'BUCKET', id: bucket } }, pMember.token)).toEqual({
      iamPolicy: { subjectType: 'USER', subjectId: pMember.id, scopeType: 'BUCKET', scopeId: bucket, roles: [], permissions: [] },
    });
  });

  it('reading another subject’s policy takes iam:manage at the scope', async () => {
    expectRefused(
      await read(asUser(pOwner), teamScope(pTeam), pMember.token),
      'iamPolicy',
      'FORBIDDEN',
      'You need the iam:manage permission in the team to read other subjects’ IAM policies here.',
    );
    expectRefused(
      await read(asUser(pOwner), { type: 'BUCKET', id: bucket }, pMember.token),
      'iamPolicy',
      'FORBIDDEN',
      'You need the iam:manage permission in the team to read other subjects’ IAM policies here.',
    );
    expectRefused(
      await read(asUser(pOwner), { type: 'PLATFORM' }, pMember.token),
      'iamPolicy',
      'FORBIDDEN',
      'You need the iam:manage permission on the platform to read other subjects’ IAM policies here.',
    );
    expect((await ok(POLICY, { subject: asUser(pMember), scope: teamScope(pTeam) }, pOwner.token)).iamPolicy.roles[0]).toEqual({
      name: 'MEMBER',
      builtIn: true,
    });
    // A user outside the team has an empty policy there, which the manager may read.
    expect((await ok(POLICY, { subject: asUser(pStranger), scope: teamScope(pTeam) }, pOwner.token)).iamPolicy).toMatchObject({
      roles: [],
      permissions: [],
    });
  });

  it('platform admins hold the built-in platform ADMIN role at the PLATFORM scope', async () => {
    expect(await ok(POLICY, { subject: { type: 'USER', id: adminId }, scope: { type: 'PLATFORM' } }, admin)).toEqual({
      iamPolicy: {
        subjectType: 'USER',
        subjectId: adminId,
        scopeType: 'PLATFORM',
        scopeId: null,
        roles: [{ name: 'ADMIN', builtIn: true }],
        permissions: [],
      },
    });
    expect((await ok(POLICY, { subject: asUser(pOwner), scope: { type: 'PLATFORM' } }, pOwner.token)).iamPolicy).toMatchObject({
      roles: [],
      permissions: [],
    });
    expect((await ok(POLICY, { subject: asUser(pOwner), scope: { type: 'PLATFORM' } }, admin)).iamPolicy.roles).toEqual([]);
  });

  it('an unreadable scope, or a subject that does not exist, is NOT_FOUND', async () => {
    expectRefused(await read(asUser(pStranger), teamScope(pTeam), pStranger.token), 'iamPolicy', 'NOT_FOUND', 'Team not found.');
    expectRefused(
      await read(asUser(pStranger), { type: 'BUCKET', id: bucket }, pStranger.token),
      'iamPolicy',
      'NOT_FOUND',
      'Bucket not found.',
    );
    expectRefused(
      await read(asUser(pStranger), { type: 'APP', id: globalId('App', '5f0c1d8e-0000-4000-8000-000000000000') }, pStranger.token),
      'iamPolicy',
      'NOT_FOUND',
      'App not found.',
    );
    expectRefused(
      await read({ type: 'USER', id: globalId('User', '5f0c1d8e-0000-4000-8000-000000000000') }, teamScope(pTeam), pOwner.token),
      'iamPolicy',
      'NOT_FOUND',
      'User not found.',
    );
  });

  it('scope.id is required for a team or resource and left out for the platform', async () => {
    const badScope = async (scope: unknown, message: string) =>
      expect(errorsOf(await read(asUser(pOwner), scope, pOwner.token))).toEqual([
        { message, path: ['iamPolicy'], extensions: { code: 'BAD_USER_INPUT', field: 'scope.id' } },
      ]);
    await badScope({ type: 'TEAM' }, 'scope.id: is required for the TEAM scope.');
    await badScope({ type: 'BUCKET', id: null }, 'scope.id: is required for the BUCKET scope.');
    await badScope({ type: 'PLATFORM', id: pTeam.id }, 'scope.id: must be left out for the PLATFORM scope.');
    await badScope({ type: 'TEAM', id: bucket }, 'scope.id: expected the ID of a Team.');
    // The mutation refuses the same with userErrors.
    for (const [scope, error] of [
      [{ type: 'APP' }, { field: ['input', 'scope', 'id'], code: 'REQUIRED', message: 'scope.id is required for the APP scope.' }],
      [
        { type: 'PLATFORM', id: pTeam.id },
        { field: ['input', 'scope', 'id'], code: 'INVALID', message: 'scope.id must be left out for the PLATFORM scope.' },
      ],
    ] as const)
      expect(
        (await ok(SET, { input: { subject: asUser(pMember), scope, add: { permissions: ['team:read'] } } }, admin)).setIamPolicy,
      ).toEqual({ iamPolicy: null, userErrors: [error] });
  });
});

describe('setting IAM policies', () => {
  let sOwner: User;
  let sAdmin: User;
  let sMember: User;
  let sStranger: User;
  let sTeam: TeamRef;
  let sOther: TeamRef;
  let admin: string;
  let readers: string;
  let deployers: string;

  beforeAll(async () => {
    [sOwner, sAdmin, sMember, sStranger] = await signUpAll('set', ['owner', 'admin', 'member', 'stranger']);
    sTeam = await newTeam('policy-set', sOwner.token);
    sOther = await newTeam('policy-set-other', sStranger.token);
    await addMember(sTeam, sAdmin, 'ADMIN', sOwner.token);
    await addMember(sTeam, sMember, 'MEMBER', sOwner.token);
    admin = await server.adminToken();
    readers = await newRole(sOwner.token, { scope: 'TEAM', teamId: sTeam.id, name: 'Readers', permissions: ['team:read', 'bucket:read'] });
    deployers = await newRole(sOwner.token, {
      scope: 'TEAM',
      teamId: sTeam.id,
      name: 'Deployers',
      permissions: ['app:deploy', 'app:read'],
    });
  });

  const set = (input: Record<string, unknown>, token: string) => server.gql(SET, { input }, token);
  const userErrorsOf = async (input: Record<string, unknown>, token = sOwner.token) => {
    const data = await ok(SET, { input }, token);
    expect(data.setIamPolicy.iamPolicy).toBeNull();
    return data.setIamPolicy.userErrors;
  };

  it('adds and deletes roles and permissions in one call; repeating a change changes nothing', async () => {
    const [guest] = await signUpAll('set', ['guest-a']);
    const subject = asUser(guest);
    const scope = teamScope(sTeam);
    const both = { roles: [deployers, readers], permissions: ['cluster:read', 'audit:read'] };
    const granted = {
      roles: [
        { name: 'Deployers', builtIn: false },
        { name: 'Readers', builtIn: false },
      ],
      permissions: ['audit:read', 'cluster:read'],
    };
    expect(await grant(sOwner.token, subject, scope, both)).toEqual(granted);
    expect(await grant(sOwner.token, subject, scope, both)).toEqual(granted);
    expect((await ok(POLICY, { subject, scope }, sOwner.token)).iamPolicy).toMatchObject(granted);

    const changed = {
      roles: [{ name: 'Readers', builtIn: false }],
      permissions: ['app:grant', 'audit:read'],
    };
    expect(
      await grant(
        sAdmin.token,
        subject,
        scope,
        { roles: [readers], permissions: ['audit:read', 'app:grant'] },
        { roles: [deployers], permissions: ['cluster:read'] },
      ),
    ).toEqual(changed);
    // Deleting what is not held is a no-op too.
    expect(await grant(sOwner.token, subject, scope, undefined, { roles: [deployers], permissions: ['team:update'] })).toEqual(changed);
    // app:grant implies reading the team's apps.
    expect((await ok(`{ team(slug: "policy-set") { viewerPermissions } }`, {}, guest.token)).team.viewerPermissions).toEqual([
      'app:grant',
      'app:read',
      'audit:read',
      'bucket:read',
      'team:read',
    ]);
  });

  it('refuses built-in roles, roles that do not belong at the scope and permissions that do not fit it, one userError each, changing nothing', async () => {
    const [guest] = await signUpAll('set', ['guest-b']);
    const otherRole = await newRole(sStranger.token, { scope: 'TEAM', teamId: sOther.id, name: 'Readers', permissions: ['team:read'] });
    const platformRole = await newRole(admin, { scope: 'PLATFORM', name: 'Platform readers', permissions: ['team:read'] });
    const unknownRole = globalId('Role', '5f0c1d8e-0000-4000-8000-000000000000');
    const notHere = (which: string, i: number) => ({
      field: ['input', which, 'roles', String(i)],
      code: 'INVALID',
      message: `roles[${i}] is not a role that can be bound here: use a PLATFORM role at the PLATFORM scope, or a role of this team (see roles).`,
    });
    expect(
      await userErrorsOf({
        subject: asUser(guest),
        scope: teamScope(sTeam),
        add: {
          roles: [readers, BUILT_IN.MEMBER, otherRole, platformRole, unknownRole],
          permissions: ['team:read', 'user:manage', 'app:fly'],
        },
        delete: { roles: [BUILT_IN.PLATFORM_ADMIN, otherRole], permissions: ['bucket:read'] },
      }),
    ).toEqual([
      {
        field: ['input', 'add', 'roles', '1'],
        code: 'NOT_ALLOWED',
        message: 'MEMBER is a membership role: change it with inviteMember or setMemberRole.',
      },
      notHere('add', 2),
      notHere('add', 3),
      notHere('add', 4),
      {
        field: ['input', 'delete', 'roles', '0'],
        code: 'NOT_ALLOWED',
        message: 'The platform ADMIN role is a user’s platform role: change it with adminUpdateUser.',
      },
      notHere('delete', 1),
      { field: ['input', 'add', 'permissions', '1'], code: 'INVALID', message: 'user:manage cannot be granted at the TEAM scope.' },
      { field: ['input', 'add', 'permissions', '2'], code: 'INVALID', message: 'app:fly is not a permission; see the permissions query.' },
    ]);
    expect((await ok(POLICY, { subject: asUser(guest), scope: teamScope(sTeam) }, sOwner.token)).iamPolicy).toMatchObject({
      roles: [],
      permissions: [],
    });

    // Creating is a team permission; a resource scope takes its own kind's other permissions only.
    const bucket = await bucketIn(sTeam, 'policy-set-data', sOwner.token);
    expect(
      await userErrorsOf({
        subject: asUser(guest),
        scope: { type: 'BUCKET', id: bucket },
        add: { permissions: ['bucket:read', 'bucket:create', 'app:read', 'team:read'] },
      }),
    ).toEqual([
      { field: ['input', 'add', 'permissions', '1'], code: 'INVALID', message: 'bucket:create cannot be granted at the BUCKET scope.' },
      { field: ['input', 'add', 'permissions', '2'], code: 'INVALID', message: 'app:read cannot be granted at the BUCKET scope.' },
      { field: ['input', 'add', 'permissions', '3'], code: 'INVALID', message: 'team:read cannot be granted at the BUCKET scope.' },
    ]);
    // A platform role is bound at the PLATFORM scope (by a platform admin).
    expect(await grant(admin, asUser(guest), { type: 'PLATFORM' }, { roles: [platformRole] })).toEqual({
      roles: [{ name: 'Platform readers', builtIn: false }],
      permissions: [],
    });
    expect(await userErrorsOf({ subject: asUser(guest), scope: { type: 'PLATFORM' }, add: { roles: [readers] } }, admin)).toEqual([
      notHere('add', 0),
    ]);
  });

  it('a service account holds roles only in its own team', async () => {
    const foreign = await newAccount(sOther, 'foreign-bot', sStranger.token);
    const error = [
      {
        field: ['input', 'subject', 'id'],
        code: 'INVALID',
        message: 'A service account holds roles only in its own team and on that team’s resources.',
      },
    ];
    expect(await userErrorsOf({ subject: asAccount(foreign), scope: teamScope(sTeam), add: { permissions: ['team:read'] } })).toEqual(
      error,
    );
    const bucket = await bucketIn(sTeam, 'policy-set-sa', sOwner.token);
    expect(
      await userErrorsOf({ subject: asAccount(foreign), scope: { type: 'BUCKET', id: bucket }, add: { permissions: ['bucket:read'] } }),
    ).toEqual(error);
  });

  it('takes iam:manage at the scope, and nobody grants what they do not hold', async () => {
    const [guest] = await signUpAll('set', ['guest-c']);
    const input = (add: unknown) => ({ subject: asUser(guest), scope: teamScope(sTeam), add });
    expectRefused(
      await set(input({ permissions: ['team:read'] }), sMember.token),
      'setIamPolicy',
      'FORBIDDEN',
      'You need the iam:manage permission in the team to change IAM policies here.',
    );
    expectRefused(await set(input({ permissions: ['team:read'] }), sStranger.token), 'setIamPolicy', 'NOT_FOUND', 'Team not found.');
    expectRefused(
      await set({ subject: asUser(guest), scope: { type: 'PLATFORM' }, add: { permissions: ['team:read'] } }, sOwner.token),
      'setIamPolicy',
      'FORBIDDEN',
      'You need the iam:manage permission on the platform to change IAM policies here.',
    );
    // ADMIN holds iam:manage but not team:delete: neither directly nor through a role.
    expectRefused(
      await set(input({ permissions: ['team:read', 'team:delete'] }), sAdmin.token),
      'setIamPolicy',
      'FORBIDDEN',
      'You cannot grant this: it would give permissions you do not hold yourself (team:delete).',
    );
    const demolition = await newRole(sOwner.token, {
      scope: 'TEAM',
      teamId: sTeam.id,
      name: 'Demolition',
      permissions: ['team:delete', 'team:transfer'],
    });
    expectRefused(
      await set(input({ roles: [demolition, readers] }), sAdmin.token),
      'setIamPolicy',
      'FORBIDDEN',
      'You cannot grant this: it would give permissions you do not hold yourself (team:delete, team:transfer).',
    );
    expect((await ok(POLICY, { subject: asUser(guest), scope: teamScope(sTeam) }, sOwner.token)).iamPolicy).toMatchObject({
      roles: [],
      permissions: [],
    });
    expect(await grant(sOwner.token, asUser(guest), teamScope(sTeam), { roles: [demolition] })).toEqual({
      roles: [{ name: 'Demolition', builtIn: false }],
      permissions: [],
    });
  });

  it('an APP-scope binding shares that one app with a user outside the team, and nothing else', async () => {
    const [guest] = await signUpAll('set', ['guest-d']);
    const shared = await appIn(sTeam, 'iam-shared-app', sOwner.token);
    const other = await appIn(sTeam, 'iam-private-app', sOwner.token);
    expect(
      await grant(sOwner.token, asUser(guest), { type: 'APP', id: shared }, { roles: [deployers], permissions: ['app:lifecycle'] }),
    ).toEqual({
      roles: [{ name: 'Deployers', builtIn: false }],
      permissions: ['app:lifecycle'],
    });
    const APP = `... on App { name viewerPermissions team { slug } }`;
    const sharedApp = { name: 'iam-shared-app', viewerPermissions: ['app:deploy', 'app:lifecycle', 'app:read'], team: null };
    expect(await ok(`query($id: ID!) { node(id: $id) { ${APP} } }`, { id: shared }, guest.token)).toEqual({ node: sharedApp });
    expect(await ok(`{ app(name: "iam-shared-app") { ${APP} } }`, {}, guest.token)).toEqual({ app: sharedApp });
    expect(await ok(`{ apps { nodes { name } } }`, {}, guest.token)).toEqual({ apps: { nodes: [{ name: 'iam-shared-app' }] } });
    expectRefused(
      await server.gql(`{ app(name: "iam-private-app") { name } }`, {}, guest.token),
      'app',
      'NOT_FOUND',
      'App "iam-private-app" not found.',
      { app: null },
    );
    expectRefused(
      await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: other }, guest.token),
      'node',
      'NOT_FOUND',
      `Node ${other} not found.`,
      {
        node: null,
      },
    );
    // The team stays invisible, so its other apps cannot be reached through it either.
    expectRefused(
      await server.gql(`{ team(slug: "policy-set") { apps { nodes { name } } } }`, {}, guest.token),
      'team',
      'NOT_FOUND',
      'Team "policy-set" not found.',
      {
        team: null,
      },
    );
    expectRefused(
      await server.gql(`query($id: ID!) { node(id: $id) { ... on Team { apps { nodes { name } } } } }`, { id: sTeam.id }, guest.token),
      'node',
      'NOT_FOUND',
      `Node ${sTeam.id} not found.`,
      { node: null },
    );
    expect(await ok(`{ teams { nodes { slug } } }`, {}, guest.token)).toEqual({ teams: { nodes: [] } });
    // The shared app's actions work; the others are FORBIDDEN.
    expectRefused(
      await server.gql(
        `mutation($input: UpdateAppInput!) { updateApp(input: $input) { ${USER_ERRORS} } }`,
        { input: { appId: shared, description: 'mine' } },
        guest.token,
      ),
      'updateApp',
      'FORBIDDEN',
      'You need the app:update permission to update this app.',
    );
    // Taking the binding away closes the app again.
    await grant(sOwner.token, asUser(guest), { type: 'APP', id: shared }, undefined, {
      roles: [deployers],
      permissions: ['app:lifecycle'],
    });
    expect(await ok(`{ apps { nodes { name } } }`, {}, guest.token)).toEqual({ apps: { nodes: [] } });
  });
});

describe('ACL entries in bulk', () => {
  let aOwner: User;
  let aMember: User;
  let aDelegate: User;
  let aStranger: User;
  let aTeam: TeamRef;
  let aOther: TeamRef;
  let b1: string;
  let b2: string;
  let appId: string;
  let foreignBucket: string;

  beforeAll(async () => {
    [aOwner, aMember, aDelegate, aStranger] = await signUpAll('acl', ['owner', 'member', 'delegate', 'stranger']);
    aTeam = await newTeam('acl-team', aOwner.token);
    aOther = await newTeam('acl-other', aStranger.token);
    await addMember(aTeam, aMember, 'MEMBER', aOwner.token);
    b1 = await bucketIn(aTeam, 'acl-one', aOwner.token);
    b2 = await bucketIn(aTeam, 'acl-two', aOwner.token);
    appId = await appIn(aTeam, 'acl-app', aOwner.token);
    foreignBucket = await bucketIn(aOther, 'acl-foreign', aStranger.token);
    // The delegate manages IAM in the team without being a member, and only reads buckets.
    await grant(aOwner.token, asUser(aDelegate), teamScope(aTeam), { permissions: ['team:read', 'iam:manage', 'bucket:read'] });
  });

  const item = (permission: string, resourceId: string, resourceType = 'BUCKET') => ({ permission, resourceType, resourceId });
  const entry = (subject: User, permission: string, resourceId: string, resourceType = 'BUCKET') => ({
    permission,
    resourceType,
    resourceId,
    subjectType: 'USER',
    subjectId: subject.id,
  });
  const create = async (subject: unknown, items: unknown[], token = aOwner.token) =>
    (await ok(CREATE_ACL, { input: { subject, items } }, token)).createAclEntries;
  const remove = async (subject: unknown, items: unknown[], token = aOwner.token) =>
    (await ok(DELETE_ACL, { input: { subject, items } }, token)).deleteAclEntries;
  const LIST = `query($s: SubjectInput!, $f: AclEntryFilter) { aclEntries(subject: $s, filter: $f) {
    totalCount nodes { permission resourceType resource { ... on Bucket { name } ... on App { name } } } } }`;
  const listed = async (subject: User, token: string, filter?: unknown) =>
    (await ok(LIST, { s: asUser(subject), f: filter }, token)).aclEntries;

  it('checks every item and refuses them all, with one userError per bad item', async () => {
    const [guest] = await signUpAll('acl', ['guest-a']);
    expect(
      await create(asUser(guest), [
        item('bucket:read', b1),
        item('bucket:fly', b1),
        item('app:read', b1),
        item('bucket:read', appId, 'APP'),
        item('bucket:read', foreignBucket),
        item('bucket:read', b1),
        item('bucket:create', b2),
        item('app:deploy', appId, 'APP'),
      ]),
    ).toEqual({
      aclEntries: null,
      userErrors: [
        {
          field: ['input', 'items', '1', 'permission'],
          code: 'INVALID',
          message: 'items[1]: bucket:fly is not a permission; see the permissions query.',
        },
        {
          field: ['input', 'items', '2', 'permission'],
          code: 'INVALID',
          message: 'items[2]: app:read cannot be granted on a bucket; use a bucket: permission other than bucket:create.',
        },
        {
          field: ['input', 'items', '3', 'permission'],
          code: 'INVALID',
          message: 'items[3]: bucket:read cannot be granted on an app; use an app: permission other than app:create.',
        },
        { field: ['input', 'items', '4', 'resourceId'], code: 'INVALID', message: 'items[4]: no such bucket, or you cannot see it.' },
        { field: ['input', 'items', '5', 'permission'], code: 'INVALID', message: 'items[5]: repeats items[0].' },
        {
          field: ['input', 'items', '6', 'permission'],
          code: 'INVALID',
          message: 'items[6]: bucket:create cannot be granted on a bucket; use a bucket: permission other than bucket:create.',
        },
      ],
    });
    expect(await listed(guest, aOwner.token)).toEqual({ totalCount: 0, nodes: [] });
  });

  it('each item takes iam:manage in the resource’s team, and a permission the caller holds there (NOT_ALLOWED)', async () => {
    const [guest] = await signUpAll('acl', ['guest-b']);
    expect(await create(asUser(guest), [item('bucket:read', b1)], aMember.token)).toEqual({
      aclEntries: null,
      userErrors: [
        {
          field: ['input', 'items', '0', 'resourceId'],
          code: 'NOT_ALLOWED',
          message: 'items[0]: you need iam:manage in the bucket’s team.',
        },
      ],
    });
    expect(
      await create(asUser(guest), [item('bucket:read', b1), item('bucket:delete', b1), item('bucket:update', b2)], aDelegate.token),
    ).toEqual({
      aclEntries: null,
      userErrors: [
        {
          field: ['input', 'items', '1', 'permission'],
          code: 'NOT_ALLOWED',
          message: 'items[1]: you cannot grant bucket:delete: you do not hold it on this bucket.',
        },
        {
          field: ['input', 'items', '2', 'permission'],
          code: 'NOT_ALLOWED',
          message: 'items[2]: you cannot grant bucket:update: you do not hold it on this bucket.',
        },
      ],
    });
    expect(await listed(guest, aOwner.token)).toEqual({ totalCount: 0, nodes: [] });
    expect(await create(asUser(guest), [item('bucket:read', b1)], aDelegate.token)).toEqual({
      aclEntries: [entry(guest, 'bucket:read', b1)],
      userErrors: [],
    });
    // Removing takes iam:manage too.
    expect(await remove(asUser(guest), [item('bucket:read', b1)], aMember.token)).toEqual({
      aclEntries: null,
      userErrors: [
        {
          field: ['input', 'items', '0', 'resourceId'],
          code: 'NOT_ALLOWED',
          message: 'items[0]: you need iam:manage in the bucket’s team.',
        },
      ],
    });
  });

  it('grants all or none: an entry the subject holds already refuses the whole request', async () => {
    const [guest] = await signUpAll('acl', ['guest-c']);
    expect(await create(asUser(guest), [item('bucket:read', b1)])).toEqual({
      aclEntries: [entry(guest, 'bucket:read', b1)],
      userErrors: [],
    });
    expect(await create(asUser(guest), [item('bucket:read', b2), item('bucket:read', b1), item('app:read', appId, 'APP')])).toEqual({
      aclEntries: null,
      userErrors: [
        { field: ['input', 'items', '1'], code: 'ALREADY_EXISTS', message: 'items[1]: the subject already holds bucket:read there.' },
      ],
    });
    expect(await listed(guest, aOwner.token)).toEqual({
      totalCount: 1,
      nodes: [{ permission: 'bucket:read', resourceType: 'BUCKET', resource: { name: 'acl-one' } }],
    });
  });

  it('deletes all or none: an entry the subject does not hold refuses the whole request', async () => {
    const [guest] = await signUpAll('acl', ['guest-d']);
    await create(asUser(guest), [item('bucket:read', b1), item('bucket:update', b1)]);
    expect(await remove(asUser(guest), [item('bucket:read', b1), item('bucket:update', b2), item('bucket:update', b1)])).toEqual({
      aclEntries: null,
      userErrors: [
        { field: ['input', 'items', '1'], code: 'INVALID', message: 'items[1]: the subject holds no bucket:update entry there.' },
      ],
    });
    expect((await listed(guest, aOwner.token)).totalCount).toBe(2);
    const removed = await remove(asUser(guest), [item('bucket:update', b1), item('bucket:read', b1)]);
    expect(removed.userErrors).toEqual([]);
    expect(removed.aclEntries).toHaveLength(2);
    expect(removed.aclEntries).toEqual(expect.arrayContaining([entry(guest, 'bucket:read', b1), entry(guest, 'bucket:update', b1)]));
    expect(await listed(guest, aOwner.token)).toEqual({ totalCount: 0, nodes: [] });
    const gone = await ok(`query($id: ID!) { node(id: $id) { id } }`, { id: b1 }, aOwner.token);
    expect(gone).toEqual({ node: { id: b1 } });
    expectRefused(
      await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: b1 }, guest.token),
      'node',
      'NOT_FOUND',
      `Node ${b1} not found.`,
      {
        node: null,
      },
    );
  });

  it('takes 1 to 100 items', async () => {
    const [guest] = await signUpAll('acl', ['guest-e']);
    const count = (n: number) => [
      { field: ['input', 'items'], code: 'INVALID', message: `items must hold 1 to 100 entries; it holds ${n}.` },
    ];
    expect(await create(asUser(guest), [])).toEqual({ aclEntries: null, userErrors: count(0) });
    expect(await remove(asUser(guest), [])).toEqual({ aclEntries: null, userErrors: count(0) });
    const many = Array.from({ length: 101 }, () => item('bucket:read', b1));
    expect(await create(asUser(guest), many)).toEqual({ aclEntries: null, userErrors: count(101) });
    expect(await remove(asUser(guest), many)).toEqual({ aclEntries: null, userErrors: count(101) });
    expect(await listed(guest, aOwner.token)).toEqual({ totalCount: 0, nodes: [] });
  });

  it('lists a subject’s entries, newest first, to itself and to iam:manage holders; filters; AclEntry is a node', async () => {
    const [guest] = await signUpAll('acl', ['guest-f']);
    await create(asUser(guest), [item('bucket:read', b1)]);
    await create(asUser(guest), [item('bucket:update', b2)]);
    await create(asUser(guest), [item('app:read', appId, 'APP')]);
    const all = {
      totalCount: 3,
      nodes: [
        { permission: 'app:read', resourceType: 'APP', resource: { name: 'acl-app' } },
        { permission: 'bucket:update', resourceType: 'BUCKET', resource: { name: 'acl-two' } },
        { permission: 'bucket:read', resourceType: 'BUCKET', resource: { name: 'acl-one' } },
      ],
    };
    // Any permission on an object implies reading it: bucket:update alone shows the bucket.
    expect(await listed(guest, guest.token)).toEqual(all);
    expect(await listed(guest, aOwner.token)).toEqual(all);
    // The delegate manages IAM but reads buckets only: the app entry is listed, the app is not shown.
    expect(await listed(guest, aDelegate.token)).toEqual({
      totalCount: 3,
      nodes: [{ ...all.nodes[0], resource: null }, ...all.nodes.slice(1)],
    });
    // Without iam:manage, another subject's entries are not there to see.
    expect(await listed(guest, aMember.token)).toEqual({ totalCount: 0, nodes: [] });
    expect(await listed(guest, aStranger.token)).toEqual({ totalCount: 0, nodes: [] });
    expect(await listed(guest, aOwner.token, { resourceType: 'BUCKET' })).toEqual({ totalCount: 2, nodes: all.nodes.slice(1) });
    expect(await listed(guest, guest.token, { permission: 'bucket:read' })).toEqual({ totalCount: 1, nodes: all.nodes.slice(2) });
    expect(await listed(guest, aOwner.token, { permission: 'app:read' })).toEqual({ totalCount: 1, nodes: all.nodes.slice(0, 1) });
    expect(await listed(guest, aOwner.token, { resourceType: 'BUCKET', permission: 'app:read' })).toEqual({ totalCount: 0, nodes: [] });

    const { aclEntries } = await ok(
      `query($s: SubjectInput!) { aclEntries(subject: $s, first: 1) { nodes { id } } }`,
      { s: asUser(guest) },
      guest.token,
    );
    const id = aclEntries.nodes[0].id;
    const NODE = `query($id: ID!) { node(id: $id) { ... on AclEntry { id permission resourceId subjectType subjectId createdBy { email } } } }`;
    const node = { id, permission: 'app:read', resourceId: appId, subjectType: 'USER', subjectId: guest.id };
    expect(await ok(NODE, { id }, aOwner.token)).toEqual({ node: { ...node, createdBy: { email: aOwner.email } } });
    // The guest is no member: the granter's account is not theirs to see.
    expect(await ok(NODE, { id }, guest.token)).toEqual({ node: { ...node, createdBy: null } });
    expectRefused(await server.gql(NODE, { id }, aMember.token), 'node', 'NOT_FOUND', `Node ${id} not found.`, { node: null });
  });

  it('a service account is granted only its own team’s resources', async () => {
    const foreign = await newAccount(aOther, 'acl-foreign-bot', aStranger.token);
    expect(await create(asAccount(foreign), [item('bucket:read', b1)])).toEqual({
      aclEntries: null,
      userErrors: [
        {
          field: ['input', 'items', '0', 'resourceId'],
          code: 'INVALID',
          message: 'items[0]: a service account can only be granted its own team’s resources.',
        },
      ],
    });
    const own = await newAccount(aTeam, 'acl-bot', aOwner.token);
    expect(await create(asAccount(own), [item('bucket:read', b1)])).toEqual({
      aclEntries: [{ ...entry(aOwner, 'bucket:read', b1), subjectType: 'SERVICE_ACCOUNT', subjectId: own }],
      userErrors: [],
    });
  });
});

describe('service accounts and their tokens', () => {
  let vOwner: User;
  let vAdmin: User;
  let vMember: User;
  let vViewer: User;
  let vStranger: User;
  let vTeam: TeamRef;
  let vOther: TeamRef;

  beforeAll(async () => {
    [vOwner, vAdmin, vMember, vViewer, vStranger] = await signUpAll('sa', ['owner', 'admin', 'member', 'viewer', 'stranger']);
    vTeam = await newTeam('sa-team', vOwner.token);
    vOther = await newTeam('sa-other', vStranger.token);
    await addMember(vTeam, vAdmin, 'ADMIN', vOwner.token);
    await addMember(vTeam, vMember, 'MEMBER', vOwner.token);
    await addMember(vTeam, vViewer, 'VIEWER', vOwner.token);
  });

  const accountErrors = async (query: string, field: string, input: Record<string, unknown>, token = vOwner.token) => {
    const data = (await ok(query, { input }, token))[field];
    return data.userErrors;
  };
  const TEAM_ACCOUNTS = `{ team(slug: "sa-team") { serviceAccounts { nodes { name description } } } }`;
  const badName = [
    {
      field: ['input', 'name'],
      code: 'INVALID',
      message: 'name must be 3–40 lowercase letters, digits or hyphens, starting with a letter',
    },
  ];

  it('are created, renamed and deleted by iam:manage holders, with names unique in the team', async () => {
    expect(
      (await ok(CREATE_ACCOUNT, { input: { teamId: vTeam.id, name: 'deployer', description: 'Deploys' } }, vAdmin.token))
        .createServiceAccount,
    ).toEqual({
      serviceAccount: { id: expect.any(String), name: 'deployer', description: 'Deploys', team: { slug: 'sa-team' } },
      userErrors: [],
    });
    expect(await accountErrors(CREATE_ACCOUNT, 'createServiceAccount', { teamId: vTeam.id, name: 'deployer' })).toEqual([
      { field: ['input', 'name'], code: 'TAKEN', message: 'The team already has a service account named deployer.' },
    ]);
    expect(await accountErrors(CREATE_ACCOUNT, 'createServiceAccount', { teamId: vTeam.id, name: 'Deploy_Bot' })).toEqual(badName);
    expect(await accountErrors(CREATE_ACCOUNT, 'createServiceAccount', { teamId: vTeam.id, name: 'ab' })).toEqual(badName);
    // Another team may use the name.
    await newAccount(vOther, 'deployer', vStranger.token);

    const builder = await newAccount(vTeam, 'builder', vOwner.token);
    expect(await accountErrors(UPDATE_ACCOUNT, 'updateServiceAccount', { serviceAccountId: builder, name: 'deployer' })).toEqual([
      { field: ['input', 'name'], code: 'TAKEN', message: 'The team already has a service account named deployer.' },
    ]);
    expect(await accountErrors(UPDATE_ACCOUNT, 'updateServiceAccount', { serviceAccountId: builder, name: '-x-' })).toEqual(badName);
    expect(
      (await ok(UPDATE_ACCOUNT, { input: { serviceAccountId: builder, name: 'packager', description: 'Packs' } }, vAdmin.token))
        .updateServiceAccount,
    ).toEqual({ serviceAccount: { id: builder, name: 'packager', description: 'Packs' }, userErrors: [] });
    // Every reader of the team sees its service accounts, by name.
    expect(await ok(TEAM_ACCOUNTS, {}, vViewer.token)).toEqual({
      team: {
        serviceAccounts: {
          nodes: [
            { name: 'deployer', description: 'Deploys' },
            { name: 'packager', description: 'Packs' },
          ],
        },
      },
    });
    expect((await ok(DELETE_ACCOUNT, { input: { serviceAccountId: builder } }, vAdmin.token)).deleteServiceAccount).toEqual({
      deletedServiceAccountId: builder,
      userErrors: [],
    });
    expect((await ok(TEAM_ACCOUNTS, {}, vViewer.token)).team.serviceAccounts.nodes).toEqual([{ name: 'deployer', description: 'Deploys' }]);
    expectRefused(
      await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: builder }, vOwner.token),
      'node',
      'NOT_FOUND',
      `Node ${builder} not found.`,
      { node: null },
    );
  });

  it('managing them takes iam:manage in their team; other teams’ accounts do not exist', async () => {
    const account = await newAccount(vTeam, 'guarded', vOwner.token);
    expectRefused(
      await server.gql(CREATE_ACCOUNT, { input: { teamId: vTeam.id, name: 'mine' } }, vMember.token),
      'createServiceAccount',
      'FORBIDDEN',
      'You need the iam:manage permission to create service accounts in this team.',
    );
    expectRefused(
      await server.gql(UPDATE_ACCOUNT, { input: { serviceAccountId: account, name: 'mine' } }, vMember.token),
      'updateServiceAccount',
      'FORBIDDEN',
      'You need the iam:manage permission to change this service account.',
    );
    expectRefused(
      await server.gql(DELETE_ACCOUNT, { input: { serviceAccountId: account } }, vMember.token),
      'deleteServiceAccount',
      'FORBIDDEN',
      'You need the iam:manage permission to delete this service account.',
    );
    expectRefused(
      await server.gql(CREATE_ACCOUNT, { input: { teamId: vTeam.id, name: 'mine' } }, vStranger.token),
      'createServiceAccount',
      'NOT_FOUND',
      'Team not found.',
    );
    expectRefused(
      await server.gql(DELETE_ACCOUNT, { input: { serviceAccountId: account } }, vStranger.token),
      'deleteServiceAccount',
      'NOT_FOUND',
      'Service account not found.',
    );
    expectRefused(
      await server.gql(MINT, { input: { name: 'x', serviceAccountId: account } }, vStranger.token),
      'createApiToken',
      'NOT_FOUND',
      'Service account not found.',
    );
  });

  it('tokens are minted by iam:manage holders who hold every permission of the account, and listed to them only', async () => {
    const account = await newAccount(vTeam, 'minter-bot', vOwner.token);
    await grant(vOwner.token, asAccount(account), teamScope(vTeam), { permissions: ['team:read', 'bucket:read'] });
    expectRefused(
      await server.gql(MINT, { input: { name: 'first', serviceAccountId: account } }, vMember.token),
      'createApiToken',
      'FORBIDDEN',
      'You need the iam:manage permission to create tokens for this service account.',
    );
    expect((await ok(MINT, { input: { name: 'first', serviceAccountId: account } }, vAdmin.token)).createApiToken).toEqual({
      secret: expect.any(String),
      token: { id: expect.any(String), name: 'first', scopes: null, state: 'ACTIVE' },
      userErrors: [],
    });
    // Once the account holds something the ADMIN does not, the ADMIN cannot mint its tokens.
    await grant(vOwner.token, asAccount(account), teamScope(vTeam), { permissions: ['team:delete'] });
    expectRefused(
      await server.gql(MINT, { input: { name: 'second', serviceAccountId: account } }, vAdmin.token),
      'createApiToken',
      'FORBIDDEN',
      'You cannot create a token for this service account: it would give permissions you do not hold yourself (team:delete).',
    );
    expect(
      (await ok(MINT, { input: { name: 'second', serviceAccountId: account, scopes: ['team:read'] } }, vOwner.token)).createApiToken,
    ).toMatchObject({
      token: { name: 'second', scopes: ['team:read'], state: 'ACTIVE' },
      userErrors: [],
    });
    expect((await ok(MINT, { input: { name: 'first', serviceAccountId: account } }, vOwner.token)).createApiToken).toEqual({
      secret: null,
      token: null,
      userErrors: [
        { field: ['input', 'name'], code: 'TAKEN', message: 'name "first" is used by another active token of service account minter-bot.' },
      ],
    });

    const TOKENS = `query($id: ID!) { node(id: $id) { ... on ServiceAccount { name apiTokens { nodes { name scopes } } } } }`;
    expect(await ok(TOKENS, { id: account }, vAdmin.token)).toEqual({
      node: {
        name: 'minter-bot',
        apiTokens: {
          nodes: [
            { name: 'second', scopes: ['team:read'] },
            { name: 'first', scopes: null },
          ],
        },
      },
    });
    const hidden = await server.gql(TOKENS, { id: account }, vViewer.token);
    expect(errorsOf(hidden)).toEqual([
      {
        message: 'You need the iam:manage permission to see service account tokens.',
        path: ['node', 'apiTokens'],
        extensions: { code: 'FORBIDDEN' },
      },
    ]);
    expect(hidden.body.data).toEqual({ node: null });
    // The minters' own token lists do not hold the account's tokens.
    expect(await ok(`{ viewer { apiTokens { nodes { name } } } }`, {}, vOwner.token)).toEqual({ viewer: { apiTokens: { nodes: [] } } });
  });

  it('a token authenticates as its service account', async () => {
    const account = await newAccount(vTeam, 'reader-bot', vOwner.token);
    await grant(vOwner.token, asAccount(account), teamScope(vTeam), { permissions: ['team:read', 'bucket:read'] });
    const { secret } = await mint(account, 'reads', vOwner.token);
    // `viewer` is a User, so it is null; `viewerServiceAccount` says who calls.
    const WHO = `{ viewer { id } viewerServiceAccount { id name team { slug } } }`;
    expect(await ok(WHO, {}, secret)).toEqual({
      viewer: null,
      viewerServiceAccount: { id: account, name: 'reader-bot', team: { slug: 'sa-team' } },
    });
    expect(await ok(WHO, {}, vOwner.token)).toEqual({ viewer: { id: vOwner.id }, viewerServiceAccount: null });
    expect(await ok(POLICY, { subject: asAccount(account), scope: teamScope(vTeam) }, secret)).toEqual({
      iamPolicy: {
        subjectType: 'SERVICE_ACCOUNT',
        subjectId: account,
        scopeType: 'TEAM',
        scopeId: vTeam.id,
        roles: [],
        permissions: ['bucket:read', 'team:read'],
      },
    });
    expect(await ok(`{ team(slug: "sa-team") { slug viewerRole viewerPermissions } }`, {}, secret)).toEqual({
      team: { slug: 'sa-team', viewerRole: null, viewerPermissions: ['bucket:read', 'team:read'] },
    });
    expectRefused(
      await server.gql(MINT, { input: { name: 'more' } }, secret),
      'createApiToken',
      'FORBIDDEN',
      'A service account cannot create API tokens; only users can.',
    );
    expectRefused(
      await server.gql(MINT, { input: { name: 'more', serviceAccountId: account } }, secret),
      'createApiToken',
      'FORBIDDEN',
      'A service account cannot create API tokens; only users can.',
    );
    // Another account's policy is not its to read.
    const other = await newAccount(vTeam, 'other-bot', vOwner.token);
    expectRefused(
      await server.gql(POLICY, { subject: asAccount(other), scope: teamScope(vTeam) }, secret),
      'iamPolicy',
      'FORBIDDEN',
      'You need the iam:manage permission in the team to read other subjects’ IAM policies here.',
    );
  });

  it('managers revoke and regenerate its tokens; deleting the account ends them', async () => {
    const account = await newAccount(vTeam, 'rotating-bot', vOwner.token);
    await grant(vOwner.token, asAccount(account), teamScope(vTeam), { permissions: ['team:read'] });
    const one = await mint(account, 'one', vOwner.token);
    const two = await mint(account, 'two', vOwner.token);
    const TEAM = `{ team(slug: "sa-team") { slug } }`;
    const refusedToken = (r: Awaited<ReturnType<typeof server.gql>>) =>
      expect(errorsOf(r)).toEqual([{ message: REFUSED_TOKEN, path: ['team'], extensions: { code: 'UNAUTHENTICATED' } }]);
    expect(await ok(TEAM, {}, one.secret)).toEqual({ team: { slug: 'sa-team' } });

    const REVOKE = `mutation($input: RevokeApiTokenInput!) { revokeApiToken(input: $input) { token { name state } ${USER_ERRORS} } }`;
    const REGENERATE = `mutation($input: RegenerateApiTokenInput!) { regenerateApiToken(input: $input) { secret token { name state } ${USER_ERRORS} } }`;
    expectRefused(
      await server.gql(REVOKE, { input: { id: one.id } }, vMember.token),
      'revokeApiToken',
      'NOT_FOUND',
      'API token not found.',
    );
    expect((await ok(REVOKE, { input: { id: one.id } }, vAdmin.token)).revokeApiToken).toEqual({
      token: { name: 'one', state: 'REVOKED' },
      userErrors: [],
    });
    refusedToken(await server.gql(TEAM, {}, one.secret));

    const regenerated = (await ok(REGENERATE, { input: { id: two.id } }, vAdmin.token)).regenerateApiToken;
    expect(regenerated).toEqual({ secret: expect.any(String), token: { name: 'two', state: 'ACTIVE' }, userErrors: [] });
    refusedToken(await server.gql(TEAM, {}, two.secret));
    expect(await ok(TEAM, {}, regenerated.secret)).toEqual({ team: { slug: 'sa-team' } });
    // Regenerating hands over a secret: it takes what minting takes.
    await grant(vOwner.token, asAccount(account), teamScope(vTeam), { permissions: ['team:transfer'] });
    expectRefused(
      await server.gql(REGENERATE, { input: { id: two.id } }, vAdmin.token),
      'regenerateApiToken',
      'FORBIDDEN',
      'You cannot regenerate this token: it would give permissions you do not hold yourself (team:transfer).',
    );

    await ok(DELETE_ACCOUNT, { input: { serviceAccountId: account } }, vOwner.token);
    refusedToken(await server.gql(TEAM, {}, regenerated.secret));
  });

  it('token scopes narrow what the account holds', async () => {
    await bucketIn(vTeam, 'sa-team-data', vOwner.token);
    const account = await newAccount(vTeam, 'scoped-bot', vOwner.token);
    await grant(vOwner.token, asAccount(account), teamScope(vTeam), { permissions: ['team:read', 'bucket:read', 'bucket:create'] });
    const narrow = await mint(account, 'narrow', vOwner.token, ['team:read', 'app:read']);
    const wide = await mint(account, 'wide', vOwner.token);
    const TEAM = `{ team(slug: "sa-team") { viewerPermissions buckets { nodes { name } } } }`;
    expect(await ok(TEAM, {}, wide.secret)).toEqual({
      team: { viewerPermissions: ['bucket:create', 'bucket:read', 'team:read'], buckets: { nodes: [{ name: 'sa-team-data' }] } },
    });
    expect(await ok(TEAM, {}, narrow.secret)).toEqual({ team: { viewerPermissions: ['team:read'], buckets: { nodes: [] } } });
    expectRefused(
      await server.gql(
        `mutation($input: CreateBucketInput!) { createBucket(input: $input) { ${USER_ERRORS} } }`,
        { input: { teamId: vTeam.id, name: 'sa-narrow-data', region: 'eu-west-1' } },
        narrow.secret,
      ),
      'createBucket',
      'FORBIDDEN',
      'You need the bucket:create permission to create buckets in this team.',
    );
  });

  it('gets nothing through grants of apps to its team (they pass on members’ roles, and it is no member)', async () => {
    await appIn(vTeam, 'sa-team-app', vOwner.token);
    const granted = await appIn(vOther, 'sa-granted-app', vStranger.token);
    await grantApp(granted, vTeam, vStranger.token);
    const account = await newAccount(vTeam, 'apps-bot', vOwner.token);
    await grant(vOwner.token, asAccount(account), teamScope(vTeam), { permissions: ['team:read', 'app:read', 'app:deploy'] });
    const { secret } = await mint(account, 'apps', vOwner.token);
    expect(await ok(`{ apps { nodes { name } } }`, {}, secret)).toEqual({ apps: { nodes: [{ name: 'sa-team-app' }] } });
    expectRefused(
      await server.gql(`{ app(name: "sa-granted-app") { name } }`, {}, secret),
      'app',
      'NOT_FOUND',
      'App "sa-granted-app" not found.',
      {
        app: null,
      },
    );
    expectRefused(
      await server.gql(DEPLOY, { input: { appId: granted, image: 'registry.example.com/web:1' } }, secret),
      'deployApp',
      'NOT_FOUND',
      'App not found.',
    );
    // A VIEWER of the team does see it, through the grant.
    expect(await ok(`{ apps { nodes { name viewerPermissions } } }`, {}, vViewer.token)).toEqual({
      apps: {
        nodes: [
          { name: 'sa-granted-app', viewerPermissions: ['app:read'] },
          { name: 'sa-team-app', viewerPermissions: ['app:read'] },
        ],
      },
    });
  });
});

describe('grants of an app to a team (regression: only membership roles pass on)', () => {
  let tOwner: User;
  let gOwner: User;
  let gViewer: User;
  let gBinder: User;
  let gMember: User;
  let target: string;
  let home: string;

  beforeAll(async () => {
    [tOwner, gOwner, gViewer, gBinder, gMember] = await signUpAll('grants', ['t-owner', 'g-owner', 'g-viewer', 'g-binder', 'g-member']);
    const owning = await newTeam('grant-owner', tOwner.token);
    const grantee = await newTeam('grant-grantee', gOwner.token);
    await addMember(grantee, gViewer, 'VIEWER', gOwner.token);
    await addMember(grantee, gMember, 'MEMBER', gOwner.token);
    target = await appIn(owning, 'grant-target-app', tOwner.token);
    home = await appIn(grantee, 'grant-home-app', gOwner.token);
    await grantApp(target, grantee, tOwner.token);
    // A VIEWER of the grantee team who deploys there through a custom team role.
    const deployers = await newRole(gOwner.token, { scope: 'TEAM', teamId: grantee.id, name: 'Deployers', permissions: ['app:deploy'] });
    await grant(gOwner.token, asUser(gViewer), teamScope(grantee), { roles: [deployers] });
    // A non-member who reads and deploys the grantee team's apps through a custom team role.
    const crew = await newRole(gOwner.token, {
      scope: 'TEAM',
      teamId: grantee.id,
      name: 'App crew',
      permissions: ['team:read', 'app:read', 'app:deploy'],
    });
    await grant(gOwner.token, asUser(gBinder), teamScope(grantee), { roles: [crew] });
  });

  const NODE = `query($id: ID!) { node(id: $id) { ... on App { name viewerPermissions } } }`;

  it('a custom team-scope role in the grantee team does not reach the granted app', async () => {
    expect(await ok(NODE, { id: home }, gViewer.token)).toEqual({
      node: { name: 'grant-home-app', viewerPermissions: ['app:deploy', 'app:read'] },
    });
    expect(await ok(NODE, { id: target }, gViewer.token)).toEqual({ node: { name: 'grant-target-app', viewerPermissions: ['app:read'] } });
    expectRefused(
      await server.gql(DEPLOY, { input: { appId: target, image: 'registry.example.com/web:1' } }, gViewer.token),
      'deployApp',
      'FORBIDDEN',
      'You need the app:deploy permission to deploy this app.',
    );
    // Without a membership, the grant gives nothing at all: the app is not there (lists and lookups, in SQL).
    expect(await ok(`{ apps { nodes { name viewerPermissions } } }`, {}, gBinder.token)).toEqual({
      apps: { nodes: [{ name: 'grant-home-app', viewerPermissions: ['app:deploy', 'app:read'] }] },
    });
    expectRefused(await server.gql(NODE, { id: target }, gBinder.token), 'node', 'NOT_FOUND', `Node ${target} not found.`, { node: null });
    expectRefused(
      await server.gql(`{ app(name: "grant-target-app") { name } }`, {}, gBinder.token),
      'app',
      'NOT_FOUND',
      'App "grant-target-app" not found.',
      {
        app: null,
      },
    );
  });

  it('a MEMBER of the grantee team holds MEMBER’s app permissions on the granted app', async () => {
    const memberActions = ['app:deploy', 'app:env:read-secrets', 'app:env:write', 'app:lifecycle', 'app:read', 'app:update'];
    expect(await ok(NODE, { id: target }, gMember.token)).toEqual({ node: { name: 'grant-target-app', viewerPermissions: memberActions } });
    const deployed = await ok(DEPLOY, { input: { appId: target, image: 'registry.example.com/web:1' } }, gMember.token);
    expect(deployed.deployApp).toEqual({ deploy: { version: 1 }, operation: { id: expect.any(String) }, userErrors: [] });
    expect((await settled(deployed.deployApp.operation.id, gMember.token)).status).toBe('DONE');
  });
});

describe('moving an app to another team (regression: cross-team escalation)', () => {
  it('ends bindings of the old team’s roles on it, so the old team cannot widen what they give', async () => {
    const from = await newTeam('move-from', owner.token);
    const to = await newTeam('move-to', owner.token);
    const oldAdmin = await server.signUp('old-admin@iam.test');
    const guest = await server.signUp('move-guest@iam.test');
    await addMember(from, oldAdmin, 'ADMIN', owner.token);
    const role = await ok(
      `mutation($input: CreateRoleInput!) { createRole(input: $input) { role { id } ${USER_ERRORS} } }`,
      { input: { scope: 'TEAM', teamId: from.id, name: 'App deployers', permissions: ['app:deploy'] } },
      owner.token,
    );
    const app = await ok(
      `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id } ${USER_ERRORS} } }`,
      { input: { teamId: from.id, name: 'moving-app', platform: 'node' } },
      owner.token,
    );
    const appId = app.createApp.app.id;
    await ok(
      SET_POLICY,
      {
        input: {
          subject: { type: 'USER', id: guest.id },
          scope: { type: 'APP', id: appId },
          add: { roles: [role.createRole.role.id], permissions: ['app:read'] },
        },
      },
      owner.token,
    );
    const permissions = async () => (await ok(`{ app(name: "moving-app") { viewerPermissions } }`, {}, guest.token)).app.viewerPermissions;
    expect(await permissions()).toEqual(['app:deploy', 'app:read']);

    const moved = await ok(
      `mutation($input: UpdateAppInput!) { updateApp(input: $input) { app { team { slug } } ${USER_ERRORS} } }`,
      { input: { appId, teamId: to.id } },
      owner.token,
    );
    expect(moved.updateApp).toEqual({ app: { team: { slug: 'move-to' } }, userErrors: [] });
    // The single permission moves with the app; the old team's role does not.
    expect(await permissions()).toEqual(['app:read']);
    const widened = await ok(
      `mutation($input: AddRolePermissionsInput!) { addRolePermissions(input: $input) { role { permissions } ${USER_ERRORS} } }`,
      { input: { roleId: role.createRole.role.id, permissions: ['app:delete'] } },
      oldAdmin.token,
    );
    expect(widened.addRolePermissions).toEqual({ role: { permissions: ['app:delete', 'app:deploy'] }, userErrors: [] });
    expect(await permissions()).toEqual(['app:read']);
  });
});

describe('service accounts at the platform scope', () => {
  it('are refused: a service account holds roles only in its own team', async () => {
    const root = await server.adminToken();
    const created = await ok(
      `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { serviceAccount { id } ${USER_ERRORS} } }`,
      { input: { teamId: acme.id, name: 'platform-bot' } },
      owner.token,
    );
    const refused = await ok(
      SET_POLICY,
      {
        input: {
          subject: { type: 'SERVICE_ACCOUNT', id: created.createServiceAccount.serviceAccount.id },
          scope: { type: 'PLATFORM' },
          add: { permissions: ['team:read'] },
        },
      },
      root,
    );
    expect(refused.setIamPolicy).toEqual({
      iamPolicy: null,
      userErrors: [
        {
          field: ['input', 'subject', 'id'],
          code: 'INVALID',
          message: 'A service account holds roles only in its own team and on that team’s resources.',
        },
      ],
    });
  });
});

describe('moving an app away from a service account’s team (regression)', () => {
  it('ends the account’s grants on it: service accounts hold only their own team’s resources', async () => {
    const from = await newTeam('sa-move-from', owner.token);
    const to = await newTeam('sa-move-to', owner.token);
    const account = await ok(
      `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { serviceAccount { id } ${USER_ERRORS} } }`,
      { input: { teamId: from.id, name: 'mover-bot' } },
      owner.token,
    );
    const accountId = account.createServiceAccount.serviceAccount.id;
    const app = await ok(
      `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id } ${USER_ERRORS} } }`,
      { input: { teamId: from.id, name: 'sa-moving-app', platform: 'node' } },
      owner.token,
    );
    const appId = app.createApp.app.id;
    const granted = await ok(
      `mutation($input: CreateAclEntriesInput!) { createAclEntries(input: $input) { ${USER_ERRORS} } }`,
      {
        input: {
          subject: { type: 'SERVICE_ACCOUNT', id: accountId },
          items: [
            { permission: 'app:read', resourceType: 'APP', resourceId: appId },
            { permission: 'app:env:read-secrets', resourceType: 'APP', resourceId: appId },
          ],
        },
      },
      owner.token,
    );
    expect(granted.createAclEntries.userErrors).toEqual([]);
    await ok(
      SET_POLICY,
      {
        input: {
          subject: { type: 'SERVICE_ACCOUNT', id: accountId },
          scope: { type: 'APP', id: appId },
          add: { permissions: ['app:deploy'] },
        },
      },
      owner.token,
    );
    const minted = await ok(
      `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret ${USER_ERRORS} } }`,
      { input: { name: 'mover', serviceAccountId: accountId } },
      owner.token,
    );
    const botToken = minted.createApiToken.secret as string;
    const READ = `{ app(name: "sa-moving-app") { viewerPermissions } }`;
    expect(await ok(READ, {}, botToken)).toEqual({ app: { viewerPermissions: ['app:deploy', 'app:env:read-secrets', 'app:read'] } });

    await ok(
      `mutation($input: UpdateAppInput!) { updateApp(input: $input) { ${USER_ERRORS} } }`,
      { input: { appId, teamId: to.id } },
      owner.token,
    );
    expectRefused(await server.gql(READ, {}, botToken), 'app', 'NOT_FOUND', 'App "sa-moving-app" not found.', { app: null });
  });
});

describe('service accounts and team ownership', () => {
  it('cannot delete or transfer a team even when bound team:delete and team:transfer', async () => {
    const team = await newTeam('sa-owned-not', owner.token);
    const account = await ok(
      `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { serviceAccount { id } ${USER_ERRORS} } }`,
      { input: { teamId: team.id, name: 'would-be-owner' } },
      owner.token,
    );
    const accountId = account.createServiceAccount.serviceAccount.id;
    await ok(
      SET_POLICY,
      {
        input: {
          subject: { type: 'SERVICE_ACCOUNT', id: accountId },
          scope: { type: 'TEAM', id: team.id },
          add: { permissions: ['team:read', 'team:delete', 'team:transfer'] },
        },
      },
      owner.token,
    );
    const minted = await ok(
      `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret ${USER_ERRORS} } }`,
      { input: { name: 'owner-ish', serviceAccountId: accountId } },
      owner.token,
    );
    const botToken = minted.createApiToken.secret as string;
    expectRefused(
      await server.gql(
        `mutation($input: DeleteTeamInput!) { deleteTeam(input: $input) { ${USER_ERRORS} } }`,
        { input: { teamId: team.id } },
        botToken,
      ),
      'deleteTeam',
      'FORBIDDEN',
      'A service account cannot delete teams; only users can.',
    );
    expectRefused(
      await server.gql(
        `mutation($input: TransferTeamOwnershipInput!) { transferTeamOwnership(input: $input) { ${USER_ERRORS} } }`,
        { input: { teamId: team.id, newOwnerEmail: outsider.email } },
        botToken,
      ),
      'transferTeamOwnership',
      'FORBIDDEN',
      'A service account cannot transfer a team’s ownership; only users can.',
    );
  });
});
