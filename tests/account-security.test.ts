import { sql } from 'drizzle-orm';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { USER_ERRORS, api, codes, dbId } from './support/api.js';
import { PASSWORD, startTestServer, type GqlResult, type TestServer } from './support/server.js';

// Issue 9, section 2: credentials follow the account's recovery (items 1, 2, 9), the login
// throttle holds under concurrency and over WebSocket (6), mail cannot be used to probe or flood
// (12), failed logins are audited for the user concerned (14).

const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token ${USER_ERRORS} } }`;
const REQUEST_RESET = `mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { ${USER_ERRORS} } }`;
const RESET = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { user { email emailVerified } revokedApiTokens ${USER_ERRORS} } }`;
const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { email } revokedApiTokens ${USER_ERRORS} } }`;
const UPDATE_VIEWER = `mutation($input: UpdateViewerInput!) { updateViewer(input: $input) { user { email emailVerified } ${USER_ERRORS} } }`;
const VERIFY = `mutation($input: VerifyEmailInput!) { verifyEmail(input: $input) { user { email } ${USER_ERRORS} } }`;
const CREATE_TOKEN = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret ${USER_ERRORS} } }`;
const INVITE = `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id } ${USER_ERRORS} } }`;
const ACCEPT = `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { membership { role } ${USER_ERRORS} } }`;
const REQUEST_VERIFICATION = `mutation { requestEmailVerification { ${USER_ERRORS} } }`;
const VIEWER = '{ viewer { email emailVerified invitations { totalCount } } }';
const LOGIN_EVENTS = `{ viewer { events(first: 100, filter: { kinds: ["user.login"] }) {
  totalCount nodes { kind status actor { email } actorEmail targetType targetId error data } } } }`;
/** An entry point that needs authentication. */
const TEAMS = '{ teams { totalCount } }';

const NEW_PASSWORD = 'another-long-password';
const EXPIRED_TOKEN = [{ field: ['input', 'token'], code: 'EXPIRED', message: expect.any(String) }];
const WRONG_CREDENTIALS = [{ field: null, code: 'INVALID_CREDENTIALS', message: 'Wrong email or password.' }];

let server: TestServer;
const { ok, newTeam } = api(() => server);

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function expectAccepted(s: TestServer, token: string): Promise<void> {
  const r = await s.gql(TEAMS, undefined, token);
  expect(r.body.errors).toBeUndefined();
}

async function expectUnauthenticated(s: TestServer, token: string): Promise<void> {
  const r = await s.gql(TEAMS, undefined, token);
  expect(codes(r)).toEqual(['UNAUTHENTICATED']);
}

async function mintApiToken(token: string, name: string): Promise<string> {
  const created = await ok(CREATE_TOKEN, { input: { name } }, token);
  expect(created.createApiToken.userErrors).toEqual([]);
  return created.createApiToken.secret;
}

async function mailedResetToken(s: TestServer, email: string): Promise<string> {
  const r = await s.gql(REQUEST_RESET, { input: { email } });
  expect(r.body).toEqual({ data: { requestPasswordReset: { userErrors: [] } } });
  return (await s.deliveredMail()).tokenFor(email, 'password-reset');
}

