import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/graphql/relay.js';
import { ADMIN, PASSWORD, startTestServer, type TestServer } from './support/server.js';
import { codes, okResult as ok } from './support/api.js';

/**
 * Platform admins (issue 2, section 4; Storj admin API): the users connection and user(email:),
 * adminCreateUser, adminUpdateUser and adminDeleteUser, with their refusals.
 */

type Account = { token: string; id: string; email: string };

let server: TestServer;
let admin: string;
let adminId: string;
let normal: Account;
let normalTeamId: string;

const USER = 'id email fullName shortName platformRole status teamLimit';
const ERRORS = 'userErrors { field code message }';

async function mutate(name: string, input: Record<string, unknown>, token?: string, selection = ERRORS) {
  const inputType = name[0].toUpperCase() + name.slice(1) + 'Input';
  return server.gql(`mutation($input: ${inputType}!) { ${name}(input: $input) { ${selection} } }`, { input }, token);
}

const createUser = (input: Record<string, unknown>, token = admin) => mutate('adminCreateUser', input, token, `user { ${USER} } ${ERRORS}`);
const updateUser = (input: Record<string, unknown>, token = admin) => mutate('adminUpdateUser', input, token, `user { ${USER} } ${ERRORS}`);
const deleteUser = (userId: string, token = admin) => mutate('adminDeleteUser', { userId }, token, `deletedUserId ${ERRORS}`);

async function created(input: Record<string, unknown>): Promise<{ id: string; email: string }> {
  const p = ok(await createUser({ password: PASSWORD, ...input })).adminCreateUser;
  expect(p.userErrors).toEqual([]);
  return p.user;
}

async function logIn(email: string, password = PASSWORD) {
  return ok(await mutate('logIn', { email, password }, undefined, `token user { email } ${ERRORS}`)).logIn;
}

async function createTeam(slug: string, token: string): Promise<string> {
  const p = ok(await mutate('createTeam', { slug, name: slug }, token, `team { id } ${ERRORS}`)).createTeam;
  expect(p.userErrors).toEqual([]);
  return p.team.id;
}

/** Whether a token is accepted: `teams` needs an authenticated caller. */
async function accepted(token: string): Promise<boolean> {
  const r = await server.gql(`{ teams { totalCount } }`, {}, token);
  if (r.body.errors) {
    expect(r.body).toEqual({
      data: null,
      errors: [
        expect.objectContaining({
          message: 'The token is invalid, expired or revoked, or its user is suspended; log in again or use another token.',
          extensions: { code: 'UNAUTHENTICATED' },
        }),
      ],
    });
    return false;
  }
  return true;
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.adminToken();
  adminId = ok(await server.gql(`{ viewer { id } }`, {}, admin)).viewer.id;
  normal = await server.signUp('normal@example.com', 'Normal Person');
  normalTeamId = await createTeam('normal-team', normal.token);
});
afterAll(() => server?.close());

