import { and, desc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclEntries, appGrants, auditEvents, roleBindings, users } from '../src/db/schema/index.js';
import { PASSWORD, startTestServer, type TestServer } from './support/server.js';
import { api, codes, dbId, errorsOf, expectRefused, USER_ERRORS, type TeamRef, type User } from './support/api.js';

// Issue 9, membership rules: token scopes narrow role decisions (item 5), leaving a team ends what
// the member set up there (8), one OWNER under concurrency (10), the new owner's teamLimit (11),
// notification state needs team:read (16), concurrent acceptances (18).

let server: TestServer;
let adminToken: string;
let owner: User;

const { ok, newTeam, addMember } = api(() => server);

beforeAll(async () => {
  server = await startTestServer();
  adminToken = await server.adminToken();
  owner = await server.signUp('owner@msec.test');
  await setTeamLimit(owner, 100);
});
afterAll(() => server?.close());

let counter = 0;
/** A new user with an address unique in this file. */
const someone = (name: string) => server.signUp(`${name}-${++counter}@msec.test`);

async function setTeamLimit(user: User, teamLimit: number) {
  const data = await ok(
    `mutation($input: AdminUpdateUserInput!) { adminUpdateUser(input: $input) { user { teamLimit } ${USER_ERRORS} } }`,
    { input: { userId: user.id, teamLimit } },
    adminToken,
  );
  expect(data.adminUpdateUser).toEqual({ user: { teamLimit }, userErrors: [] });
}

const INVITE = `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id role } ${USER_ERRORS} } }`;
const ACCEPT = `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { membership { id role } ${USER_ERRORS} } }`;
const SET_ROLE = `mutation($input: SetMemberRoleInput!) { setMemberRole(input: $input) { membership { id role } ${USER_ERRORS} } }`;
const REMOVE = `mutation($input: RemoveMemberInput!) { removeMember(input: $input) { deletedMembershipId ${USER_ERRORS} } }`;
const LEAVE = `mutation($input: LeaveTeamInput!) { leaveTeam(input: $input) { deletedMembershipId ${USER_ERRORS} } }`;
const TRANSFER = `mutation($input: TransferTeamOwnershipInput!) {
  transferTeamOwnership(input: $input) { membership { role user { email } } ${USER_ERRORS} } }`;
