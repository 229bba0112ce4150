import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestServer, type TestServer } from './support/server.js';
import { codes, USER_ERRORS } from './support/api.js';

// API tokens and sessions (issue 2, section 3): shown once, stored as hashes, narrowed by
// scopes, refused at once when revoked, expired or suspended, and private to their owner.

const TOKEN_FIELDS = 'id name prefix expiresAt';
const CREATE = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret token { ${TOKEN_FIELDS} } ${USER_ERRORS} } }`;
const REVOKE = `mutation($input: RevokeApiTokenInput!) { revokeApiToken(input: $input) { token { id state revokedAt } ${USER_ERRORS} } }`;
const REGENERATE = `mutation($input: RegenerateApiTokenInput!) { regenerateApiToken(input: $input) { secret token { ${TOKEN_FIELDS} } ${USER_ERRORS} } }`;
const REVOKE_SESSION = `mutation($input: RevokeSessionInput!) { revokeSession(input: $input) { session { id state current endedAt } ${USER_ERRORS} } }`;
const CREATE_TEAM = `mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id slug name } ${USER_ERRORS} } }`;
const UPDATE_TEAM = `mutation($input: UpdateTeamInput!) { updateTeam(input: $input) { team { id name } ${USER_ERRORS} } }`;
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token ${USER_ERRORS} } }`;
const ADMIN_UPDATE_USER = `mutation($input: AdminUpdateUserInput!) { adminUpdateUser(input: $input) { user { id status } ${USER_ERRORS} } }`;
const SESSIONS = '{ viewer { sessions { nodes { id current state } } } }';
const TEAMS = '{ teams { nodes { slug } } }';

type User = { token: string; id: string; email: string };

let server: TestServer;
/** The main user of this file: owns a team, makes most tokens. */
let owner: User;
/** Another user, who must not reach the owner's tokens or sessions. */
let stranger: User;
let teamId: string;

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signUp('token-owner@example.com');
  stranger = await server.signUp('stranger@example.com');
  const team = await server.gql(CREATE_TEAM, { input: { slug: 'token-team', name: 'Token Team' } }, owner.token);
  expect(team.body.data.createTeam.userErrors).toEqual([]);
  teamId = team.body.data.createTeam.team.id;
});
afterAll(() => server.close());

async function createToken(input: Record<string, unknown>, token = owner.token): Promise<{ secret: string; id: string; prefix: string }> {
  const r = await server.gql(CREATE, { input }, token);
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data.createApiToken.userErrors).toEqual([]);
  const p = r.body.data.createApiToken;
  return { secret: p.secret, id: p.token.id, prefix: p.token.prefix };
}

/** The bearer token is accepted; returns the viewer's email. */
async function expectAccepted(token: string, email = owner.email): Promise<void> {
  const r = await server.gql('{ viewer { email } teams { totalCount } }', undefined, token);
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data.viewer.email).toBe(email);
}

/** The bearer token is refused at once with UNAUTHENTICATED. */
async function expectRefused(token: string): Promise<void> {
  const r = await server.gql('{ teams { totalCount } }', undefined, token);
  expect(r.body.data ?? null).toBeNull();
  expect(codes(r)).toEqual(['UNAUTHENTICATED']);
}