/** A top-level RATE_LIMITED refusal of `field`. */
function expectRateLimited(r: GqlResult, message: RegExp): void {
  expect(r.body.data ?? null).toBeNull();
  expect(r.body.errors).toHaveLength(1);
  expect(r.body.errors![0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
  expect(r.body.errors![0].message).toMatch(message);
}

describe('mailed tokens prove only the address they were mailed to (item 1)', () => {
  it('a reset requested before an email change cannot verify the new address nor claim its invitation', async () => {
    const owner = await server.signUp('inviting-owner@example.com');
    const team = await newTeam('invites-admins', owner.token);
    const invited = await ok(INVITE, { input: { teamId: team.id, email: 'invited-admin@example.com', role: 'ADMIN' } }, owner.token);
    expect(invited.inviteMember.userErrors).toEqual([]);
    const invitationId = invited.inviteMember.invitation.id;

    // The attacker: their own mailbox, a reset token for it, then the invited address on the account.
    const attacker = await server.signUp('attacker@example.com');
    const resetToken = await mailedResetToken(server, 'attacker@example.com');
    const moved = await server.gql(UPDATE_VIEWER, { input: { email: 'invited-admin@example.com' } }, attacker.token);
    expect(moved.body.data.updateViewer).toEqual({ user: { email: 'invited-admin@example.com', emailVerified: false }, userErrors: [] });

    const redeemed = await server.gql(RESET, { input: { token: resetToken, newPassword: NEW_PASSWORD } });
    expect(redeemed.body).toEqual({ data: { resetPassword: { user: null, revokedApiTokens: null, userErrors: EXPIRED_TOKEN } } });
    // Nothing changed: the address is unverified, the invitation invisible and not acceptable, the password the old one.
    expect(await ok(VIEWER, {}, attacker.token)).toEqual({
      viewer: { email: 'invited-admin@example.com', emailVerified: false, invitations: { totalCount: 0 } },
    });
    const accept = await server.gql(ACCEPT, { input: { invitationId } }, attacker.token);
    expect(codes(accept)).toEqual(['NOT_FOUND']);
    expect(accept.body.data).toBeNull();
    expect(
      (await server.gql(LOG_IN, { input: { email: 'invited-admin@example.com', password: PASSWORD } })).body.data.logIn.userErrors,
    ).toEqual([]);
    // The proof for the new address went to the new address only.
    const mail = await server.deliveredMail();
    expect(mail.messages.filter((m) => m.kind === 'email-verification').map((m) => m.recipient)).toContain('invited-admin@example.com');
  });

  it('a verification token mailed before an email change does not verify the new address', async () => {
    const user = await server.signUp('unverified-mover@example.com', '', { verify: false });
    const oldToken = (await server.deliveredMail()).tokenFor('unverified-mover@example.com', 'email-verification');
    await ok(UPDATE_VIEWER, { input: { email: 'moved-elsewhere@example.com' } }, user.token);
    const r = await server.gql(VERIFY, { input: { token: oldToken } });
    expect(r.body.data.verifyEmail).toEqual({ user: null, userErrors: EXPIRED_TOKEN });
    expect((await ok(VIEWER, {}, user.token)).viewer.emailVerified).toBe(false);
  });

  it('a reset token mailed to the account’s current address still works and proves that address', async () => {
    await server.signUp('reset-unverified@example.com', '', { verify: false });
    const token = await mailedResetToken(server, 'reset-unverified@example.com');
    const r = await server.gql(RESET, { input: { token, newPassword: NEW_PASSWORD } });
    expect(r.body.data.resetPassword).toEqual({
      user: { email: 'reset-unverified@example.com', emailVerified: true },
      revokedApiTokens: 0,
      userErrors: [],
    });
  });
});

describe('a password reset or change revokes the account’s API tokens (item 2)', () => {
  it('the victim’s reset revokes the gpat_ token of whoever registered their address first', async () => {
    const squatter = await server.signUp('victim@example.com', '', { verify: false });
    const planted = await mintApiToken(squatter.token, 'planted');
    await expectAccepted(server, planted);

    const token = await mailedResetToken(server, 'victim@example.com');
    const r = await server.gql(RESET, { input: { token, newPassword: NEW_PASSWORD } });
    expect(r.body.data.resetPassword).toEqual({
      user: { email: 'victim@example.com', emailVerified: true },
      revokedApiTokens: 1,
      userErrors: [],
    });
    await expectUnauthenticated(server, planted);
    await expectUnauthenticated(server, squatter.token);
  });

  it('changePassword revokes every API token, keeps the current session, and says how many', async () => {
    const user = await server.signUp('changes-password@example.com');
    const tokens = [await mintApiToken(user.token, 'ci'), await mintApiToken(user.token, 'laptop')];
    const r = await server.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } }, user.token);
    expect(r.body.data.changePassword).toEqual({ user: { email: 'changes-password@example.com' }, revokedApiTokens: 2, userErrors: [] });
    for (const token of tokens) await expectUnauthenticated(server, token);
    await expectAccepted(server, user.token);
  });
});

