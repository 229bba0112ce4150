import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitations, roleBindings, teams } from '../src/db/schema/index.js';
import { PASSWORD, startTestServer, type TestServer } from './support/server.js';
import { dbId, errorsOf, USER_ERRORS } from './support/api.js';

let server: TestServer;
let adminToken: string;

type User = { token: string; id: string; email: string };
type Role = 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER';
let owner: User;
let admin: User;
let member: User;
let viewer: User;
let outsider: User;

beforeAll(async () => {
  server = await startTestServer();
  adminToken = await server.adminToken();
  [owner, admin, member, viewer, outsider] = await Promise.all(
    ['owner', 'admin', 'member', 'viewer', 'outsider'].map((n) => server.signUp(`${n}@members.test`)),
  );
  // The owner makes a fresh team for most tests.
  const r = await server.gql(
    `mutation($input: AdminUpdateUserInput!) { adminUpdateUser(input: $input) { user { teamLimit } } }`,
    { input: { userId: owner.id, teamLimit: 100 } },
    adminToken,
  );
  expect(r.body.data.adminUpdateUser.user.teamLimit).toBe(100);
});
afterAll(() => server.close());

const topError = (path: (string | number)[], code: string, message: string) => [{ message, path, extensions: { code } }];

const INVITE = `mutation($input: InviteMemberInput!) {
  inviteMember(input: $input) { invitation { id email role status } ${USER_ERRORS} }
}`;
const ACCEPT = `mutation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { membership { id role team { slug } } ${USER_ERRORS} }
}`;
const REVOKE = `mutation($input: RevokeInvitationInput!) {
  revokeInvitation(input: $input) { invitation { id status } ${USER_ERRORS} }
}`;
const REMOVE = `mutation($input: RemoveMemberInput!) {
  removeMember(input: $input) { deletedMembershipId team { slug } ${USER_ERRORS} }
}`;
const SET_ROLE = `mutation($input: SetMemberRoleInput!) {
  setMemberRole(input: $input) { membership { id role user { email } } ${USER_ERRORS} }
}`;
const TRANSFER = `mutation($input: TransferTeamOwnershipInput!) {
  transferTeamOwnership(input: $input) {
    membership { role user { email } } previousOwner { role user { email } } ${USER_ERRORS}
  }
}`;
const LEAVE = `mutation($input: LeaveTeamInput!) {
  leaveTeam(input: $input) { deletedMembershipId team { slug } ${USER_ERRORS} }
}`;

const invite = (teamId: string, email: string, role: Role, token: string) => server.gql(INVITE, { input: { teamId, email, role } }, token);
const accept = (input: Record<string, unknown>, token: string) => server.gql(ACCEPT, { input }, token);
const mailToken = async (email: string) => (await server.deliveredMail()).tokenFor(email, 'invitation');

async function newTeam(slug: string, token = owner.token): Promise<{ id: string; slug: string }> {
  const r = await server.gql(
    `mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id slug } ${USER_ERRORS} } }`,
    { input: { slug, name: slug } },
    token,
  );
  const team = r.body.data?.createTeam?.team;
  if (!team) throw new Error(`createTeam ${slug} failed: ${JSON.stringify(r.body)}`);
  return team;
}

/** Invites `user` and has them accept by the mailed token; returns the new membership's id. */
async function addMember(teamId: string, user: User, role: Exclude<Role, 'OWNER'>, managerToken = owner.token): Promise<string> {
  const invited = await invite(teamId, user.email, role, managerToken);
  expect(invited.body.data?.inviteMember.userErrors).toEqual([]);
  const accepted = await accept({ token: await mailToken(user.email) }, user.token);
  expect(accepted.body.data?.acceptInvitation.userErrors).toEqual([]);
  return accepted.body.data.acceptInvitation.membership.id;
}

/** A team owned by `owner` with `admin`, `member` and `viewer` in it; the membership ids by role. */
async function crew(slug: string) {
  const team = await newTeam(slug);
  const m = {
    ADMIN: await addMember(team.id, admin, 'ADMIN'),
    MEMBER: await addMember(team.id, member, 'MEMBER'),
    VIEWER: await addMember(team.id, viewer, 'VIEWER'),
  };
  const members = await server.gql(`{ team(slug: "${slug}") { members(role: OWNER) { nodes { id } } } }`, {}, owner.token);
  return { ...team, m: { OWNER: members.body.data.team.members.nodes[0].id as string, ...m } };
}

const tokenOf = (role: Role) => ({ OWNER: owner, ADMIN: admin, MEMBER: member, VIEWER: viewer })[role].token;