describe('access to the admin entry points', () => {
  const queries = [
    ['users', `{ users { nodes { email } } }`],
    ['user', `{ user(email: "normal@example.com") { email } }`],
  ] as const;

  it('refuses anonymous callers with UNAUTHENTICATED', async () => {
    for (const [field, query] of queries) {
      const r = await server.gql(query);
      expect(r.body.data).toEqual({ [field]: null });
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    }
    for (const r of [
      await createUser({ email: 'anon@example.com', password: PASSWORD }, ''),
      await updateUser({ userId: normal.id, teamLimit: 99 }, ''),
      await deleteUser(normal.id, ''),
    ]) {
      expect(r.body.data).toBeNull();
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('refuses ordinary users with FORBIDDEN, also for promoting themselves', async () => {
    for (const [field, query] of queries) {
      const r = await server.gql(query, {}, normal.token);
      expect(r.body.data).toEqual({ [field]: null });
      expect(r.body.errors).toEqual([
        expect.objectContaining({ message: 'Only platform admins (user:manage) may do this.', extensions: { code: 'FORBIDDEN' } }),
      ]);
    }
    for (const r of [
      await createUser({ email: 'sneaky@example.com', password: PASSWORD }, normal.token),
      await updateUser({ userId: normal.id, platformRole: 'ADMIN' }, normal.token),
      await deleteUser(adminId, normal.token),
    ]) {
      expect(r.body.data).toBeNull();
      expect(codes(r)).toEqual(['FORBIDDEN']);
    }
    expect(ok(await server.gql(`{ viewer { platformRole } }`, {}, normal.token))).toEqual({ viewer: { platformRole: 'USER' } });
    expect(codes(await server.gql(`{ user(email: "sneaky@example.com") { id } }`, {}, admin))).toEqual(['NOT_FOUND']);
  });
});

describe('adminCreateUser', () => {
  it('creates a user with a normalized email, who can then log in', async () => {
    const r = ok(
      await createUser({
        email: '  New.Person@Example.COM ',
        password: 'a-long-enough-password',
        fullName: ' New Person ',
        shortName: 'newbie',
        platformRole: 'USER',
        teamLimit: 3,
      }),
    ).adminCreateUser;
    expect(r).toEqual({
      user: {
        id: expect.any(String),
        email: 'new.person@example.com',
        fullName: 'New Person',
        shortName: 'newbie',
        platformRole: 'USER',
        status: 'ACTIVE',
        teamLimit: 3,
      },
      userErrors: [],
    });
    expect((await logIn('new.person@example.com', 'a-long-enough-password')).user).toEqual({ email: 'new.person@example.com' });
    // The action is audited, with the admin as actor.
    const events = ok(
      await server.gql(`{ viewer { events(filter: { kinds: ["admin.user.*"] }) { nodes { kind targetId actorEmail } } } }`, {}, admin),
    ).viewer.events.nodes;
    expect(events).toContainEqual({ kind: 'admin.user.create', targetId: r.user.id, actorEmail: ADMIN.email });
  });

  it('gives new users USER, teamLimit 10 and empty names by default', async () => {
    const r = ok(await createUser({ email: 'defaults@example.com', password: PASSWORD })).adminCreateUser;
    expect(r).toEqual({
      user: {
        id: expect.any(String),
        email: 'defaults@example.com',
        fullName: '',
        shortName: '',
        platformRole: 'USER',
        status: 'ACTIVE',
        teamLimit: 10,
      },
      userErrors: [],
    });
  });

  it('creates platform admins', async () => {
    const u = await created({ email: 'second-admin@example.com', platformRole: 'ADMIN' });
    const session = await logIn(u.email);
    const r = await server.gql(`{ users(first: 1) { totalCount } }`, {}, session.token);
    expect(ok(r).users.totalCount).toBeGreaterThan(1);
  });

  it('refuses an email that is already registered, in any case, with TAKEN', async () => {
    const r = ok(await createUser({ email: 'NORMAL@example.com', password: PASSWORD })).adminCreateUser;
    expect(r).toEqual({
      user: null,
      userErrors: [
        {
          field: ['input', 'email'],
          code: 'TAKEN',
          message: 'email normal@example.com is already registered; log in or reset your password.',
        },
      ],
    });
  });

  it('refuses a weak password, a malformed email and a negative teamLimit, naming each field', async () => {
    expect(ok(await createUser({ email: 'weak@example.com', password: 'short' })).adminCreateUser).toEqual({
      user: null,
      userErrors: [{ field: ['input', 'password'], code: 'TOO_SHORT', message: 'password must be at least 10 characters' }],
    });
    expect(ok(await createUser({ email: 'not-an-email', password: PASSWORD })).adminCreateUser).toEqual({
      user: null,
      userErrors: [{ field: ['input', 'email'], code: 'INVALID', message: 'email must be a valid email address, like name@example.com' }],
    });
    expect(ok(await createUser({ email: 'negative@example.com', password: PASSWORD, teamLimit: -1 })).adminCreateUser).toEqual({
      user: null,
      userErrors: [{ field: ['input', 'teamLimit'], code: 'INVALID', message: 'teamLimit must be 0 or more' }],
    });
    // Nothing was created.
    for (const email of ['weak@example.com', 'negative@example.com']) {
      const r = await server.gql(`query($email: String!) { user(email: $email) { id } }`, { email }, admin);
      expect(codes(r)).toEqual(['NOT_FOUND']);
    }
  });

  it('refuses input of the wrong type before running', async () => {
    const r = await createUser({ email: 'typed@example.com', password: PASSWORD, teamLimit: 'ten' });
    expect(r.body.data).toBeUndefined();
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('the users connection', () => {
  beforeAll(async () => {
    // Created in this order: carol, alice, bob.
    await created({ email: 'flt-carol@example.com', fullName: 'Carol Searchable' });
    await created({ email: 'flt-alice@example.com', fullName: 'Alice', platformRole: 'ADMIN' });
    const bob = await created({ email: 'flt-bob@example.com', shortName: 'bobby' });
    expect(ok(await updateUser({ userId: bob.id, status: 'SUSPENDED' })).adminUpdateUser.userErrors).toEqual([]);
  });

  const list = async (args: string, variables: Record<string, unknown> = {}) => {
    const declared = [
      ['filter', 'UserFilter'],
      ['after', 'String'],
      ['before', 'String'],
    ].filter(([name]) => args.includes('$' + name));
    const r = await server.gql(
      `query${declared.length ? `(${declared.map(([n, t]) => `$${n}: ${t}`).join(', ')})` : ''} { users(${args}) { totalCount nodes { email } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
      variables,
      admin,
    );
    const users = ok(r).users;
    return { ...users, emails: users.nodes.map((n: { email: string }) => n.email) };
  };

  it('filters by search text in email, full name or short name, case-insensitively', async () => {
    const flt = await list('filter: $filter, orderBy: { field: EMAIL, direction: ASC }', { filter: { search: 'FLT-' } });
    expect(flt.emails).toEqual(['flt-alice@example.com', 'flt-bob@example.com', 'flt-carol@example.com']);
    expect(flt.totalCount).toBe(3);
    expect((await list('filter: $filter', { filter: { search: 'carol searchABLE' } })).emails).toEqual(['flt-carol@example.com']);
    expect((await list('filter: $filter', { filter: { search: 'BOBBY' } })).emails).toEqual(['flt-bob@example.com']);
    // LIKE wildcards are plain text.
    expect(await list('filter: $filter', { filter: { search: '%' } })).toMatchObject({ totalCount: 0, emails: [] });
    expect(await list('filter: $filter', { filter: { search: 'flt_' } })).toMatchObject({ totalCount: 0, emails: [] });
  });

  it('filters by status and by platform role', async () => {
    const order = 'filter: $filter, orderBy: { field: EMAIL, direction: ASC }';
    expect((await list(order, { filter: { search: 'flt-', status: 'SUSPENDED' } })).emails).toEqual(['flt-bob@example.com']);
    expect((await list(order, { filter: { search: 'flt-', status: 'ACTIVE' } })).emails).toEqual([
      'flt-alice@example.com',
      'flt-carol@example.com',
    ]);
    expect((await list(order, { filter: { search: 'flt-', platformRole: 'ADMIN' } })).emails).toEqual(['flt-alice@example.com']);
    expect((await list(order, { filter: { search: 'flt-', platformRole: 'USER', status: 'ACTIVE' } })).emails).toEqual([
      'flt-carol@example.com',
    ]);
    const admins = await list(order, { filter: { platformRole: 'ADMIN' } });
    expect(admins.emails).toEqual(expect.arrayContaining(['flt-alice@example.com', ADMIN.email]));
    expect(admins.emails).not.toContain('normal@example.com');
    expect(admins.totalCount).toBe(admins.emails.length);
  });

  it('orders by email either way, and newest first by default', async () => {
    const filter = { search: 'flt-' };
    expect((await list('filter: $filter, orderBy: { field: EMAIL, direction: DESC }', { filter })).emails).toEqual([
      'flt-carol@example.com',
      'flt-bob@example.com',
      'flt-alice@example.com',
    ]);
    expect((await list('filter: $filter', { filter })).emails).toEqual([
      'flt-bob@example.com',
      'flt-alice@example.com',
      'flt-carol@example.com',
    ]);
    expect((await list('filter: $filter, orderBy: { field: CREATED_AT, direction: ASC }', { filter })).emails).toEqual([
      'flt-carol@example.com',
      'flt-alice@example.com',
      'flt-bob@example.com',
    ]);
  });

  it('pages forward with first/after and backward with last/before', async () => {
    const args = 'filter: $filter, orderBy: { field: EMAIL, direction: ASC }';
    const filter = { search: 'flt-' };
    const page1 = await list(`${args}, first: 2`, { filter });
    expect(page1.emails).toEqual(['flt-alice@example.com', 'flt-bob@example.com']);
    expect(page1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page2 = await list(`${args}, first: 2, after: $after`, { filter, after: page1.pageInfo.endCursor });
    expect(page2.emails).toEqual(['flt-carol@example.com']);
    expect(page2.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(page2.totalCount).toBe(3);
    const back = await list(`${args}, last: 2, before: $before`, { filter, before: page2.pageInfo.startCursor });
    expect(back.emails).toEqual(['flt-alice@example.com', 'flt-bob@example.com']);
    expect(back.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });

  it('refuses bad paging arguments with BAD_USER_INPUT', async () => {
    for (const [args, variables] of [
      ['first: 0', {}],
      ['first: 101', {}],
      ['last: -1', {}],
      ['first: 2, after: $after', { after: 'not-a-cursor' }],
      ['first: 2, last: 2', {}],
    ] as const) {
      const r = await server.gql(
        `query${args.includes('$after') ? '($after: String)' : ''} { users(${args}) { nodes { email } } }`,
        variables,
        admin,
      );
      expect({ args, data: r.body.data, codes: codes(r) }).toEqual({ args, data: { users: null }, codes: ['BAD_USER_INPUT'] });
    }
  });
});

describe('user(email:)', () => {
  it('finds a user by email in any case, with their teams and memberships', async () => {
    const r = await server.gql(
      `{ user(email: "  Normal@Example.com ") { id email fullName teams { totalCount nodes { id slug viewerRole } } memberships { nodes { role team { slug } } } } }`,
      {},
      admin,
    );
    expect(ok(r)).toEqual({
      user: {
        id: normal.id,
        email: 'normal@example.com',
        fullName: 'Normal Person',
        teams: { totalCount: 1, nodes: [{ id: normalTeamId, slug: 'normal-team', viewerRole: null }] },
        memberships: { nodes: [{ role: 'OWNER', team: { slug: 'normal-team' } }] },
      },
    });
  });

  it('answers NOT_FOUND for an unknown email', async () => {
    const r = await server.gql(`{ user(email: "nobody@example.com") { id } }`, {}, admin);
    expect(r.body).toEqual({
      data: { user: null },
      errors: [
        expect.objectContaining({ message: 'User nobody@example.com not found.', path: ['user'], extensions: { code: 'NOT_FOUND' } }),
      ],
    });
  });
});

describe('adminUpdateUser', () => {
  let subject: Account;
  beforeAll(async () => {
    subject = await server.signUp('subject@example.com', 'Subject One');
  });

  it('changes email, names and teamLimit, and leaves omitted fields alone', async () => {
    const r = ok(
      await updateUser({ userId: subject.id, email: ' Renamed@Example.com', fullName: 'Renamed Subject', shortName: 'ren', teamLimit: 4 }),
    ).adminUpdateUser;
    expect(r).toEqual({
      user: {
        id: subject.id,
        email: 'renamed@example.com',
        fullName: 'Renamed Subject',
        shortName: 'ren',
        platformRole: 'USER',
        status: 'ACTIVE',
        teamLimit: 4,
      },
      userErrors: [],
    });
    const partial = ok(await updateUser({ userId: subject.id, shortName: 'r' })).adminUpdateUser;
    expect(partial.user).toEqual({ ...r.user, shortName: 'r' });
    // The new email logs in; the old one no longer does.
    expect((await logIn('renamed@example.com')).user).toEqual({ email: 'renamed@example.com' });
    expect((await logIn('subject@example.com')).userErrors).toEqual([expect.objectContaining({ code: 'INVALID_CREDENTIALS' })]);
    // The subject's existing session still works and sees the change.
    expect(ok(await server.gql(`{ viewer { email teamLimit } }`, {}, subject.token))).toEqual({
      viewer: { email: 'renamed@example.com', teamLimit: 4 },
    });
  });

  it('refuses a taken email, a malformed email and a negative teamLimit', async () => {
    expect(ok(await updateUser({ userId: subject.id, email: 'NORMAL@example.com' })).adminUpdateUser).toEqual({
      user: null,
      userErrors: [
        { field: ['input', 'email'], code: 'TAKEN', message: expect.stringContaining('email normal@example.com is already registered') },
      ],
    });
    expect(ok(await updateUser({ userId: subject.id, email: 'nope' })).adminUpdateUser).toEqual({
      user: null,
      userErrors: [{ field: ['input', 'email'], code: 'INVALID', message: 'email must be a valid email address, like name@example.com' }],
    });
    expect(ok(await updateUser({ userId: subject.id, teamLimit: -1 })).adminUpdateUser).toEqual({
      user: null,
      userErrors: [{ field: ['input', 'teamLimit'], code: 'INVALID', message: 'teamLimit must be 0 or more' }],
    });
    const now = ok(await server.gql(`{ user(email: "renamed@example.com") { email teamLimit } }`, {}, admin));
    expect(now).toEqual({ user: { email: 'renamed@example.com', teamLimit: 4 } });
  });

  it('sets a teamLimit that createTeam then holds to', async () => {
    expect(ok(await updateUser({ userId: normal.id, teamLimit: 1 })).adminUpdateUser.userErrors).toEqual([]);
    const refused = ok(
      await mutate('createTeam', { slug: 'second-team', name: 'Second' }, normal.token, `team { id } ${ERRORS}`),
    ).createTeam;
    expect(refused).toEqual({ team: null, userErrors: [expect.objectContaining({ field: null, code: 'LIMIT_REACHED' })] });
    expect(ok(await updateUser({ userId: normal.id, teamLimit: 2 })).adminUpdateUser.user.teamLimit).toBe(2);
    const second = await createTeam('second-team', normal.token);
    expect(ok(await mutate('deleteTeam', { teamId: second }, normal.token)).deleteTeam.userErrors).toEqual([]);
  });

  it('suspends a user: their session and API tokens are refused at once, and work again once ACTIVE', async () => {
    const apiToken = ok(await mutate('createApiToken', { name: 'ci' }, subject.token, `secret ${ERRORS}`)).createApiToken.secret as string;
    expect(await accepted(subject.token)).toBe(true);
    expect(await accepted(apiToken)).toBe(true);

    const suspended = ok(await updateUser({ userId: subject.id, status: 'SUSPENDED' })).adminUpdateUser;
    expect(suspended.user.status).toBe('SUSPENDED');
    expect(await accepted(subject.token)).toBe(false);
    expect(await accepted(apiToken)).toBe(false);
    const viewer = await server.gql(`{ viewer { email } }`, {}, subject.token);
    expect(viewer.body.data).toEqual({ viewer: null });
    expect(codes(viewer)).toEqual(['UNAUTHENTICATED']);
    // Logging in again does not help.
    expect(await logIn('renamed@example.com')).toEqual({
      token: null,
      user: null,
      userErrors: [{ field: null, code: 'NOT_ALLOWED', message: 'This account is suspended; contact a platform admin.' }],
    });

    expect(ok(await updateUser({ userId: subject.id, status: 'ACTIVE' })).adminUpdateUser.user.status).toBe('ACTIVE');
    expect(await accepted(subject.token)).toBe(true);
    expect(await accepted(apiToken)).toBe(true);
    expect((await logIn('renamed@example.com')).token).toEqual(expect.any(String));
  });

  it('makes a user a platform admin, with access to users, and takes it back', async () => {
    const query = `{ users(filter: { search: "renamed@" }) { nodes { email } } }`;
    expect(codes(await server.gql(query, {}, subject.token))).toEqual(['FORBIDDEN']);
    expect(ok(await updateUser({ userId: subject.id, platformRole: 'ADMIN' })).adminUpdateUser.user.platformRole).toBe('ADMIN');
    expect(ok(await server.gql(query, {}, subject.token))).toEqual({ users: { nodes: [{ email: 'renamed@example.com' }] } });
    // The new admin sees every team.
    expect(ok(await server.gql(`{ team(slug: "normal-team") { slug } }`, {}, subject.token))).toEqual({ team: { slug: 'normal-team' } });
    expect(ok(await updateUser({ userId: subject.id, platformRole: 'USER' })).adminUpdateUser.user.platformRole).toBe('USER');
    expect(codes(await server.gql(query, {}, subject.token))).toEqual(['FORBIDDEN']);
    expect(codes(await server.gql(`{ team(slug: "normal-team") { slug } }`, {}, subject.token))).toEqual(['NOT_FOUND']);
  });

  it('does not let an admin suspend or demote themself', async () => {
    expect(ok(await updateUser({ userId: adminId, status: 'SUSPENDED' })).adminUpdateUser).toEqual({
      user: null,
      userErrors: [{ field: ['input', 'status'], code: 'NOT_ALLOWED', message: 'You cannot suspend or demote yourself.' }],
    });
    expect(ok(await updateUser({ userId: adminId, platformRole: 'USER' })).adminUpdateUser).toEqual({
      user: null,
      userErrors: [{ field: ['input', 'platformRole'], code: 'NOT_ALLOWED', message: 'You cannot suspend or demote yourself.' }],
    });
    expect(ok(await server.gql(`{ viewer { platformRole status } users(first: 1) { totalCount } }`, {}, admin))).toEqual({
      viewer: { platformRole: 'ADMIN', status: 'ACTIVE' },
      users: { totalCount: expect.any(Number) },
    });
    // Changing their own name is fine.
    expect(ok(await updateUser({ userId: adminId, fullName: 'Root Admin' })).adminUpdateUser.user.fullName).toBe('Root Admin');
  });
});

describe('adminDeleteUser', () => {
  it('refuses with IN_USE while the user owns teams, and deletes them once they own none', async () => {
    const owner = await server.signUp('owner-to-delete@example.com');
    const teamId = await createTeam('doomed-team', owner.token);
    expect(ok(await deleteUser(owner.id)).adminDeleteUser).toEqual({
      deletedUserId: null,
      userErrors: [
        {
          field: ['input', 'userId'],
          code: 'IN_USE',
          message: expect.stringMatching(/^owner-to-delete@example.com still owns 1 team; transfer /),
        },
      ],
    });
    expect(await accepted(owner.token)).toBe(true);

    expect(ok(await mutate('deleteTeam', { teamId }, owner.token)).deleteTeam.userErrors).toEqual([]);
    expect(ok(await deleteUser(owner.id)).adminDeleteUser).toEqual({ deletedUserId: owner.id, userErrors: [] });
    // Their token is refused, and the user is gone.
    expect(await accepted(owner.token)).toBe(false);
    expect(codes(await server.gql(`{ user(email: "owner-to-delete@example.com") { id } }`, {}, admin))).toEqual(['NOT_FOUND']);
    expect(codes(await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: owner.id }, admin))).toEqual(['NOT_FOUND']);
    expect((await logIn('owner-to-delete@example.com')).userErrors).toEqual([expect.objectContaining({ code: 'INVALID_CREDENTIALS' })]);
  });

  it('deletes a member of a team (not its owner), who leaves the team', async () => {
    const member = await server.signUp('member-to-delete@example.com');
    const invited = ok(
      await mutate(
        'inviteMember',
        { teamId: normalTeamId, email: member.email, role: 'MEMBER' },
        normal.token,
        `invitation { id } ${ERRORS}`,
      ),
    ).inviteMember;
    expect(invited.userErrors).toEqual([]);
    const accept = ok(await mutate('acceptInvitation', { invitationId: invited.invitation.id }, member.token)).acceptInvitation;
    expect(accept.userErrors).toEqual([]);
    const members = async () =>
      ok(
        await server.gql(`{ team(slug: "normal-team") { members { nodes { user { email } } } } }`, {}, normal.token),
      ).team.members.nodes.map((m: any) => m.user.email);
    expect(await members()).toEqual(['normal@example.com', 'member-to-delete@example.com']);
    expect(ok(await deleteUser(member.id)).adminDeleteUser).toEqual({ deletedUserId: member.id, userErrors: [] });
    expect(await members()).toEqual(['normal@example.com']);
    expect(await accepted(member.token)).toBe(false);
  });

  it('does not delete the admin themself', async () => {
    expect(ok(await deleteUser(adminId)).adminDeleteUser).toEqual({
      deletedUserId: null,
      userErrors: [{ field: ['input', 'userId'], code: 'NOT_ALLOWED', message: 'Delete your own account with deleteViewer.' }],
    });
    expect(await accepted(admin)).toBe(true);
  });
});

describe('user IDs given to the admin mutations', () => {
  it('answer BAD_USER_INPUT for an ID of another type or a malformed one', async () => {
    for (const userId of [normalTeamId, 'not-an-id', toGlobalId('Team', randomUUID())]) {
      for (const r of [await updateUser({ userId, fullName: 'x' }), await deleteUser(userId)]) {
        expect(r.body.data).toBeNull();
        expect(r.body.errors).toEqual([
          expect.objectContaining({
            message: 'userId: expected the ID of a User.',
            extensions: { code: 'BAD_USER_INPUT', field: 'userId' },
          }),
        ]);
      }
    }
  });

  it('answer NOT_FOUND for an unknown user', async () => {
    const userId = toGlobalId('User', randomUUID());
    for (const r of [await updateUser({ userId, fullName: 'x' }), await deleteUser(userId)]) {
      expect(r.body.data).toBeNull();
      expect(r.body.errors).toEqual([expect.objectContaining({ message: 'User not found.', extensions: { code: 'NOT_FOUND' } })]);
    }
  });
});