const DELETE_VIEWER = `mutation($input: DeleteViewerInput!) { deleteViewer(input: $input) { deletedUserId ${USER_ERRORS} } }`;
const ADMIN_DELETE = `mutation($input: AdminDeleteUserInput!) { adminDeleteUser(input: $input) { deletedUserId ${USER_ERRORS} } }`;
const MINT = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret ${USER_ERRORS} } }`;
const SET_POLICY = `mutation($input: SetIamPolicyInput!) { setIamPolicy(input: $input) { iamPolicy { permissions } ${USER_ERRORS} } }`;
const CREATE_ACL = `mutation($input: CreateAclEntriesInput!) { createAclEntries(input: $input) { aclEntries { id } ${USER_ERRORS} } }`;

/** A user API token with the given scopes (null: unscoped). */
async function userToken(user: User, scopes: string[] | null): Promise<string> {
  const data = await ok(MINT, { input: { name: `t${++counter}`, scopes } }, user.token);
  expect(data.createApiToken.userErrors).toEqual([]);
  return data.createApiToken.secret;
}

const membershipsOf = async (team: TeamRef) =>
  (
    await ok(
      `query($id: ID!) { node(id: $id) { ... on Team { members { nodes { id role user { email } } } } } }`,
      { id: team.id },
      owner.token,
    )
  ).node.members.nodes as { id: string; role: string; user: { email: string } }[];

describe('item 5: token scopes narrow role decisions', () => {
  let team: TeamRef;
  let member: User;
  let viewer: User;
  let memberId: string;
  let viewerId: string;
  const VIEWER_PERMISSIONS = ['team:read', 'bucket:read', 'app:read', 'cluster:read', 'audit:read'];

  beforeAll(async () => {
    team = await newTeam('scoped-roles', owner.token);
    [member, viewer] = await Promise.all([someone('scoped-member'), someone('scoped-viewer')]);
    memberId = await addMember(team, member, 'MEMBER', owner.token);
    viewerId = await addMember(team, viewer, 'VIEWER', owner.token);
  });

  it('an OWNER’s token scoped to team:members:manage (and team:read) cannot invite even a VIEWER', async () => {
    const token = await userToken(owner, ['team:read', 'team:members:manage']);
    const r = await ok(INVITE, { input: { teamId: team.id, email: 'scoped-1@example.com', role: 'VIEWER' } }, token);
    expect(r.inviteMember).toEqual({
      invitation: null,
      userErrors: [
        {
          field: ['input', 'role'],
          code: 'NOT_ALLOWED',
          message: 'role VIEWER holds permissions you do not hold in this team (app:read, audit:read, bucket:read, cluster:read).',
        },
      ],
    });
  });

  it('a scoped token invites and promotes only to roles within its scopes, and cannot demote or remove a wider role', async () => {
    const token = await userToken(owner, [...VIEWER_PERMISSIONS, 'team:members:manage']);
    expect((await ok(INVITE, { input: { teamId: team.id, email: 'scoped-2@example.com', role: 'VIEWER' } }, token)).inviteMember).toEqual({
      invitation: { id: expect.any(String), role: 'VIEWER' },
      userErrors: [],
    });
    const beyondViewer =
      'app:create, app:deploy, app:env:read-secrets, app:env:write, app:lifecycle, app:update, bucket:create, bucket:update, cluster:create, cluster:scale, cluster:update';
    expect((await ok(INVITE, { input: { teamId: team.id, email: 'scoped-3@example.com', role: 'MEMBER' } }, token)).inviteMember).toEqual({
      invitation: null,
      userErrors: [
        {
          field: ['input', 'role'],
          code: 'NOT_ALLOWED',
          message: `role MEMBER holds permissions you do not hold in this team (${beyondViewer}).`,
        },
      ],
    });
    expect((await ok(SET_ROLE, { input: { membershipId: viewerId, role: 'MEMBER' } }, token)).setMemberRole).toEqual({
      membership: null,
      userErrors: [
        {
          field: ['input', 'role'],
          code: 'NOT_ALLOWED',
          message: `role MEMBER holds permissions you do not hold in this team (${beyondViewer}).`,
        },
      ],
    });
    // Changing someone FROM a role wider than the token is refused too, and so is removing them.
    const fromMember = `that role holds permissions you do not hold in this team (${beyondViewer}).`;
    expectRefused(
      await server.gql(SET_ROLE, { input: { membershipId: memberId, role: 'VIEWER' } }, token),
      'setMemberRole',
      'FORBIDDEN',
      `You cannot change the role of this MEMBER: ${fromMember}`,
    );
    expectRefused(
      await server.gql(REMOVE, { input: { membershipId: memberId } }, token),
      'removeMember',
      'FORBIDDEN',
      `You cannot remove this MEMBER: ${fromMember}`,
    );
    expect((await membershipsOf(team)).map((m) => m.role)).toEqual(['OWNER', 'MEMBER', 'VIEWER']);
    // The owner's session still may.
    expect((await ok(SET_ROLE, { input: { membershipId: viewerId, role: 'MEMBER' } }, owner.token)).setMemberRole.userErrors).toEqual([]);
    expect((await ok(SET_ROLE, { input: { membershipId: viewerId, role: 'VIEWER' } }, owner.token)).setMemberRole.userErrors).toEqual([]);
  });

  it('a platform admin’s token scoped to user:manage cannot make anyone platform ADMIN; a session can', async () => {
    const scoped = await userToken({ ...owner, token: adminToken }, ['user:manage']);
    const target = await someone('would-be-admin');
    const UPDATE = `mutation($input: AdminUpdateUserInput!) { adminUpdateUser(input: $input) { user { platformRole } ${USER_ERRORS} } }`;
    const CREATE = `mutation($input: AdminCreateUserInput!) { adminCreateUser(input: $input) { user { email platformRole } ${USER_ERRORS} } }`;
    const refusal =
      'A scoped API token cannot grant or take the platform ADMIN role, nor change an admin’s account; use a session or an unscoped token.';
    expectRefused(
      await server.gql(UPDATE, { input: { userId: target.id, platformRole: 'ADMIN' } }, scoped),
      'adminUpdateUser',
      'FORBIDDEN',
      refusal,
    );
    expectRefused(
      await server.gql(CREATE, { input: { email: 'new-admin@msec.test', password: PASSWORD, platformRole: 'ADMIN' } }, scoped),
      'adminCreateUser',
      'FORBIDDEN',
      refusal,
    );
    // Ordinary user management still works with the scoped token.
    expect((await ok(CREATE, { input: { email: 'new-user@msec.test', password: PASSWORD } }, scoped)).adminCreateUser).toEqual({
      user: { email: 'new-user@msec.test', platformRole: 'USER' },
      userErrors: [],
    });
    const [row] = await server.database.db
      .select({ role: users.platformRole })
      .from(users)
      .where(eq(users.id, dbId(target.id)));
    expect(row.role).toBe('USER');
    expect((await ok(UPDATE, { input: { userId: target.id, platformRole: 'ADMIN' } }, adminToken)).adminUpdateUser).toEqual({
      user: { platformRole: 'ADMIN' },
      userErrors: [],
    });
    // Nor can it take the role away again, or delete that admin.
    expectRefused(
      await server.gql(UPDATE, { input: { userId: target.id, platformRole: 'USER' } }, scoped),
      'adminUpdateUser',
      'FORBIDDEN',
      refusal,
    );
    expectRefused(await server.gql(ADMIN_DELETE, { input: { userId: target.id } }, scoped), 'adminDeleteUser', 'FORBIDDEN', refusal);
  });

  it('a token scoped to iam:manage grants nothing outside its scopes (IAM policies, ACL entries, roles)', async () => {
    const bucket = (
      await ok(
        `mutation($input: CreateBucketInput!) { createBucket(input: $input) { bucket { id } ${USER_ERRORS} } }`,
        { input: { teamId: team.id, name: 'scoped-bucket', region: 'eu-west-1' } },
        owner.token,
      )
    ).createBucket.bucket.id;
    const token = await userToken(owner, ['team:read', 'bucket:read', 'iam:manage']);
    const subject = { type: 'USER', id: member.id };
    expectRefused(
      await server.gql(
        SET_POLICY,
        { input: { subject, scope: { type: 'TEAM', id: team.id }, add: { permissions: ['bucket:delete'] } } },
        token,
      ),
      'setIamPolicy',
      'FORBIDDEN',
      'You cannot grant this: it would give permissions you do not hold yourself (bucket:delete).',
    );
    const acl = await ok(
      CREATE_ACL,
      { input: { subject, items: [{ permission: 'bucket:delete', resourceType: 'BUCKET', resourceId: bucket }] } },
      token,
    );
    expect(acl.createAclEntries).toEqual({
      aclEntries: null,
      userErrors: [
        {
          field: ['input', 'items', '0', 'permission'],
          code: 'NOT_ALLOWED',
          message: 'items[0]: you cannot grant bucket:delete: you do not hold it on this bucket.',
        },
      ],
    });
    expectRefused(
      await server.gql(
        `mutation($input: CreateRoleInput!) { createRole(input: $input) { role { id } ${USER_ERRORS} } }`,
        { input: { scope: 'TEAM', teamId: team.id, name: 'Deleters', permissions: ['bucket:read', 'bucket:delete'] } },
        token,
      ),
      'createRole',
      'FORBIDDEN',
      'You cannot create this role: it would give permissions you do not hold yourself (bucket:delete).',
    );
    // Within the scopes it grants.
    const granted = await ok(
      SET_POLICY,
      { input: { subject, scope: { type: 'BUCKET', id: bucket }, add: { permissions: ['bucket:read'] } } },
      token,
    );
    expect(granted.setIamPolicy).toEqual({ iamPolicy: { permissions: ['bucket:read'] }, userErrors: [] });
  });
});

// ---- item 8 ------------------------------------------------------------------------------------

const APP_VIEW = `query($id: ID!) { node(id: $id) { ... on App { viewerPermissions env { name value } } } }`;

/**
 * A team where `adm`, an ADMIN, set up every path of their own: bindings (iam:manage in the team;
 * app:delete and app:env:read-secrets on its app), ACL entries (app:delete, app:env:read-secrets and
 * app:read on the app), a service account holding iam:manage, app:delete and the secrets with a
 * token they minted, an invitation to another address as ADMIN and (unless `ownTeam` is false)
 * a grant of the app to a team they own.
 */
async function pathsOfAnAdmin(slug: string, { ownTeam = true } = {}) {
  const team = await newTeam(slug, owner.token);
  const adm = await someone(`${slug}-admin`);
  const membershipId = await addMember(team, adm, 'ADMIN', owner.token);
  const app = (
    await ok(
      `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id } ${USER_ERRORS} } }`,
      { input: { teamId: team.id, name: slug, platform: 'node' } },
      owner.token,
    )
  ).createApp.app.id as string;
  await ok(
    `mutation($input: SetEnvInput!) { setEnv(input: $input) { ${USER_ERRORS} } }`,
    { input: { appId: app, variables: [{ name: 'DB_PASSWORD', value: 'hunter2', secret: true }] } },
    owner.token,
  );
  const self = { type: 'USER', id: adm.id };
  const policy = async (subject: unknown, scope: unknown, permissions: string[]) =>
    expect((await ok(SET_POLICY, { input: { subject, scope, add: { permissions } } }, adm.token)).setIamPolicy.userErrors).toEqual([]);
  await policy(self, { type: 'TEAM', id: team.id }, ['iam:manage']);
  await policy(self, { type: 'APP', id: app }, ['app:delete', 'app:env:read-secrets']);
  const items = ['app:delete', 'app:env:read-secrets', 'app:read'].map((permission) => ({
    permission,
    resourceType: 'APP',
    resourceId: app,
  }));
  expect((await ok(CREATE_ACL, { input: { subject: self, items } }, adm.token)).createAclEntries.userErrors).toEqual([]);

  const account = (
    await ok(
      `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { serviceAccount { id } ${USER_ERRORS} } }`,
      { input: { teamId: team.id, name: 'side-door' } },
      adm.token,
    )
  ).createServiceAccount.serviceAccount.id;
  await policy({ type: 'SERVICE_ACCOUNT', id: account }, { type: 'TEAM', id: team.id }, [
    'team:read',
    'app:read',
    'app:delete',
    'app:env:read-secrets',
    'iam:manage',
  ]);
  const minted = await ok(MINT, { input: { name: 'mine', serviceAccountId: account } }, adm.token);
  const botToken: string = minted.createApiToken.secret;
  expect((await ok(APP_VIEW, { id: app }, botToken)).node.env).toEqual([{ name: 'DB_PASSWORD', value: 'hunter2' }]);

  const invited = await ok(INVITE, { input: { teamId: team.id, email: `${slug}-alt@example.com`, role: 'ADMIN' } }, adm.token);
  const invitationId: string = invited.inviteMember.invitation.id;

  let own: TeamRef | null = null;
  if (ownTeam) {
    own = await newTeam(`${slug}-own`, adm.token);
    const granted = await ok(
      `mutation($input: GrantAppAccessInput!) { grantAppAccess(input: $input) { ${USER_ERRORS} } }`,
      { input: { appId: app, teamId: own.id } },
      adm.token,
    );
    expect(granted.grantAppAccess.userErrors).toEqual([]);
  }
  return { team, adm, membershipId, app, account, botToken, invitationId, own };
}

type Paths = Awaited<ReturnType<typeof pathsOfAnAdmin>>;

/** What is left of the paths in the database, and how the world looks to the (former) admin and their token. */
async function remains(p: Paths) {
  const db = server.database.db;
  const [bindings, entries, grants] = await Promise.all([
    db
      .select({ permission: roleBindings.permission })
      .from(roleBindings)
      .where(and(eq(roleBindings.teamId, dbId(p.team.id)), eq(roleBindings.userId, dbId(p.adm.id)))),
    db
      .select({ permission: aclEntries.permission })
      .from(aclEntries)
      .where(and(eq(aclEntries.teamId, dbId(p.team.id)), eq(aclEntries.userId, dbId(p.adm.id)))),
    db
      .select({ id: appGrants.id })
      .from(appGrants)
      .where(eq(appGrants.appId, dbId(p.app))),
  ]);
  const invitation = await ok(`query($id: ID!) { node(id: $id) { ... on Invitation { status } } }`, { id: p.invitationId }, owner.token);
  const bot = await server.gql(APP_VIEW, { id: p.app }, p.botToken);
  return {
    bindings: bindings.map((b) => b.permission).sort(),
    aclEntries: entries.map((e) => e.permission).sort(),
    appGrants: grants.length,
    invitation: invitation.node.status,
    botToken: bot.body.errors ? codes(bot) : 'works',
  };
}

const NOTHING_LEFT = { bindings: [], aclEntries: [], appGrants: 0, invitation: 'REVOKED', botToken: ['UNAUTHENTICATED'] };
const ALL_ENDED = { roleBindings: 3, aclEntries: 3, invitations: 1, apiTokens: 1, appGrants: 1 };

/** The `data` of the newest audit event of that kind. */
async function auditData(kind: string) {
  const [event] = await server.database.db
    .select({ data: auditEvents.data })
    .from(auditEvents)
    .where(eq(auditEvents.kind, kind))
    .orderBy(desc(auditEvents.createdAt))
    .limit(1);
  return event.data as Record<string, unknown>;
}

/** The former admin reaches neither the team nor its app: no iam:manage, no app:delete, no secret values. */
async function expectLockedOut(p: Paths) {
  const team = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: p.team.id }, p.adm.token);
  expect(team.body.data?.node ?? null).toBeNull();
  const app = await server.gql(APP_VIEW, { id: p.app }, p.adm.token);
  expect(app.body.data?.node ?? null).toBeNull();
  expectRefused(
    await server.gql(
      `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { ${USER_ERRORS} } }`,
      { input: { teamId: p.team.id, name: 'back-door' } },
      p.adm.token,
    ),
    'createServiceAccount',
    'NOT_FOUND',
    'Team not found.',
  );
  const deleted = await server.gql(
    `mutation($input: DeleteAppInput!) { deleteApp(input: $input) { deletedAppId ${USER_ERRORS} } }`,
    { input: { appId: p.app } },
    p.adm.token,
  );
  expect(codes(deleted)).toEqual(['NOT_FOUND']);
}

describe('item 8: leaving a team ends every path the member set up there', () => {
  it('removeMember: a removed ADMIN keeps no binding, ACL entry, minted token, app grant or invitation', async () => {
    const p = await pathsOfAnAdmin('gone-removed');
    // Before: the admin holds the app through their own team's grant, too.
    expect((await ok(APP_VIEW, { id: p.app }, p.adm.token)).node.viewerPermissions).toContain('app:delete');
    expect(await remains(p)).toEqual({
      bindings: ['app:delete', 'app:env:read-secrets', 'iam:manage'],
      aclEntries: ['app:delete', 'app:env:read-secrets', 'app:read'],
      appGrants: 1,
      invitation: 'PENDING',
      botToken: 'works',
    });
    expect((await ok(REMOVE, { input: { membershipId: p.membershipId } }, owner.token)).removeMember.userErrors).toEqual([]);
    expect(await remains(p)).toEqual(NOTHING_LEFT);
    await expectLockedOut(p);
    expect(await auditData('team.member.remove')).toEqual({ userId: p.adm.id, ended: ALL_ENDED });
  });

  it('leaveTeam: an ADMIN who leaves keeps nothing they set up', async () => {
    const p = await pathsOfAnAdmin('gone-left');
    expect((await ok(LEAVE, { input: { teamId: p.team.id } }, p.adm.token)).leaveTeam.userErrors).toEqual([]);
    expect(await remains(p)).toEqual(NOTHING_LEFT);
    await expectLockedOut(p);
    expect(await auditData('team.member.leave')).toEqual({ ended: ALL_ENDED });
  });

  it('deleteViewer: deleting the account revokes the tokens they minted and the invitations they sent', async () => {
    // An account that owns a team cannot be deleted, so no grant to a team of theirs here.
    const p = await pathsOfAnAdmin('gone-deleted', { ownTeam: false });
    const r = await ok(DELETE_VIEWER, { input: { password: PASSWORD } }, p.adm.token);
    expect(r.deleteViewer).toEqual({ deletedUserId: p.adm.id, userErrors: [] });
    expect(await remains(p)).toEqual(NOTHING_LEFT);
    expect(await auditData('user.delete')).toEqual({ ended: { [p.team.id]: { ...ALL_ENDED, appGrants: 0 } } });
  });

  it('adminDeleteUser: the same, when a platform admin deletes the account', async () => {
    const p = await pathsOfAnAdmin('gone-admin-deleted', { ownTeam: false });
    const r = await ok(ADMIN_DELETE, { input: { userId: p.adm.id } }, adminToken);
    expect(r.adminDeleteUser).toEqual({ deletedUserId: p.adm.id, userErrors: [] });
    expect(await remains(p)).toEqual(NOTHING_LEFT);
    expect(await auditData('admin.user.delete')).toEqual({ email: p.adm.email, ended: { [p.team.id]: { ...ALL_ENDED, appGrants: 0 } } });
  });

  it('setMemberRole: a demotion ends the paths the new role could not have set up, and keeps the rest', async () => {
    const p = await pathsOfAnAdmin('demoted');
    const r = await ok(SET_ROLE, { input: { membershipId: p.membershipId, role: 'MEMBER' } }, owner.token);
    expect(r.setMemberRole).toEqual({ membership: { id: p.membershipId, role: 'MEMBER' }, userErrors: [] });
    // MEMBER holds app:env:read-secrets and app:read but not app:delete, iam:manage, team:members:manage or app:grant.
    expect(await remains(p)).toEqual({
      bindings: ['app:env:read-secrets'],
      aclEntries: ['app:env:read-secrets', 'app:read'],
      appGrants: 0,
      invitation: 'REVOKED',
      botToken: ['UNAUTHENTICATED'],
    });
    expect(await auditData('team.member.role')).toEqual({
      from: 'ADMIN',
      to: 'MEMBER',
      ended: { roleBindings: 2, aclEntries: 1, invitations: 1, apiTokens: 1, appGrants: 1 },
    });
    const seen = await ok(APP_VIEW, { id: p.app }, p.adm.token);
    expect(seen.node.viewerPermissions).not.toContain('app:delete');
    // A promotion ends nothing.
    expect((await ok(SET_ROLE, { input: { membershipId: p.membershipId, role: 'ADMIN' } }, owner.token)).setMemberRole.userErrors).toEqual(
      [],
    );
    expect(await auditData('team.member.role')).toEqual({ from: 'MEMBER', to: 'ADMIN' });
    expect((await remains(p)).aclEntries).toEqual(['app:env:read-secrets', 'app:read']);
  });
});

// ---- items 10 and 11 ---------------------------------------------------------------------------

/** Every team has exactly one OWNER (read straight from the database). */
async function ownersPerTeam(): Promise<number[]> {
  const rows = await server.database.db.execute<{ owners: number }>(
    sql`select count(m.id)::int as owners from teams t left join memberships m on m.team_id = t.id and m.role = 'OWNER' group by t.id`,
  );
  return (Array.isArray(rows) ? rows : (rows as { rows: { owners: number }[] }).rows).map((r) => Number(r.owners));
}

describe('item 10: a team keeps exactly one OWNER when a transfer races the new owner’s account deletion', () => {
  it.each(['deleteViewer', 'adminDeleteUser'] as const)('transferTeamOwnership racing %s, 10 times', async (how) => {
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const team = await newTeam(`race-${how.toLowerCase()}-${i}`, owner.token);
      const heir = await someone(`heir-${how}-${i}`);
      await addMember(team, heir, 'MEMBER', owner.token);
      const [transfer, deletion] = await Promise.all([
        server.gql(TRANSFER, { input: { teamId: team.id, newOwnerEmail: heir.email } }, owner.token),
        how === 'deleteViewer'
          ? server.gql(DELETE_VIEWER, { input: { password: PASSWORD } }, heir.token)
          : server.gql(ADMIN_DELETE, { input: { userId: heir.id } }, adminToken),
      ]);
      expect([transfer.status, transfer.body.errors, deletion.status, deletion.body.errors]).toEqual([200, undefined, 200, undefined]);
      const transferErrors = transfer.body.data.transferTeamOwnership.userErrors;
      const deletionErrors = deletion.body.data[how].userErrors;
      if (transferErrors.length) {
        expect(transferErrors).toEqual([
          { field: ['input', 'newOwnerEmail'], code: 'INVALID', message: `${heir.email} is not a member of this team; invite them first.` },
        ]);
        expect(deletionErrors).toEqual([]);
        outcomes.push('deleted');
      } else {
        const who = how === 'deleteViewer' ? 'You still own 1 team' : `${heir.email} still owns 1 team`;
        expect(deletionErrors).toEqual([
          {
            field: how === 'deleteViewer' ? null : ['input', 'userId'],
            code: 'IN_USE',
            message: `${who}; transfer ownership or delete it first.`,
          },
        ]);
        outcomes.push('transferred');
      }
      expect(new Set(await ownersPerTeam())).toEqual(new Set([1]));
    }
    expect(outcomes).toHaveLength(10);
  });
});

describe('item 11: transferTeamOwnership respects the new owner’s teamLimit', () => {
  it('is refused with LIMIT_REACHED naming the new owner, and allowed once the limit is raised', async () => {
    const team = await newTeam('limited-transfer', owner.token);
    const heir = await someone('limited-heir');
    await addMember(team, heir, 'ADMIN', owner.token);
    await newTeam('heirs-own', heir.token);
    await setTeamLimit(heir, 1);
    const refused = await ok(TRANSFER, { input: { teamId: team.id, newOwnerEmail: heir.email } }, owner.token);
    expect(refused.transferTeamOwnership).toEqual({
      membership: null,
      userErrors: [
        {
          field: ['input', 'newOwnerEmail'],
          code: 'LIMIT_REACHED',
          message: `${heir.email} already owns 1 team, their limit; they must give one up or an admin must raise their limit first.`,
        },
      ],
    });
    expect((await membershipsOf(team)).find((m) => m.role === 'OWNER')?.user.email).toBe(owner.email);
    await setTeamLimit(heir, 2);
    const done = await ok(TRANSFER, { input: { teamId: team.id, newOwnerEmail: heir.email } }, owner.token);
    expect(done.transferTeamOwnership).toEqual({ membership: { role: 'OWNER', user: { email: heir.email } }, userErrors: [] });
  });
});

// ---- item 16 -----------------------------------------------------------------------------------

describe('item 16: notification state and options need a credential that can read the team', () => {
  const NOTIFY = `mutation($input: SetMemberNotificationInput!) { setMemberNotification(input: $input) { membership { notification } ${USER_ERRORS} } }`;
  const OPTIONS = `mutation($input: UpdateMemberOptionsInput!) { updateMemberOptions(input: $input) { membership { options } ${USER_ERRORS} } }`;

  it('a token without team:read gets NOT_FOUND and changes nothing; one with team:read may', async () => {
    const team = await newTeam('notify-scoped', owner.token);
    const member = await someone('notified');
    await addMember(team, member, 'MEMBER', owner.token);
    const blind = await userToken(member, ['app:read']);
    expectRefused(
      await server.gql(NOTIFY, { input: { teamId: team.id, state: 'NONE' } }, blind),
      'setMemberNotification',
      'NOT_FOUND',
      'Team not found.',
    );
    expectRefused(
      await server.gql(OPTIONS, { input: { teamId: team.id, options: { a: 1 } } }, blind),
      'updateMemberOptions',
      'NOT_FOUND',
      'Team not found.',
    );
    const state = `query($id: ID!) { node(id: $id) { ... on Team { members(role: MEMBER) { nodes { notification options } } } } }`;
    expect((await ok(state, { id: team.id }, owner.token)).node.members.nodes).toEqual([{ notification: 'EMAIL', options: {} }]);
    const reader = await userToken(member, ['team:read']);
    expect((await ok(NOTIFY, { input: { teamId: team.id, state: 'NONE' } }, reader)).setMemberNotification).toEqual({
      membership: { notification: 'NONE' },
      userErrors: [],
    });
    expect((await ok(OPTIONS, { input: { teamId: team.id, options: { a: 1 } } }, reader)).updateMemberOptions).toEqual({
      membership: { options: { a: 1 } },
      userErrors: [],
    });
  });
});

// ---- item 18 -----------------------------------------------------------------------------------

describe('item 18: accepting invitations to one team at once', () => {
  const mailToken = async (email: string) => (await server.deliveredMail()).tokenFor(email, 'invitation');

  it('two invitations accepted together: one joins, the other is TAKEN (no 500)', async () => {
    const team = await newTeam('double-join', owner.token);
    const joiner = await someone('joiner');
    // Invited at their address and at another one of theirs, whose mailed token they also hold.
    for (const email of [joiner.email, 'joiner-alias@example.com'])
      expect((await ok(INVITE, { input: { teamId: team.id, email, role: 'VIEWER' } }, owner.token)).inviteMember.userErrors).toEqual([]);
    const tokens = [await mailToken(joiner.email), await mailToken('joiner-alias@example.com')];
    const results = await Promise.all(tokens.map((token) => server.gql(ACCEPT, { input: { token } }, joiner.token)));
    for (const r of results) expect([r.status, r.body.errors]).toEqual([200, undefined]);
    const payloads = results.map((r) => r.body.data.acceptInvitation);
    expect(payloads.filter((p) => p.membership)).toEqual([{ membership: { id: expect.any(String), role: 'VIEWER' }, userErrors: [] }]);
    expect(payloads.filter((p) => !p.membership)).toEqual([
      { membership: null, userErrors: [{ field: null, code: 'TAKEN', message: 'You are already a member of this team.' }] },
    ]);
    expect((await membershipsOf(team)).map((m) => m.user.email)).toEqual([owner.email, joiner.email]);
  });

  it('one invitation accepted twice together: one joins, the other finds it used (no 500)', async () => {
    const team = await newTeam('twice-join', owner.token);
    const joiner = await someone('twice-joiner');
    await ok(INVITE, { input: { teamId: team.id, email: joiner.email, role: 'VIEWER' } }, owner.token);
    const token = await mailToken(joiner.email);
    const results = await Promise.all([1, 2].map(() => server.gql(ACCEPT, { input: { token } }, joiner.token)));
    for (const r of results) expect([r.status, r.body.errors]).toEqual([200, undefined]);
    const refused = results.map((r) => r.body.data.acceptInvitation).filter((p) => !p.membership);
    expect(refused).toHaveLength(1);
    expect(refused[0].userErrors.map((e: { code: string }) => e.code)).toEqual(['EXPIRED']);
    expect(errorsOf(results[0])).toBeUndefined();
  });
});