describe('changing the email needs proof of identity and tells the old address (item 9)', () => {
  /** Makes every session of the user look opened `minutes` ago. */
  async function ageSessions(userId: string, minutes: number): Promise<void> {
    await server.database.db.execute(
      sql`update sessions set created_at = now() - make_interval(mins => ${minutes}) where user_id = ${dbId(userId)}`,
    );
  }

  it('a session older than 10 minutes needs currentPassword, and a wrong one is refused', async () => {
    const user = await server.signUp('old-session@example.com');
    await ageSessions(user.id, 11);
    const missing = await server.gql(UPDATE_VIEWER, { input: { email: 'new-address@example.com' } }, user.token);
    expect(missing.body.data.updateViewer).toEqual({
      user: null,
      userErrors: [
        {
          field: ['input', 'currentPassword'],
          code: 'REQUIRED',
          message: 'To change the email, give your currentPassword (or log in again: a session opened in the last 10 minutes needs none).',
        },
      ],
    });
    const wrong = await server.gql(
      UPDATE_VIEWER,
      { input: { email: 'new-address@example.com', currentPassword: 'not-my-password' } },
      user.token,
    );
    expect(wrong.body.data.updateViewer).toEqual({
      user: null,
      userErrors: [{ field: ['input', 'currentPassword'], code: 'INVALID_CREDENTIALS', message: 'currentPassword is wrong.' }],
    });
    // Other profile changes need no password.
    expect((await server.gql(UPDATE_VIEWER, { input: { fullName: 'Old Session' } }, user.token)).body.data.updateViewer.userErrors).toEqual(
      [],
    );
    const right = await server.gql(UPDATE_VIEWER, { input: { email: 'new-address@example.com', currentPassword: PASSWORD } }, user.token);
    expect(right.body.data.updateViewer).toEqual({ user: { email: 'new-address@example.com', emailVerified: false }, userErrors: [] });
  });

  it('a session younger than 10 minutes may change it without the password', async () => {
    const user = await server.signUp('fresh-session@example.com');
    await ageSessions(user.id, 9);
    const r = await server.gql(UPDATE_VIEWER, { input: { email: 'fresh-moved@example.com' } }, user.token);
    expect(r.body.data.updateViewer.userErrors).toEqual([]);
  });

  it('an API token is not a session: it always needs currentPassword', async () => {
    const user = await server.signUp('token-mover@example.com');
    const apiToken = await mintApiToken(user.token, 'automation');
    const missing = await server.gql(UPDATE_VIEWER, { input: { email: 'token-moved@example.com' } }, apiToken);
    expect(missing.body.data.updateViewer.userErrors).toEqual([
      {
        field: ['input', 'currentPassword'],
        code: 'REQUIRED',
        message: 'To change the email with an API token, give your currentPassword.',
      },
    ]);
    const right = await server.gql(UPDATE_VIEWER, { input: { email: 'token-moved@example.com', currentPassword: PASSWORD } }, apiToken);
    expect(right.body.data.updateViewer.userErrors).toEqual([]);
  });

  it('mails the old address that the email changed, and to what', async () => {
    const user = await server.signUp('notify-old@example.com');
    await ok(UPDATE_VIEWER, { input: { email: 'notify-new@example.com' } }, user.token);
    const notices = (await server.deliveredMail()).messages.filter((m) => m.kind === 'email-changed');
    expect(notices.filter((m) => m.recipient === 'notify-old@example.com')).toMatchObject([
      {
        kind: 'email-changed',
        recipient: 'notify-old@example.com',
        subject: 'The email address of your Graphplane account changed',
        body: expect.stringContaining('from notify-old@example.com to notify-new@example.com'),
        payload: { from: 'notify-old@example.com', to: 'notify-new@example.com' },
      },
    ]);
    expect(notices.filter((m) => m.recipient === 'notify-new@example.com')).toEqual([]);
  });
});