describe('createApiToken', () => {
  it('returns the secret once with the token’s id, name, prefix and expiry', async () => {
    const r = await server.gql(CREATE, { input: { name: 'ci' } }, owner.token);
    const p = r.body.data.createApiToken;
    expect(p).toEqual({
      secret: expect.stringMatching(/^\S{30,}$/),
      token: { id: expect.any(String), name: 'ci', prefix: expect.any(String), expiresAt: null },
      userErrors: [],
    });
    // The prefix is a hint of the secret, much shorter than it.
    expect(p.secret.startsWith(p.token.prefix)).toBe(true);
    expect(p.token.prefix.length).toBeLessThan(p.secret.length / 2);

    const expiresAt = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString();
    const withExpiry = await server.gql(CREATE, { input: { name: 'weekly', expiresAt, scopes: ['team:read'] } }, owner.token);
    expect(withExpiry.body.data.createApiToken.token).toEqual({
      id: expect.any(String),
      name: 'weekly',
      prefix: expect.any(String),
      expiresAt,
    });
  });

  it('gives a secret that works as a Bearer token', async () => {
    const { secret } = await createToken({ name: 'bearer' });
    await expectAccepted(secret);
    const r = await server.gql('{ team(slug: "token-team") { slug viewerRole } }', undefined, secret);
    expect(r.body).toEqual({ data: { team: { slug: 'token-team', viewerRole: 'OWNER' } } });
  });

  it('never shows the secret again', async () => {
    const { secret, id } = await createToken({ name: 'shown-once', scopes: ['team:read', 'app:read'] });
    await expectAccepted(secret); // use it, so lastUsedAt is set
    const list = await server.gql(
      `{ viewer { apiTokens(first: 100) { totalCount nodes { id name prefix scopes expiresAt lastUsedAt revokedAt createdAt state } } } }`,
      undefined,
      owner.token,
    );
    expect(list.body.errors).toBeUndefined();
    const mine = list.body.data.viewer.apiTokens.nodes.find((n: { id: string }) => n.id === id);
    expect(mine).toMatchObject({ name: 'shown-once', scopes: ['app:read', 'team:read'], revokedAt: null, state: 'ACTIVE' });
    const node = await server.gql(`query($id: ID!) { node(id: $id) { id ... on ApiToken { name prefix state } } }`, { id }, owner.token);
    expect(node.body.data.node).toMatchObject({ id, name: 'shown-once', state: 'ACTIVE' });
    const text = JSON.stringify(list.body) + JSON.stringify(node.body);
    expect(text).not.toContain(secret);
    // Not even the part after the prefix.
    expect(text).not.toContain(secret.slice(-20));
    // Also not when the token looks at itself.
    const self = await server.gql(`{ viewer { apiTokens { nodes { id name prefix } } } }`, undefined, secret);
    expect(JSON.stringify(self.body)).not.toContain(secret.slice(-20));
  });

  it('refuses an empty or over-long name', async () => {
    for (const [name, code] of [
      ['', 'REQUIRED'],
      ['   ', 'REQUIRED'],
      ['n'.repeat(101), 'TOO_LONG'],
    ] as const) {
      const r = await server.gql(CREATE, { input: { name } }, owner.token);
      expect(r.body.data.createApiToken).toEqual({
        secret: null,
        token: null,
        userErrors: [{ field: ['input', 'name'], code, message: expect.stringMatching(/^name /) }],
      });
    }
  });

  it('refuses unknown scopes and an empty scope list', async () => {
    const r = await server.gql(CREATE, { input: { name: 'bad-scope', scopes: ['team:read', 'foo:bar'] } }, owner.token);
    expect(r.body.data.createApiToken).toEqual({
      secret: null,
      token: null,
      userErrors: [{ field: ['input', 'scopes', '1'], code: 'INVALID', message: expect.stringContaining('known permissions') }],
    });
    const empty = await server.gql(CREATE, { input: { name: 'no-scope', scopes: [] } }, owner.token);
    expect(empty.body.data.createApiToken.userErrors).toEqual([
      { field: ['input', 'scopes'], code: 'TOO_SHORT', message: expect.any(String) },
    ]);
  });

  it('refuses an expiry in the past, and a malformed one', async () => {
    const r = await server.gql(CREATE, { input: { name: 'past', expiresAt: new Date(Date.now() - 60_000).toISOString() } }, owner.token);
    expect(r.body.data.createApiToken).toEqual({
      secret: null,
      token: null,
      userErrors: [{ field: ['input', 'expiresAt'], code: 'INVALID', message: expect.stringContaining('future') }],
    });
    const malformed = await server.gql(CREATE, { input: { name: 'malformed', expiresAt: 'next tuesday' } }, owner.token);
    expect(codes(malformed)).toEqual(['BAD_USER_INPUT']);
    expect(malformed.body.data).toBeUndefined();
  });

  it('refuses a name used by another active token with TAKEN, but not one of a revoked token', async () => {
    const first = await createToken({ name: 'deploy' });
    const r = await server.gql(CREATE, { input: { name: ' deploy ' } }, owner.token);
    expect(r.body.data.createApiToken).toEqual({
      secret: null,
      token: null,
      userErrors: [{ field: ['input', 'name'], code: 'TAKEN', message: expect.stringContaining('deploy') }],
    });
    // Another user may use the same name.
    await createToken({ name: 'deploy' }, stranger.token);
    // Once revoked, the name is free again.
    expect((await server.gql(REVOKE, { input: { id: first.id } }, owner.token)).body.data.revokeApiToken.userErrors).toEqual([]);
    await createToken({ name: 'deploy' });
  });

  it('needs authentication', async () => {
    const r = await server.gql(CREATE, { input: { name: 'anon' } });
    expect(r.body.data).toBeNull();
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('scopes', () => {
  let readOnly: string;
  beforeAll(async () => {
    readOnly = (await createToken({ name: 'read-only', scopes: ['team:read'] })).secret;
  });

  it('a team:read token reads the viewer’s teams', async () => {
    const r = await server.gql(TEAMS, undefined, readOnly);
    expect(r.body).toEqual({ data: { teams: { nodes: [{ slug: 'token-team' }] } } });
    const team = await server.gql('{ team(slug: "token-team") { slug viewerRole viewerPermissions } }', undefined, readOnly);
    expect(team.body).toEqual({ data: { team: { slug: 'token-team', viewerRole: 'OWNER', viewerPermissions: ['team:read'] } } });
  });

  it('a team:read token cannot change the team (FORBIDDEN)', async () => {
    const r = await server.gql(UPDATE_TEAM, { input: { teamId, name: 'Renamed by a read-only token' } }, readOnly);
    expect(r.body.data).toBeNull();
    expect(codes(r)).toEqual(['FORBIDDEN']);
    const team = await server.gql('{ team(slug: "token-team") { name } }', undefined, owner.token);
    expect(team.body.data.team.name).toBe('Token Team');
  });

  it('a scoped token cannot create, regenerate or widen API tokens (FORBIDDEN)', async () => {
    const r = await server.gql(CREATE, { input: { name: 'escalated' } }, readOnly);
    expect(r.body.data).toBeNull();
    expect(codes(r)).toEqual(['FORBIDDEN']);
    const narrowed = await server.gql(CREATE, { input: { name: 'narrower', scopes: ['team:read'] } }, readOnly);
    expect(codes(narrowed)).toEqual(['FORBIDDEN']);
    const other = await createToken({ name: 'regen-target' });
    const regen = await server.gql(REGENERATE, { input: { id: other.id } }, readOnly);
    expect(codes(regen)).toEqual(['FORBIDDEN']);
    await expectAccepted(other.secret);
  });

  it('a scoped token cannot change the account’s email or password (FORBIDDEN)', async () => {
    // Otherwise a leaked read-only token could take the account over: change its email, then reset the password.
    const user = await server.signUp('scoped-account@example.com');
    const { secret } = await createToken({ name: 'narrow', scopes: ['team:read'] }, user.token);
    const email = await server.gql(
      `mutation { updateViewer(input: { email: "attacker@example.com" }) { user { email } ${USER_ERRORS} } }`,
      undefined,
      secret,
    );
    expect(codes(email)).toEqual(['FORBIDDEN']);
    const password = await server.gql(
      `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { email } ${USER_ERRORS} } }`,
      { input: { currentPassword: PASSWORD, newPassword: 'attacker-password' } },
      secret,
    );
    expect(codes(password)).toEqual(['FORBIDDEN']);
    const me = await server.gql('{ viewer { email } }', undefined, user.token);
    expect(me.body.data.viewer.email).toBe('scoped-account@example.com');
    const login = await server.gql(LOG_IN, { input: { email: 'scoped-account@example.com', password: PASSWORD } });
    expect(login.body.data.logIn.userErrors).toEqual([]);
  });

  it('a token without team:read does not see the team at all', async () => {
    const { secret } = await createToken({ name: 'apps-only', scopes: ['app:read'] });
    const r = await server.gql(TEAMS, undefined, secret);
    expect(r.body).toEqual({ data: { teams: { nodes: [] } } });
    const team = await server.gql('{ team(slug: "token-team") { slug } }', undefined, secret);
    expect(codes(team)).toEqual(['NOT_FOUND']);
  });

  it('a team:read token cannot create teams (FORBIDDEN)', async () => {
    // Judgment call: creating a team is a write that no read-only scope covers (the catalog has
    // no team-creation permission, so only an unscoped credential should do it).
    const r = await server.gql(CREATE_TEAM, { input: { slug: 'made-by-read-only', name: 'Nope' } }, readOnly);
    expect(codes(r)).toEqual(['FORBIDDEN']);
    const teams = await server.gql(TEAMS, undefined, owner.token);
    expect(teams.body.data.teams.nodes).toEqual([{ slug: 'token-team' }]);
  });
});

describe('revokeApiToken', () => {
  it('refuses the secret at once and marks the token revoked', async () => {
    const { secret, id } = await createToken({ name: 'to-revoke' });
    await expectAccepted(secret);
    const r = await server.gql(REVOKE, { input: { id } }, owner.token);
    expect(r.body).toEqual({
      data: { revokeApiToken: { token: { id, state: 'REVOKED', revokedAt: expect.any(String) }, userErrors: [] } },
    });
    await expectRefused(secret);
    const again = await server.gql(REVOKE, { input: { id } }, owner.token);
    expect(again.body.data.revokeApiToken).toEqual({
      token: null,
      userErrors: [{ field: ['input', 'id'], code: 'EXPIRED', message: expect.any(String) }],
    });
  });

  it('a token may revoke itself', async () => {
    const { secret, id } = await createToken({ name: 'self-revoke' });
    const r = await server.gql(REVOKE, { input: { id } }, secret);
    expect(r.body.data.revokeApiToken.userErrors).toEqual([]);
    await expectRefused(secret);
  });
});

describe('regenerateApiToken', () => {
  it('gives a new secret; the old one is refused and the new one works', async () => {
    const old = await createToken({ name: 'to-regenerate' });
    const r = await server.gql(REGENERATE, { input: { id: old.id } }, owner.token);
    const p = r.body.data.regenerateApiToken;
    expect(p).toEqual({
      secret: expect.any(String),
      token: { id: old.id, name: 'to-regenerate', prefix: expect.any(String), expiresAt: null },
      userErrors: [],
    });
    expect(p.secret).not.toBe(old.secret);
    expect(p.secret.startsWith(p.token.prefix)).toBe(true);
    await expectRefused(old.secret);
    await expectAccepted(p.secret);
  });

  it('refuses a revoked token', async () => {
    const { id } = await createToken({ name: 'revoked-then-regenerated' });
    await server.gql(REVOKE, { input: { id } }, owner.token);
    const r = await server.gql(REGENERATE, { input: { id } }, owner.token);
    expect(r.body.data.regenerateApiToken).toEqual({
      secret: null,
      token: null,
      userErrors: [{ field: ['input', 'id'], code: 'EXPIRED', message: expect.any(String) }],
    });
  });
});

describe('expiry', () => {
  it('refuses a token once its expiry has passed', async () => {
    const expiresAt = new Date(Date.now() + 2000);
    const { secret, id } = await createToken({ name: 'short-lived', expiresAt: expiresAt.toISOString() });
    await expectAccepted(secret);
    const wait = expiresAt.getTime() - Date.now() + 300;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await expectRefused(secret);
    const node = await server.gql(`query($id: ID!) { node(id: $id) { ... on ApiToken { state } } }`, { id }, owner.token);
    expect(node.body).toEqual({ data: { node: { state: 'EXPIRED' } } });
    // The name of an expired token is free again.
    await createToken({ name: 'short-lived' });
  });
});

describe('suspended users', () => {
  it('have every session and token refused at once, until reactivated', async () => {
    const user = await server.signUp('suspend-me@example.com');
    const { secret } = await createToken({ name: 'will-be-suspended' }, user.token);
    await expectAccepted(user.token, user.email);
    await expectAccepted(secret, user.email);
    const admin = await server.adminToken();

    const r = await server.gql(ADMIN_UPDATE_USER, { input: { userId: user.id, status: 'SUSPENDED' } }, admin);
    expect(r.body).toEqual({ data: { adminUpdateUser: { user: { id: user.id, status: 'SUSPENDED' }, userErrors: [] } } });
    await expectRefused(user.token);
    await expectRefused(secret);
    const login = await server.gql(LOG_IN, { input: { email: user.email, password: PASSWORD } });
    expect(login.body.data.logIn.token).toBeNull();
    expect(login.body.data.logIn.userErrors).toEqual([
      { field: null, code: expect.any(String), message: expect.stringContaining('suspended') },
    ]);

    const back = await server.gql(ADMIN_UPDATE_USER, { input: { userId: user.id, status: 'ACTIVE' } }, admin);
    expect(back.body.data.adminUpdateUser.userErrors).toEqual([]);
    await expectAccepted(user.token, user.email);
    await expectAccepted(secret, user.email);
  });
});

describe('sessions', () => {
  it('viewer.sessions lists the sessions, with current true only for the calling one', async () => {
    const user = await server.signUp('sessions@example.com');
    const second = (await server.gql(LOG_IN, { input: { email: user.email, password: PASSWORD } })).body.data.logIn.token as string;
    const fromFirst = await server.gql(SESSIONS, undefined, user.token);
    const fromSecond = await server.gql(SESSIONS, undefined, second);
    const a = fromFirst.body.data.viewer.sessions.nodes;
    const b = fromSecond.body.data.viewer.sessions.nodes;
    expect(a).toHaveLength(2);
    expect(a.map((s: { state: string }) => s.state)).toEqual(['ACTIVE', 'ACTIVE']);
    expect(a.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(b.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    // Newest first: the second log-in is first in the list.
    expect(b[0].current).toBe(true);
    expect(a[1].current).toBe(true);
    expect(a.map((s: { id: string }) => s.id)).toEqual(b.map((s: { id: string }) => s.id));
    // Through an API token, no session is current.
    const { secret } = await createToken({ name: 'lists-sessions' }, user.token);
    const viaToken = await server.gql(SESSIONS, undefined, secret);
    expect(viaToken.body.data.viewer.sessions.nodes.map((s: { current: boolean }) => s.current)).toEqual([false, false]);
  });

  it('revokeSession ends another of the viewer’s sessions at once', async () => {
    const user = await server.signUp('revoke-session@example.com');
    const lost = (await server.gql(LOG_IN, { input: { email: user.email, password: PASSWORD } })).body.data.logIn.token as string;
    const list = await server.gql(SESSIONS, undefined, user.token);
    const lostId = list.body.data.viewer.sessions.nodes.find((s: { current: boolean }) => !s.current).id;
    const r = await server.gql(REVOKE_SESSION, { input: { id: lostId } }, user.token);
    expect(r.body).toEqual({
      data: { revokeSession: { session: { id: lostId, state: 'REVOKED', current: false, endedAt: expect.any(String) }, userErrors: [] } },
    });
    await expectRefused(lost);
    await expectAccepted(user.token, user.email);
    const again = await server.gql(REVOKE_SESSION, { input: { id: lostId } }, user.token);
    expect(again.body.data.revokeSession).toEqual({
      session: null,
      userErrors: [{ field: ['input', 'id'], code: 'EXPIRED', message: expect.any(String) }],
    });
    const after = await server.gql(SESSIONS, undefined, user.token);
    // Newest first: the revoked later log-in, then the calling (sign-up) session.
    expect(after.body.data.viewer.sessions.nodes).toEqual([
      { id: lostId, current: false, state: 'REVOKED' },
      { id: expect.any(String), current: true, state: 'ACTIVE' },
    ]);
  });

  it('logOut through an API token needs allOtherSessions', async () => {
    const { secret } = await createToken({ name: 'logout-attempt' });
    const r = await server.gql('mutation { logOut { endedSessions userErrors { field code message } } }', undefined, secret);
    expect(r.body.data.logOut).toEqual({
      endedSessions: null,
      userErrors: [{ field: ['input', 'allOtherSessions'], code: 'NOT_ALLOWED', message: expect.any(String) }],
    });
    await expectAccepted(secret);
  });
});

describe('privacy between users', () => {
  let tokenId: string;
  let tokenSecret: string;
  let sessionId: string;
  beforeAll(async () => {
    ({ id: tokenId, secret: tokenSecret } = await createToken({ name: 'private' }));
    const list = await server.gql(SESSIONS, undefined, owner.token);
    sessionId = list.body.data.viewer.sessions.nodes.find((s: { current: boolean }) => s.current).id;
  });

  it('another user cannot fetch a user’s token or session by node(id:)', async () => {
    for (const id of [tokenId, sessionId]) {
      const r = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, stranger.token);
      expect(r.body.data).toEqual({ node: null });
      expect(codes(r)).toEqual(['NOT_FOUND']);
    }
    const many = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [tokenId, sessionId] }, stranger.token);
    expect(many.body.data).toEqual({ nodes: [null, null] });
    expect(codes(many)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    // Nor anonymously.
    const anon = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: tokenId });
    expect(codes(anon)).toEqual(['NOT_FOUND']);
    // The owner can.
    const mine = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: tokenId }, owner.token);
    expect(mine.body).toEqual({ data: { node: { id: tokenId } } });
  });

  it('another user cannot revoke or regenerate a user’s token, or revoke their session (NOT_FOUND)', async () => {
    const revoke = await server.gql(REVOKE, { input: { id: tokenId } }, stranger.token);
    expect(revoke.body.data).toBeNull();
    expect(codes(revoke)).toEqual(['NOT_FOUND']);
    const regen = await server.gql(REGENERATE, { input: { id: tokenId } }, stranger.token);
    expect(codes(regen)).toEqual(['NOT_FOUND']);
    const session = await server.gql(REVOKE_SESSION, { input: { id: sessionId } }, stranger.token);
    expect(session.body.data).toBeNull();
    expect(codes(session)).toEqual(['NOT_FOUND']);
    await expectAccepted(tokenSecret);
    await expectAccepted(owner.token);
  });

  it('another user cannot list a user’s tokens or sessions', async () => {
    const r = await server.gql(
      `query($id: ID!) { node(id: $id) { ... on User { apiTokens { nodes { id } } sessions { nodes { id } } } } }`,
      { id: owner.id },
      stranger.token,
    );
    // The owner is not visible to the stranger at all (they share no team).
    expect(r.body.data).toEqual({ node: null });
    expect(codes(r)).toEqual(['NOT_FOUND']);
  });
});

describe('IDs of the wrong type', () => {
  it('are refused with BAD_USER_INPUT naming the field', async () => {
    const cases: [string, string][] = [
      [REVOKE, owner.id], // a User id
      [REGENERATE, teamId], // a Team id
      [REVOKE_SESSION, (await createToken({ name: 'wrong-type' })).id], // an ApiToken id
      [REVOKE, 'not-a-global-id'],
    ];
    for (const [mutation, id] of cases) {
      const r = await server.gql(mutation, { input: { id } }, owner.token);
      expect(r.body.data).toBeNull();
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.body.errors![0].message).toMatch(/^id: /);
    }
  });

  it('an unknown token id of the right type is NOT_FOUND', async () => {
    const unknown = Buffer.from('ApiToken:00000000-0000-4000-8000-000000000000').toString('base64url');
    const r = await server.gql(REVOKE, { input: { id: unknown } }, owner.token);
    expect(codes(r)).toEqual(['NOT_FOUND']);
  });
});