describe('inviteMember', () => {
  let team: Awaited<ReturnType<typeof crew>>;
  beforeAll(async () => {
    team = await crew('invites');
  });

  it('invites an email with no account yet; the token goes out by mail', async () => {
    const r = await invite(team.id, '  New.Person@Example.COM ', 'MEMBER', owner.token);
    expect(r.body).toEqual({
      data: {
        inviteMember: {
          invitation: { id: expect.any(String), email: 'new.person@example.com', role: 'MEMBER', status: 'PENDING' },
          userErrors: [],
        },
      },
    });
    const mail = await server.deliveredMail();
    expect(mail.tokenFor('new.person@example.com', 'invitation')).toEqual(expect.any(String));
    // The newcomer signs up later and finds it among their invitations.
    const newcomer = await server.signUp('new.person@example.com');
    const mine = await server.gql(
      `{ viewer { invitations { nodes { id email role status teamSlug teamName team { slug } } } } }`,
      {},
      newcomer.token,
    );
    expect(mine.body).toEqual({
      data: {
        viewer: {
          invitations: {
            nodes: [
              {
                id: r.body.data.inviteMember.invitation.id,
                email: 'new.person@example.com',
                role: 'MEMBER',
                status: 'PENDING',
                teamSlug: 'invites',
                teamName: 'invites',
                team: null,
              },
            ],
          },
        },
      },
    });
  });

  it('invites an existing user, who sees the invitation in viewer.invitations', async () => {
    const r = await invite(team.id, outsider.email, 'VIEWER', admin.token);
    expect(r.body.data.inviteMember).toEqual({
      invitation: { id: expect.any(String), email: outsider.email, role: 'VIEWER', status: 'PENDING' },
      userErrors: [],
    });
    const mine = await server.gql(`{ viewer { invitations { totalCount nodes { id teamSlug inviter { email } } } } }`, {}, outsider.token);
    expect(mine.body.data.viewer.invitations.totalCount).toBe(1);
    expect(mine.body.data.viewer.invitations.nodes[0]).toMatchObject({ id: r.body.data.inviteMember.invitation.id, teamSlug: 'invites' });
    // Revoke it again so that the outsider stays an outsider.
    const revoked = await server.gql(REVOKE, { input: { invitationId: r.body.data.inviteMember.invitation.id } }, owner.token);
    expect(revoked.body.data.revokeInvitation.userErrors).toEqual([]);
  });

  it('refuses role OWNER', async () => {
    const r = await invite(team.id, 'wannabe@example.com', 'OWNER', owner.token);
    expect(r.body).toEqual({
      data: {
        inviteMember: {
          invitation: null,
          userErrors: [
            {
              field: ['input', 'role'],
              code: 'INVALID',
              message: 'role must be ADMIN, MEMBER or VIEWER; ownership moves only with transferTeamOwnership',
            },
          ],
        },
      },
    });
  });

  it('lets an ADMIN invite an ADMIN (an equal role)', async () => {
    const r = await invite(team.id, 'peer-admin@example.com', 'ADMIN', admin.token);
    expect(r.body.data.inviteMember).toEqual({
      invitation: { id: expect.any(String), email: 'peer-admin@example.com', role: 'ADMIN', status: 'PENDING' },
      userErrors: [],
    });
  });

  it.each(['MEMBER', 'VIEWER'] as const)('refuses a %s (no team:members:manage) with FORBIDDEN', async (role) => {
    const r = await invite(team.id, 'someone@example.com', 'VIEWER', tokenOf(role));
    expect(errorsOf(r)).toEqual(
      topError(['inviteMember'], 'FORBIDDEN', 'You need the team:members:manage permission to manage this team’s members.'),
    );
    expect(r.body.data).toBeNull();
  });

  it('answers NOT_FOUND to a non-member', async () => {
    const r = await invite(team.id, 'someone@example.com', 'VIEWER', outsider.token);
    expect(errorsOf(r)).toEqual(topError(['inviteMember'], 'NOT_FOUND', 'Team not found.'));
  });

  it('refuses a role holding permissions the inviter does not hold (a MEMBER granted team:members:manage directly)', async () => {
    const grantee = await server.signUp('grantee@members.test');
    const t = await newTeam('granted');
    await addMember(t.id, grantee, 'MEMBER');
    await server.database.db
      .insert(roleBindings)
      .values({ userId: dbId(grantee.id), scope: 'TEAM', teamId: dbId(t.id), permission: 'team:members:manage' });
    const above = await invite(t.id, 'too-high@example.com', 'ADMIN', grantee.token);
    expect(above.body.data.inviteMember).toEqual({
      invitation: null,
      userErrors: [
        {
          field: ['input', 'role'],
          code: 'NOT_ALLOWED',
          message:
            'role ADMIN holds permissions you do not hold in this team (app:delete, app:grant, bucket:delete, cluster:delete, iam:manage, team:update).',
        },
      ],
    });
    const equal = await invite(t.id, 'just-right@example.com', 'MEMBER', grantee.token);
    expect(equal.body.data.inviteMember.userErrors).toEqual([]);
  });

  it('refuses a second pending invitation for the same email with TAKEN', async () => {
    await invite(team.id, 'twice@example.com', 'VIEWER', owner.token);
    const r = await invite(team.id, 'TWICE@example.com', 'MEMBER', admin.token);
    expect(r.body.data.inviteMember).toEqual({
      invitation: null,
      userErrors: [
        { field: ['input', 'email'], code: 'TAKEN', message: 'twice@example.com already has a pending invitation to this team.' },
      ],
    });
  });

  it('refuses an existing member with TAKEN', async () => {
    const r = await invite(team.id, member.email, 'VIEWER', owner.token);
    expect(r.body.data.inviteMember).toEqual({
      invitation: null,
      userErrors: [{ field: ['input', 'email'], code: 'TAKEN', message: `${member.email} is already a member of this team.` }],
    });
  });

  it('refuses a malformed or over-long email with INVALID/TOO_LONG on the email field', async () => {
    for (const [email, code] of [
      ['not-an-email', 'INVALID'],
      ['', 'INVALID'],
      [`${'x'.repeat(250)}@example.com`, 'TOO_LONG'],
    ]) {
      const r = await invite(team.id, email, 'VIEWER', owner.token);
      expect(r.body.data.inviteMember.invitation).toBeNull();
      expect(r.body.data.inviteMember.userErrors).toEqual([{ field: ['input', 'email'], code, message: expect.stringContaining('email') }]);
    }
  });

  it('refuses a bad role value and an ID of another type', async () => {
    const badRole = await server.gql(INVITE, { input: { teamId: team.id, email: 'x@example.com', role: 'BOSS' } }, owner.token);
    expect(badRole.status).toBe(400);
    expect(badRole.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const wrongId = await invite(owner.id, 'x@example.com', 'VIEWER', owner.token);
    expect(errorsOf(wrongId)).toEqual([
      { message: 'teamId: expected the ID of a Team.', path: ['inviteMember'], extensions: { code: 'BAD_USER_INPUT', field: 'teamId' } },
    ]);
  });

  it('refuses an invitation beyond maxMembers (members plus pending invitations) with LIMIT_REACHED', async () => {
    const small = await newTeam('small-team');
    await invite(small.id, 'first@example.com', 'VIEWER', owner.token);
    // Setup: owner + 1 pending invitation = 2 seats.
    await server.database.db
      .update(teams)
      .set({ maxMembers: 2 })
      .where(eq(teams.id, dbId(small.id)));
    const r = await invite(small.id, 'second@example.com', 'VIEWER', owner.token);
    expect(r.body.data.inviteMember).toEqual({
      invitation: null,
      userErrors: [
        {
          field: null,
          code: 'LIMIT_REACHED',
          message: 'The team has 1 members and 1 pending invitations, its limit of 2; remove someone or revoke an invitation first.',
        },
      ],
    });
    const limits = await server.gql(`{ team(slug: "small-team") { limits { maxMembers } invitations { totalCount } } }`, {}, owner.token);
    expect(limits.body).toEqual({ data: { team: { limits: { maxMembers: 2 }, invitations: { totalCount: 1 } } } });
  });
});

describe('acceptInvitation', () => {
  let team: { id: string; slug: string };
  let invitee: User;
  let other: User;
  beforeAll(async () => {
    team = await newTeam('joinable');
    [invitee, other] = await Promise.all([server.signUp('invitee@members.test'), server.signUp('other@members.test')]);
  });

  it('joins by the mailed token', async () => {
    await invite(team.id, invitee.email, 'MEMBER', owner.token);
    const token = await mailToken(invitee.email);
    const r = await accept({ token }, invitee.token);
    expect(r.body).toEqual({
      data: { acceptInvitation: { membership: { id: expect.any(String), role: 'MEMBER', team: { slug: 'joinable' } }, userErrors: [] } },
    });
    const seen = await server.gql(`{ team(slug: "joinable") { viewerRole } viewer { invitations { totalCount } } }`, {}, invitee.token);
    expect(seen.body).toEqual({ data: { team: { viewerRole: 'MEMBER' }, viewer: { invitations: { totalCount: 0 } } } });

    // The same token again: no longer valid.
    const twice = await accept({ token }, invitee.token);
    expect(twice.body.data.acceptInvitation).toEqual({
      membership: null,
      userErrors: [
        {
          field: ['input', 'token'],
          code: 'EXPIRED',
          message: 'This invitation is no longer valid: it expired, was revoked or was already used. Ask for a new one.',
        },
      ],
    });
    // The manager sees it ACCEPTED.
    const list = await server.gql(`{ team(slug: "joinable") { invitations { nodes { email status respondedAt } } } }`, {}, owner.token);
    expect(list.body.data.team.invitations.nodes).toEqual([{ email: invitee.email, status: 'ACCEPTED', respondedAt: expect.any(String) }]);
  });

  it('joins by invitationId from viewer.invitations', async () => {
    const t = await newTeam('joinable-by-id');
    await invite(t.id, other.email, 'VIEWER', owner.token);
    const mine = await server.gql(`{ viewer { invitations { nodes { id teamSlug role } } } }`, {}, other.token);
    const [pending] = mine.body.data.viewer.invitations.nodes;
    expect(pending).toEqual({ id: expect.any(String), teamSlug: 'joinable-by-id', role: 'VIEWER' });
    const r = await accept({ invitationId: pending.id }, other.token);
    expect(r.body.data.acceptInvitation).toEqual({
      membership: { id: expect.any(String), role: 'VIEWER', team: { slug: 'joinable-by-id' } },
      userErrors: [],
    });
    const twice = await accept({ invitationId: pending.id }, other.token);
    expect(twice.body.data.acceptInvitation.userErrors).toEqual([
      {
        field: ['input', 'invitationId'],
        code: 'EXPIRED',
        message: 'This invitation is no longer valid: it expired, was revoked or was already used. Ask for a new one.',
      },
    ]);
  });

  it('answers NOT_FOUND for someone else’s invitation by id', async () => {
    const r1 = await invite(team.id, 'third-party@example.com', 'VIEWER', owner.token);
    const id = r1.body.data.inviteMember.invitation.id;
    const r = await accept({ invitationId: id }, outsider.token);
    expect(errorsOf(r)).toEqual(topError(['acceptInvitation'], 'NOT_FOUND', 'Invitation not found.'));
    // Unknown ids too; and still pending for its addressee.
    const unknown = await accept(
      { invitationId: Buffer.from('Invitation:00000000-0000-4000-8000-000000000000').toString('base64url') },
      outsider.token,
    );
    expect(errorsOf(unknown)).toEqual(topError(['acceptInvitation'], 'NOT_FOUND', 'Invitation not found.'));
    const list = await server.gql(`{ team(slug: "joinable") { invitations(status: PENDING) { nodes { id } } } }`, {}, owner.token);
    expect(list.body.data.team.invitations.nodes).toEqual([{ id }]);
  });

  it('refuses an expired invitation with EXPIRED, and shows it EXPIRED', async () => {
    const late = await server.signUp('late@members.test');
    const r1 = await invite(team.id, late.email, 'VIEWER', owner.token);
    const id = r1.body.data.inviteMember.invitation.id;
    const token = await mailToken(late.email);
    await server.database.db
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(invitations.id, dbId(id)));
    for (const input of [{ token }, { invitationId: id }]) {
      const r = await accept(input, late.token);
      expect(r.body.data.acceptInvitation).toEqual({
        membership: null,
        userErrors: [{ field: ['input', Object.keys(input)[0]], code: 'EXPIRED', message: expect.any(String) }],
      });
    }
    const managers = await server.gql(
      `{ team(slug: "joinable") { invitations(status: EXPIRED) { nodes { id email status } } } }`,
      {},
      owner.token,
    );
    expect(managers.body.errors).toBeUndefined();
    expect(managers.body.data.team.invitations.nodes).toEqual([{ id, email: late.email, status: 'EXPIRED' }]);
    const mine = await server.gql(
      `{ viewer { pending: invitations { totalCount } expired: invitations(status: EXPIRED) { nodes { id status } } } }`,
      {},
      late.token,
    );
    expect(mine.body).toEqual({ data: { viewer: { pending: { totalCount: 0 }, expired: { nodes: [{ id, status: 'EXPIRED' }] } } } });
    // An expired invitation no longer blocks a new one.
    const again = await invite(team.id, late.email, 'VIEWER', owner.token);
    expect(again.body.data.inviteMember.userErrors).toEqual([]);
  });

  it('refuses an unknown token with EXPIRED, and needs exactly one of token and invitationId', async () => {
    const bogus = await accept({ token: 'no-such-token' }, outsider.token);
    expect(bogus.body.data.acceptInvitation.userErrors).toEqual([
      { field: ['input', 'token'], code: 'EXPIRED', message: expect.any(String) },
    ]);
    for (const input of [
      {},
      { token: 'x', invitationId: Buffer.from('Invitation:00000000-0000-4000-8000-000000000000').toString('base64url') },
    ]) {
      const r = await accept(input, outsider.token);
      expect(r.body.data.acceptInvitation).toEqual({
        membership: null,
        userErrors: [{ field: null, code: 'REQUIRED', message: 'Give either token (from the invitation mail) or invitationId, not both.' }],
      });
    }
    const wrongType = await accept({ invitationId: outsider.id }, outsider.token);
    expect(errorsOf(wrongType)?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'invitationId' });
  });

  it('requires authentication', async () => {
    const r = await accept({ token: 'whatever' }, '');
    expect(errorsOf(r)?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});

describe('revokeInvitation', () => {
  let team: { id: string; slug: string };
  beforeAll(async () => {
    team = await crew('revokes');
  });

  it('lets a manager withdraw a pending invitation; its token no longer works', async () => {
    const invitee = await server.signUp('withdrawn@members.test');
    const r1 = await invite(team.id, invitee.email, 'MEMBER', owner.token);
    const id = r1.body.data.inviteMember.invitation.id;
    const token = await mailToken(invitee.email);
    const r = await server.gql(REVOKE, { input: { invitationId: id } }, admin.token);
    expect(r.body).toEqual({ data: { revokeInvitation: { invitation: { id, status: 'REVOKED' }, userErrors: [] } } });
    const used = await accept({ token }, invitee.token);
    expect(used.body.data.acceptInvitation.userErrors[0].code).toBe('EXPIRED');
    const again = await server.gql(REVOKE, { input: { invitationId: id } }, admin.token);
    expect(again.body.data.revokeInvitation).toEqual({
      invitation: null,
      userErrors: [{ field: ['input', 'invitationId'], code: 'EXPIRED', message: 'The invitation is already revoked.' }],
    });
  });

  it('lets the invitee decline', async () => {
    const invitee = await server.signUp('decliner@members.test');
    await invite(team.id, invitee.email, 'VIEWER', owner.token);
    const mine = await server.gql(`{ viewer { invitations { nodes { id } } } }`, {}, invitee.token);
    const id = mine.body.data.viewer.invitations.nodes[0].id;
    const r = await server.gql(REVOKE, { input: { invitationId: id } }, invitee.token);
    expect(r.body).toEqual({ data: { revokeInvitation: { invitation: { id, status: 'REVOKED' }, userErrors: [] } } });
    const after = await server.gql(`{ viewer { invitations { totalCount } } }`, {}, invitee.token);
    expect(after.body.data.viewer.invitations.totalCount).toBe(0);
  });

  it('answers NOT_FOUND to members without team:members:manage and to outsiders', async () => {
    const r1 = await invite(team.id, 'stays@example.com', 'VIEWER', owner.token);
    const id = r1.body.data.inviteMember.invitation.id;
    for (const token of [member.token, viewer.token, outsider.token]) {
      const r = await server.gql(REVOKE, { input: { invitationId: id } }, token);
      expect(errorsOf(r)).toEqual(topError(['revokeInvitation'], 'NOT_FOUND', 'Invitation not found.'));
    }
  });

  it('hides invitations from members without team:members:manage on node(id:), as Team.invitations does', async () => {
    const r1 = await invite(team.id, 'hidden@example.com', 'VIEWER', owner.token);
    const id = r1.body.data.inviteMember.invitation.id;
    const q = `query($id: ID!) { node(id: $id) { id ... on Invitation { email } } nodes(ids: [$id]) { id } }`;
    const byManager = await server.gql(q, { id }, admin.token);
    expect(byManager.body).toEqual({ data: { node: { id, email: 'hidden@example.com' }, nodes: [{ id }] } });
    for (const token of [member.token, viewer.token, outsider.token]) {
      const r = await server.gql(q, { id }, token);
      expect(r.body.data).toEqual({ node: null, nodes: [null] });
    }
  });
});

describe('removeMember', () => {
  it('refuses to remove the owner with NOT_ALLOWED', async () => {
    const t = await crew('remove-owner');
    for (const role of ['OWNER', 'ADMIN'] as const) {
      const r = await server.gql(REMOVE, { input: { membershipId: t.m.OWNER } }, tokenOf(role));
      expect(r.body).toEqual({
        data: {
          removeMember: {
            deletedMembershipId: null,
            team: null,
            userErrors: [
              { field: ['input', 'membershipId'], code: 'NOT_ALLOWED', message: 'The owner cannot be removed; transfer ownership first.' },
            ],
          },
        },
      });
    }
  });

  it('refuses a non-manager with FORBIDDEN and an outsider with NOT_FOUND', async () => {
    const t = await crew('remove-refused');
    for (const role of ['MEMBER', 'VIEWER'] as const) {
      const r = await server.gql(REMOVE, { input: { membershipId: t.m.VIEWER } }, tokenOf(role));
      expect(errorsOf(r)).toEqual(
        topError(['removeMember'], 'FORBIDDEN', 'You need the team:members:manage permission to manage this team’s members.'),
      );
    }
    const r = await server.gql(REMOVE, { input: { membershipId: t.m.VIEWER } }, outsider.token);
    expect(errorsOf(r)).toEqual(topError(['removeMember'], 'NOT_FOUND', 'Membership not found.'));
  });

  it('removes a member (also an ADMIN by an ADMIN), who then loses access to the team', async () => {
    const t = await crew('remove-ok');
    const r = await server.gql(REMOVE, { input: { membershipId: t.m.MEMBER } }, admin.token);
    expect(r.body).toEqual({ data: { removeMember: { deletedMembershipId: t.m.MEMBER, team: { slug: 'remove-ok' }, userErrors: [] } } });
    const lost = await server.gql(`{ team(slug: "remove-ok") { slug } }`, {}, member.token);
    expect(errorsOf(lost)).toEqual(topError(['team'], 'NOT_FOUND', 'Team "remove-ok" not found.'));
    const listed = await server.gql(`{ teams(filter: { search: "remove-ok" }) { totalCount } }`, {}, member.token);
    expect(listed.body).toEqual({ data: { teams: { totalCount: 0 } } });

    // An ADMIN may remove an equal: another ADMIN.
    const peer = await server.signUp('peer@members.test');
    const peerMembership = await addMember(t.id, peer, 'ADMIN');
    const byAdmin = await server.gql(REMOVE, { input: { membershipId: peerMembership } }, admin.token);
    expect(byAdmin.body.data.removeMember.userErrors).toEqual([]);
    const members = await server.gql(`{ team(slug: "remove-ok") { members { nodes { role user { email } } } } }`, {}, owner.token);
    expect(members.body.data.team.members.nodes).toEqual([
      { role: 'OWNER', user: { email: owner.email } },
      { role: 'ADMIN', user: { email: admin.email } },
      { role: 'VIEWER', user: { email: viewer.email } },
    ]);
  });
});

describe('setMemberRole', () => {
  let t: Awaited<ReturnType<typeof crew>>;
  beforeAll(async () => {
    t = await crew('roles');
  });

  it('lets an ADMIN change a member’s role', async () => {
    const r = await server.gql(SET_ROLE, { input: { membershipId: t.m.MEMBER, role: 'VIEWER' } }, admin.token);
    expect(r.body).toEqual({
      data: { setMemberRole: { membership: { id: t.m.MEMBER, role: 'VIEWER', user: { email: member.email } }, userErrors: [] } },
    });
    const back = await server.gql(SET_ROLE, { input: { membershipId: t.m.MEMBER, role: 'MEMBER' } }, owner.token);
    expect(back.body.data.setMemberRole.membership.role).toBe('MEMBER');
    expect((await server.gql(`{ team(slug: "roles") { viewerRole } }`, {}, member.token)).body.data.team.viewerRole).toBe('MEMBER');
  });

  it('refuses to change the owner’s role, and to grant OWNER', async () => {
    const r = await server.gql(SET_ROLE, { input: { membershipId: t.m.OWNER, role: 'ADMIN' } }, admin.token);
    expect(r.body.data.setMemberRole).toEqual({
      membership: null,
      userErrors: [
        {
          field: ['input', 'membershipId'],
          code: 'NOT_ALLOWED',
          message: 'The owner’s role cannot be changed; transfer ownership instead.',
        },
      ],
    });
    const toOwner = await server.gql(SET_ROLE, { input: { membershipId: t.m.MEMBER, role: 'OWNER' } }, owner.token);
    expect(toOwner.body.data.setMemberRole).toEqual({
      membership: null,
      userErrors: [
        {
          field: ['input', 'role'],
          code: 'INVALID',
          message: 'role must be ADMIN, MEMBER or VIEWER; ownership moves only with transferTeamOwnership',
        },
      ],
    });
  });

  it.each(['MEMBER', 'VIEWER'] as const)('refuses a %s with FORBIDDEN', async (role) => {
    const r = await server.gql(SET_ROLE, { input: { membershipId: t.m.VIEWER, role: 'MEMBER' } }, tokenOf(role));
    expect(errorsOf(r)).toEqual(
      topError(['setMemberRole'], 'FORBIDDEN', 'You need the team:members:manage permission to manage this team’s members.'),
    );
  });

  it('refuses to grant a role holding permissions one does not hold, or to change the role of such a member', async () => {
    const grantee = await server.signUp('role-grantee@members.test');
    await addMember(t.id, grantee, 'MEMBER');
    await server.database.db
      .insert(roleBindings)
      .values({ userId: dbId(grantee.id), scope: 'TEAM', teamId: dbId(t.id), permission: 'team:members:manage' });
    const above = await server.gql(SET_ROLE, { input: { membershipId: t.m.VIEWER, role: 'ADMIN' } }, grantee.token);
    expect(above.body.data.setMemberRole).toEqual({
      membership: null,
      userErrors: [
        {
          field: ['input', 'role'],
          code: 'NOT_ALLOWED',
          message:
            'role ADMIN holds permissions you do not hold in this team (app:delete, app:grant, bucket:delete, cluster:delete, iam:manage, team:update).',
        },
      ],
    });
    const demoteAdmin = await server.gql(SET_ROLE, { input: { membershipId: t.m.ADMIN, role: 'VIEWER' } }, grantee.token);
    expect(errorsOf(demoteAdmin)).toEqual(
      topError(
        ['setMemberRole'],
        'FORBIDDEN',
        'You cannot change the role of this ADMIN: that role holds permissions you do not hold in this team (app:delete, app:grant, bucket:delete, cluster:delete, iam:manage, team:update).',
      ),
    );
    const ok = await server.gql(SET_ROLE, { input: { membershipId: t.m.VIEWER, role: 'MEMBER' } }, grantee.token);
    expect(ok.body.data.setMemberRole.userErrors).toEqual([]);
    await server.gql(SET_ROLE, { input: { membershipId: t.m.VIEWER, role: 'VIEWER' } }, grantee.token);
  });

  it('answers NOT_FOUND to an outsider and BAD_USER_INPUT to an ID of another type', async () => {
    const r = await server.gql(SET_ROLE, { input: { membershipId: t.m.VIEWER, role: 'MEMBER' } }, outsider.token);
    expect(errorsOf(r)).toEqual(topError(['setMemberRole'], 'NOT_FOUND', 'Membership not found.'));
    const wrongType = await server.gql(SET_ROLE, { input: { membershipId: t.id, role: 'MEMBER' } }, owner.token);
    expect(errorsOf(wrongType)).toEqual([
      {
        message: 'membershipId: expected the ID of a Membership.',
        path: ['setMemberRole'],
        extensions: { code: 'BAD_USER_INPUT', field: 'membershipId' },
      },
    ]);
  });
});

describe('transferTeamOwnership', () => {
  it('requires the new owner to be a member', async () => {
    const t = await crew('transfer-nonmember');
    const r = await server.gql(TRANSFER, { input: { teamId: t.id, newOwnerEmail: outsider.email } }, owner.token);
    expect(r.body.data.transferTeamOwnership).toEqual({
      membership: null,
      previousOwner: null,
      userErrors: [
        {
          field: ['input', 'newOwnerEmail'],
          code: 'INVALID',
          message: `${outsider.email} is not a member of this team; invite them first.`,
        },
      ],
    });
    const self = await server.gql(TRANSFER, { input: { teamId: t.id, newOwnerEmail: owner.email } }, owner.token);
    expect(self.body.data.transferTeamOwnership.userErrors).toEqual([
      { field: ['input', 'newOwnerEmail'], code: 'NOT_ALLOWED', message: `${owner.email} already owns this team.` },
    ]);
    const bad = await server.gql(TRANSFER, { input: { teamId: t.id, newOwnerEmail: 'nope' } }, owner.token);
    expect(bad.body.data.transferTeamOwnership.userErrors).toEqual([
      { field: ['input', 'newOwnerEmail'], code: 'INVALID', message: expect.stringContaining('newOwnerEmail') },
    ]);
  });

  it('is for the OWNER only', async () => {
    const t = await crew('transfer-refused');
    for (const role of ['ADMIN', 'MEMBER', 'VIEWER'] as const) {
      const r = await server.gql(TRANSFER, { input: { teamId: t.id, newOwnerEmail: admin.email } }, tokenOf(role));
      expect(errorsOf(r)).toEqual(
        topError(['transferTeamOwnership'], 'FORBIDDEN', 'You need the team:transfer permission to transfer this team’s ownership.'),
      );
    }
    const r = await server.gql(TRANSFER, { input: { teamId: t.id, newOwnerEmail: admin.email } }, outsider.token);
    expect(errorsOf(r)).toEqual(topError(['transferTeamOwnership'], 'NOT_FOUND', 'Team not found.'));
  });

  it('makes a member the OWNER and the old owner ADMIN', async () => {
    const t = await crew('transfer-ok');
    const r = await server.gql(TRANSFER, { input: { teamId: t.id, newOwnerEmail: member.email.toUpperCase() } }, owner.token);
    expect(r.body).toEqual({
      data: {
        transferTeamOwnership: {
          membership: { role: 'OWNER', user: { email: member.email } },
          previousOwner: { role: 'ADMIN', user: { email: owner.email } },
          userErrors: [],
        },
      },
    });
    const seen = await server.gql(`{ team(slug: "transfer-ok") { viewerRole owner { email } } }`, {}, owner.token);
    expect(seen.body).toEqual({ data: { team: { viewerRole: 'ADMIN', owner: { email: member.email } } } });
    // The old owner lost the owner's powers; the new one has them.
    const back = await server.gql(TRANSFER, { input: { teamId: t.id, newOwnerEmail: owner.email } }, owner.token);
    expect(errorsOf(back)?.[0].extensions).toEqual({ code: 'FORBIDDEN' });
    const leave = await server.gql(LEAVE, { input: { teamId: t.id } }, member.token);
    expect(leave.body.data.leaveTeam.userErrors[0].code).toBe('NOT_ALLOWED');
    const owners = await server.gql(`{ team(slug: "transfer-ok") { members(role: OWNER) { totalCount } } }`, {}, member.token);
    expect(owners.body.data.team.members.totalCount).toBe(1);
  });
});

describe('leaveTeam', () => {
  it('refuses the owner', async () => {
    const t = await newTeam('leave-owner');
    const r = await server.gql(LEAVE, { input: { teamId: t.id } }, owner.token);
    expect(r.body).toEqual({
      data: {
        leaveTeam: {
          deletedMembershipId: null,
          team: null,
          userErrors: [
            {
              field: ['input', 'teamId'],
              code: 'NOT_ALLOWED',
              message: 'The owner cannot leave the team; transfer ownership or delete the team.',
            },
          ],
        },
      },
    });
  });

  it('lets a member leave; they lose access', async () => {
    const t = await crew('leave-ok');
    const r = await server.gql(LEAVE, { input: { teamId: t.id } }, viewer.token);
    expect(r.body).toEqual({ data: { leaveTeam: { deletedMembershipId: t.m.VIEWER, team: null, userErrors: [] } } });
    const lost = await server.gql(`{ team(slug: "leave-ok") { slug } }`, {}, viewer.token);
    expect(errorsOf(lost)).toEqual(topError(['team'], 'NOT_FOUND', 'Team "leave-ok" not found.'));
    const again = await server.gql(LEAVE, { input: { teamId: t.id } }, viewer.token);
    expect(errorsOf(again)).toEqual(topError(['leaveTeam'], 'NOT_FOUND', 'Team not found.'));
  });
});

describe('own membership settings', () => {
  let t: Awaited<ReturnType<typeof crew>>;
  beforeAll(async () => {
    t = await crew('settings');
  });
  const NOTIFY = `mutation($input: SetMemberNotificationInput!) {
    setMemberNotification(input: $input) { membership { id notification user { email } } ${USER_ERRORS} }
  }`;
  const OPTIONS = `mutation($input: UpdateMemberOptionsInput!) {
    updateMemberOptions(input: $input) { membership { id options } ${USER_ERRORS} }
  }`;

  it('setMemberNotification changes only one’s own membership', async () => {
    const r = await server.gql(NOTIFY, { input: { teamId: t.id, state: 'NONE' } }, viewer.token);
    expect(r.body).toEqual({
      data: {
        setMemberNotification: { membership: { id: t.m.VIEWER, notification: 'NONE', user: { email: viewer.email } }, userErrors: [] },
      },
    });
    const members = await server.gql(`{ team(slug: "settings") { members { nodes { notification user { email } } } } }`, {}, owner.token);
    expect(members.body.data.team.members.nodes).toEqual([
      { notification: 'EMAIL', user: { email: owner.email } },
      { notification: 'EMAIL', user: { email: admin.email } },
      { notification: 'EMAIL', user: { email: member.email } },
      { notification: 'NONE', user: { email: viewer.email } },
    ]);
    const bad = await server.gql(NOTIFY, { input: { teamId: t.id, state: 'SMS' } }, viewer.token);
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const outside = await server.gql(NOTIFY, { input: { teamId: t.id, state: 'NONE' } }, outsider.token);
    expect(errorsOf(outside)).toEqual(topError(['setMemberNotification'], 'NOT_FOUND', 'Team not found.'));
  });

  it('updateMemberOptions replaces one’s options with a JSON object', async () => {
    const r = await server.gql(
      OPTIONS,
      { input: { teamId: t.id, options: { theme: 'dark', pinned: [1, 2], nested: { a: true } } } },
      member.token,
    );
    expect(r.body).toEqual({
      data: {
        updateMemberOptions: {
          membership: { id: t.m.MEMBER, options: { theme: 'dark', pinned: [1, 2], nested: { a: true } } },
          userErrors: [],
        },
      },
    });
    const replaced = await server.gql(OPTIONS, { input: { teamId: t.id, options: { theme: 'light' } } }, member.token);
    expect(replaced.body.data.updateMemberOptions.membership.options).toEqual({ theme: 'light' });
  });

  it('refuses options that are not an object, or too large', async () => {
    for (const options of [[1, 2], 'text', 42, true]) {
      const r = await server.gql(OPTIONS, { input: { teamId: t.id, options } }, member.token);
      expect(r.body).toEqual({
        data: {
          updateMemberOptions: {
            membership: null,
            userErrors: [{ field: ['input', 'options'], code: 'INVALID', message: 'options must be a JSON object.' }],
          },
        },
      });
    }
    const big = await server.gql(OPTIONS, { input: { teamId: t.id, options: { blob: 'x'.repeat(17_000) } } }, member.token);
    expect(big.body.data.updateMemberOptions).toEqual({
      membership: null,
      userErrors: [{ field: ['input', 'options'], code: 'TOO_LONG', message: 'options must be at most 16 KB of JSON.' }],
    });
    const still = await server.gql(`{ team(slug: "settings") { members(role: MEMBER) { nodes { options } } } }`, {}, member.token);
    expect(still.body.data.team.members.nodes).toEqual([{ options: { theme: 'light' } }]);
    const outside = await server.gql(OPTIONS, { input: { teamId: t.id, options: {} } }, outsider.token);
    expect(errorsOf(outside)).toEqual(topError(['updateMemberOptions'], 'NOT_FOUND', 'Team not found.'));
  });
});

describe('Team.viewerRole and Team.invitations', () => {
  let t: Awaited<ReturnType<typeof crew>>;
  beforeAll(async () => {
    t = await crew('who-am-i');
    await invite(t.id, 'pending@example.com', 'VIEWER', owner.token);
  });

  it.each(['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const)('viewerRole is %s for that member', async (role) => {
    const r = await server.gql(`{ team(slug: "who-am-i") { viewerRole } }`, {}, tokenOf(role));
    expect(r.body).toEqual({ data: { team: { viewerRole: role } } });
  });

  it('viewerRole is null for a platform admin who is not a member', async () => {
    const r = await server.gql(`{ team(slug: "who-am-i") { viewerRole } }`, {}, adminToken);
    expect(r.body).toEqual({ data: { team: { viewerRole: null } } });
  });

  it.each(['OWNER', 'ADMIN'] as const)('invitations are listed for an %s', async (role) => {
    const r = await server.gql(`{ team(slug: "who-am-i") { invitations { nodes { email role status } } } }`, {}, tokenOf(role));
    const nodes = r.body.data.team.invitations.nodes;
    expect(nodes[0]).toEqual({ email: 'pending@example.com', role: 'VIEWER', status: 'PENDING' });
    expect(nodes.map((n: { status: string }) => n.status)).toEqual(['PENDING', 'ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
  });

  it.each(['MEMBER', 'VIEWER'] as const)('invitations are FORBIDDEN for a %s, with the rest of the query answered', async (role) => {
    const r = await server.gql(`{ team(slug: "who-am-i") { slug viewerRole invitations { totalCount } } }`, {}, tokenOf(role));
    expect(r.body).toEqual({
      data: { team: { slug: 'who-am-i', viewerRole: role, invitations: null } },
      errors: [
        {
          message: 'You need the team:members:manage permission to see the team’s invitations.',
          locations: expect.any(Array),
          path: ['team', 'invitations'],
          extensions: { code: 'FORBIDDEN' },
        },
      ],
    });
  });
});

describe('done when: a newcomer builds a team and sees it all in one query', () => {
  it('A creates a team, invites B by email, B signs up and accepts, A sees members and invitations', async () => {
    const a = await server.signUp('alice@done.test', 'Alice');
    // A logs in (a fresh session, as in the playground).
    const login = await server.gql(`mutation($input: LogInInput!) { logIn(input: $input) { token user { email } ${USER_ERRORS} } }`, {
      input: { email: a.email, password: PASSWORD },
    });
    expect(login.body.data.logIn).toEqual({ token: expect.any(String), user: { email: a.email }, userErrors: [] });
    const aToken: string = login.body.data.logIn.token;

    const created = await server.gql(
      `mutation { createTeam(input: { slug: "alice-co", name: "Alice & Co" }) { team { id slug name } ${USER_ERRORS} } }`,
      {},
      aToken,
    );
    expect(created.body.data.createTeam).toEqual({
      team: { id: expect.any(String), slug: 'alice-co', name: 'Alice & Co' },
      userErrors: [],
    });
    const teamId = created.body.data.createTeam.team.id;

    const invited = await invite(teamId, 'bob@done.test', 'MEMBER', aToken);
    expect(invited.body.data.inviteMember).toEqual({
      invitation: { id: expect.any(String), email: 'bob@done.test', role: 'MEMBER', status: 'PENDING' },
      userErrors: [],
    });

    const b = await server.signUp('bob@done.test', 'Bob');
    const pending = await server.gql(`{ viewer { invitations { nodes { id teamSlug teamName role status } } } }`, {}, b.token);
    expect(pending.body).toEqual({
      data: {
        viewer: {
          invitations: {
            nodes: [
              {
                id: invited.body.data.inviteMember.invitation.id,
                teamSlug: 'alice-co',
                teamName: 'Alice & Co',
                role: 'MEMBER',
                status: 'PENDING',
              },
            ],
          },
        },
      },
    });
    const accepted = await accept({ invitationId: pending.body.data.viewer.invitations.nodes[0].id }, b.token);
    expect(accepted.body.data.acceptInvitation).toEqual({
      membership: { id: expect.any(String), role: 'MEMBER', team: { slug: 'alice-co' } },
      userErrors: [],
    });

    const all = await server.gql(
      `{ viewer { teams { nodes { slug members { nodes { role user { email } } } invitations { nodes { email status } } } } } }`,
      {},
      aToken,
    );
    expect(all.body).toEqual({
      data: {
        viewer: {
          teams: {
            nodes: [
              {
                slug: 'alice-co',
                members: {
                  nodes: [
                    { role: 'OWNER', user: { email: 'alice@done.test' } },
                    { role: 'MEMBER', user: { email: 'bob@done.test' } },
                  ],
                },
                invitations: { nodes: [{ email: 'bob@done.test', status: 'ACCEPTED' }] },
              },
            ],
          },
        },
      },
    });
  });
});