describe('the login throttle (item 6)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ loginMaxFailures: 5 });
  });
  afterAll(() => s.close());

  /** A login from the client at `address` (behind the local proxy). */
  const logInFrom = (address: string, email: string, password: string) =>
    s.gql(LOG_IN, { input: { email, password } }, undefined, { 'x-forwarded-for': address });
  const outcome = (r: GqlResult) =>
    r.body.errors?.[0]?.extensions?.code ?? (r.body.data.logIn.token ? 'SESSION' : r.body.data.logIn.userErrors[0].code);
  const tally = (results: GqlResult[]) =>
    results.map(outcome).reduce<Record<string, number>>((counts, o) => ({ ...counts, [o]: (counts[o] ?? 0) + 1 }), {});

  it('counts attempts before the password check: of 20 concurrent guesses, LOGIN_MAX_FAILURES are checked', async () => {
    const victim = await s.signUp('concurrent-victim@example.com');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => logInFrom('198.51.100.1', 'concurrent-victim@example.com', `wrong-guess-${i}`)),
    );
    expect(tally(results)).toEqual({ INVALID_CREDENTIALS: 5, RATE_LIMITED: 15 });
    // Exactly five passwords were checked: the victim sees five failed logins.
    const events = (await s.gql(LOGIN_EVENTS, {}, victim.token)).body.data.viewer.events;
    expect(events.nodes.filter((e: { status: string }) => e.status === 'FAILED')).toHaveLength(5);
  });

  it('the right password among concurrent guesses past the limit is RATE_LIMITED, not a session', async () => {
    await s.signUp('guessed@example.com');
    const guesses = Array.from({ length: 19 }, (_, i) => logInFrom('198.51.100.2', 'guessed@example.com', `wrong-guess-${i}`));
    // Sent while the guesses are still in flight, once the server has refused one of them.
    const refusedOne = new Promise<void>((resolve) => {
      for (const guess of guesses) void guess.then((r) => outcome(r) === 'RATE_LIMITED' && resolve());
      void Promise.all(guesses).then(() => resolve());
    });
    const right = refusedOne.then(() => logInFrom('198.51.100.2', 'guessed@example.com', PASSWORD));
    const results = await Promise.all([...guesses, right]);
    expect(outcome(results[19])).toBe('RATE_LIMITED');
    expect(tally(results)).toEqual({ INVALID_CREDENTIALS: 5, RATE_LIMITED: 15 });
  });

  it('throttles WebSocket clients by their own address, not one shared key', async () => {
    await s.signUp('ws-user@example.com');
    /** A graphql-ws client behind the local proxy, for the client at `address`. */
    const wsClient = (address: string) => {
      class ForwardedWebSocket extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { headers: { 'x-forwarded-for': address } });
        }
      }
      return createClient({ url: s.url.replace(/^http/, 'ws'), webSocketImpl: ForwardedWebSocket, retryAttempts: 0 });
    };
    const logInOver = async (client: ReturnType<typeof createClient>, email: string, password: string) => {
      const iterator = client.iterate({ query: LOG_IN, variables: { input: { email, password } } });
      const { value } = await iterator.next();
      await iterator.return?.();
      return { status: 200, body: value, headers: new Headers(), statements: -1 } as GqlResult;
    };
    const guesser = wsClient('198.51.100.7'); // neither has logged in over HTTP

    const other = wsClient('198.51.100.8');
    try {
      // 5 × 4 attempts per address: each for another email, so only the address limit applies.
      for (let i = 0; i < 20; i++)
        expect(outcome(await logInOver(guesser, `nobody-${i}@example.com`, 'wrong-password'))).toBe('INVALID_CREDENTIALS');
      expectRateLimited(await logInOver(guesser, 'nobody-else@example.com', 'wrong-password'), /too many failed logins/i);
      // Another WebSocket client still logs in.
      const r = await logInOver(other, 'ws-user@example.com', PASSWORD);
      expect(r.body.data.logIn).toEqual({ token: expect.any(String), userErrors: [] });
    } finally {
      await guesser.dispose();
      await other.dispose();
    }
  });
});

describe('mail-sending mutations (item 12)', () => {
  it('requestPasswordReset does the same work for a registered and an unknown address', async () => {
    await server.signUp('same-work@example.com');
    const known = await server.gql(REQUEST_RESET, { input: { email: 'same-work@example.com' } });
    const unknown = await server.gql(REQUEST_RESET, { input: { email: 'no-such-account@example.com' } });
    expect(unknown.body).toEqual(known.body);
    expect(unknown.statements).toBe(known.statements);
    const mail = await server.deliveredMail();
    expect(mail.tokenFor('same-work@example.com', 'password-reset')).toEqual(expect.stringMatching(/^gpr_/));
    expect(mail.messages.filter((m) => m.recipient === 'no-such-account@example.com')).toEqual([]);
  });

  describe('are rate limited', () => {
    let s: TestServer;
    const limited = /too many mails asked for to this address or by you; try again in \d+ seconds/i;
    beforeAll(async () => {
      s = await startTestServer({ mailMaxPerRecipient: 2, mailMaxPerSender: 3 });
    });
    afterAll(() => s.close());

    const resetFrom = (address: string, email: string) =>
      s.gql(REQUEST_RESET, { input: { email } }, undefined, { 'x-forwarded-for': address });

    it('per address: the same answer for registered and unknown addresses', async () => {
      await s.signUp('flooded@example.com');
      for (const email of ['flooded@example.com', 'never-registered@example.com']) {
        for (const client of ['192.0.2.1', '192.0.2.2'])
          expect((await resetFrom(client, email)).body).toEqual({ data: { requestPasswordReset: { userErrors: [] } } });
        expectRateLimited(await resetFrom('192.0.2.3', email), limited);
      }
      const mail = await s.deliveredMail();
      expect(mail.messages.filter((m) => m.recipient === 'flooded@example.com' && m.kind === 'password-reset')).toHaveLength(2);
    });

    it('per anonymous client address', async () => {
      for (let i = 0; i < 3; i++)
        expect((await resetFrom('192.0.2.50', `spread-${i}@example.com`)).body.data.requestPasswordReset.userErrors).toEqual([]);
      expectRateLimited(await resetFrom('192.0.2.50', 'spread-3@example.com'), limited);
    });

    it('per account: inviteMember and requestEmailVerification', async () => {
      const owner = await s.signUp('busy-inviter@example.com');
      const team = (
        await s.gql(
          `mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } } }`,
          { i: { slug: 'busy', name: 'busy' } },
          owner.token,
        )
      ).body.data.createTeam.team;
      for (let i = 0; i < 3; i++) {
        const r = await s.gql(INVITE, { input: { teamId: team.id, email: `invitee-${i}@example.com`, role: 'MEMBER' } }, owner.token);
        expect(r.body.data.inviteMember.userErrors).toEqual([]);
      }
      expectRateLimited(
        await s.gql(INVITE, { input: { teamId: team.id, email: 'invitee-3@example.com', role: 'MEMBER' } }, owner.token),
        limited,
      );

      const unverified = await s.signUp('asks-again@example.com', '', { verify: false });
      // The sign-up mail does not count (it is not asked for); two more may be.
      for (let i = 0; i < 2; i++)
        expect((await s.gql(REQUEST_VERIFICATION, {}, unverified.token)).body.data.requestEmailVerification.userErrors).toEqual([]);
      expectRateLimited(await s.gql(REQUEST_VERIFICATION, {}, unverified.token), limited);
    });
  });
});

describe('failed logins are audited for the user concerned (item 14)', () => {
  it('records a FAILED user.login event targeting the user, which only that user sees', async () => {
    const user = await server.signUp('audited-login@example.com');
    const other = await server.signUp('audited-bystander@example.com');
    const r = await server.gql(LOG_IN, { input: { email: 'audited-login@example.com', password: 'wrong-password' } }, undefined, {
      'x-forwarded-for': '203.0.113.9',
      'user-agent': 'guesser/1.0',
    });
    expect(r.body.data.logIn.userErrors).toEqual(WRONG_CREDENTIALS);
    const events = (await ok(LOGIN_EVENTS, {}, user.token)).viewer.events;
    expect(events.nodes.filter((e: { status: string }) => e.status === 'FAILED')).toEqual([
      {
        kind: 'user.login',
        status: 'FAILED',
        actor: null,
        actorEmail: null,
        targetType: 'User',
        targetId: user.id,
        error: 'Wrong email or password.',
        data: { email: 'audited-login@example.com', ipAddress: '203.0.113.9', userAgent: 'guesser/1.0' },
      },
    ]);
    const theirs = (await ok(LOGIN_EVENTS, {}, other.token)).viewer.events;
    expect(theirs.nodes.filter((e: { status: string }) => e.status === 'FAILED')).toEqual([]);
  });

  it('answers a wrong password and an unknown email alike, with the same work', async () => {
    await server.signUp('exists@example.com');
    const wrongPassword = await server.gql(LOG_IN, { input: { email: 'exists@example.com', password: 'wrong-password' } });
    const unknownEmail = await server.gql(LOG_IN, { input: { email: 'does-not-exist@example.com', password: 'wrong-password' } });
    expect(unknownEmail.body).toEqual(wrongPassword.body);
    expect(unknownEmail.statements).toBe(wrongPassword.statements);
    // An anonymous caller reads no events at all.
    expect((await server.gql('{ viewer { events { totalCount } } }')).body).toEqual({ data: { viewer: null } });
  });
});
