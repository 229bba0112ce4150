import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestServer, type GqlResult, type TestServer } from './support/server.js';
import { USER_ERRORS } from './support/api.js';

// Identity (issue 2, section 3): sign-up, log-in, sessions, passwords, the viewer's account.

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { token expiresAt user { id email } ${USER_ERRORS} } }`;
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token expiresAt user { id email } ${USER_ERRORS} } }`;
const LOG_OUT = `mutation($input: LogOutInput) { logOut(input: $input) { endedSessions user { email } ${USER_ERRORS} } }`;
const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { email } ${USER_ERRORS} } }`;
const REQUEST_RESET = `mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { ${USER_ERRORS} } }`;
const RESET = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { user { email } ${USER_ERRORS} } }`;
const UPDATE_VIEWER = `mutation($input: UpdateViewerInput!) { updateViewer(input: $input) { user { id email fullName shortName } ${USER_ERRORS} } }`;
const DELETE_VIEWER = `mutation($input: DeleteViewerInput!) { deleteViewer(input: $input) { deletedUserId ${USER_ERRORS} } }`;
const CREATE_TEAM = `mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id slug name } ${USER_ERRORS} } }`;
/** An entry point that needs authentication. */
const TEAMS = '{ teams { totalCount } }';

const NEW_PASSWORD = 'another-long-password';
const WRONG_CREDENTIALS = [{ field: null, code: 'INVALID_CREDENTIALS', message: 'Wrong email or password.' }];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function logIn(email: string, password = PASSWORD): Promise<GqlResult> {
  return server.gql(LOG_IN, { input: { email, password } });
}

/** Logs in and returns the new session token (fails the test otherwise). */
async function newSession(email: string, password = PASSWORD): Promise<string> {
  const r = await logIn(email, password);
  expect(r.body.data?.logIn.userErrors).toEqual([]);
  return r.body.data!.logIn.token;
}

/** The token is accepted: an authenticated field answers. */
async function expectAccepted(token: string): Promise<void> {
  const r = await server.gql(TEAMS, undefined, token);
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data?.teams.totalCount).toEqual(expect.any(Number));
}

/** The token is refused at once with UNAUTHENTICATED. */
async function expectRefused(token: string): Promise<void> {
  const r = await server.gql(TEAMS, undefined, token);
  expect(r.body.data ?? null).toBeNull();
  expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
}

function expectFutureDate(value: unknown, atLeastSeconds: number): void {
  expect(value).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/));
  expect(new Date(value as string).getTime()).toBeGreaterThan(Date.now() + atLeastSeconds * 1000);
}

describe('signUp', () => {
  it('creates the account and returns a working session token with its expiry and the user', async () => {
    const r = await server.gql(SIGN_UP, { input: { email: 'ada@example.com', password: PASSWORD, fullName: 'Ada Lovelace' } });
    expect(r.body.errors).toBeUndefined();
    const p = r.body.data.signUp;
    expect(p).toEqual({
      token: expect.stringMatching(/^\S{20,}$/),
      expiresAt: expect.any(String),
      user: { id: expect.any(String), email: 'ada@example.com' },
      userErrors: [],
    });
    expectFutureDate(p.expiresAt, 3600);
    const me = await server.gql('{ viewer { id email fullName } }', undefined, p.token);
    expect(me.body).toEqual({ data: { viewer: { id: p.user.id, email: 'ada@example.com', fullName: 'Ada Lovelace' } } });
  });

  it('normalizes the email to lower case without surrounding spaces', async () => {
    const r = await server.gql(SIGN_UP, { input: { email: '  Grace.Hopper@Example.COM ', password: PASSWORD } });
    expect(r.body.data.signUp.userErrors).toEqual([]);
    expect(r.body.data.signUp.user.email).toBe('grace.hopper@example.com');
    // Logging in with any casing of the address finds the account.
    const again = await logIn('GRACE.hopper@example.com');
    expect(again.body.data.logIn.userErrors).toEqual([]);
    expect(again.body.data.logIn.user).toEqual(r.body.data.signUp.user);
  });

  it('refuses a malformed email', async () => {
    for (const email of ['not-an-email', 'a@', '@example.com', 'two@@example.com', '']) {
      const r = await server.gql(SIGN_UP, { input: { email, password: PASSWORD } });
      expect(r.body.data.signUp).toEqual({
        token: null,
        expiresAt: null,
        user: null,
        userErrors: [{ field: ['input', 'email'], code: 'INVALID', message: expect.stringMatching(/^email .*valid email/) }],
      });
    }
  });

  it('refuses a password under 10 characters and says so', async () => {
    const r = await server.gql(SIGN_UP, { input: { email: 'short-pw@example.com', password: '123456789' } });
    expect(r.body.data.signUp).toEqual({
      token: null,
      expiresAt: null,
      user: null,
      userErrors: [{ field: ['input', 'password'], code: 'TOO_SHORT', message: expect.stringContaining('at least 10 characters') }],
    });
    // Nothing was created: the address is still free.
    const ok = await server.gql(SIGN_UP, { input: { email: 'short-pw@example.com', password: '1234567890' } });
    expect(ok.body.data.signUp.userErrors).toEqual([]);
  });

  it('refuses an over-long full name', async () => {
    const r = await server.gql(SIGN_UP, { input: { email: 'long-name@example.com', password: PASSWORD, fullName: 'x'.repeat(101) } });
    expect(r.body.data.signUp).toEqual({
      token: null,
      expiresAt: null,
      user: null,
      userErrors: [{ field: ['input', 'fullName'], code: 'TOO_LONG', message: expect.stringContaining('100 characters') }],
    });
  });

  it('reports every problem of the input at once', async () => {
    const r = await server.gql(SIGN_UP, { input: { email: 'nope', password: 'short' } });
    expect(r.body.data.signUp.userErrors.map((e: { field: string[]; code: string }) => [e.field, e.code])).toEqual([
      [['input', 'email'], 'INVALID'],
      [['input', 'password'], 'TOO_SHORT'],
    ]);
  });

  it('refuses a duplicate email, whatever its casing, with TAKEN', async () => {
    const r = await server.gql(SIGN_UP, { input: { email: 'ADA@example.com ', password: PASSWORD } });
    expect(r.body.data.signUp).toEqual({
      token: null,
      expiresAt: null,
      user: null,
      userErrors: [{ field: ['input', 'email'], code: 'TAKEN', message: expect.stringContaining('ada@example.com') }],
    });
  });

  it('refuses wrong types before running', async () => {
    const r = await server.gql(SIGN_UP, { input: { email: 42, password: PASSWORD } });
    expect(r.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.body.data).toBeUndefined();
  });
});

describe('logIn', () => {
  let user: { token: string; id: string; email: string };
  beforeAll(async () => {
    user = await server.signUp('login@example.com');
  });

  it('returns a new session token with its expiry and the user', async () => {
    const r = await logIn('login@example.com');
    const p = r.body.data.logIn;
    expect(p).toEqual({
      token: expect.any(String),
      expiresAt: expect.any(String),
      user: { id: user.id, email: 'login@example.com' },
      userErrors: [],
    });
    expectFutureDate(p.expiresAt, 3600);
    expect(p.token).not.toBe(user.token);
    await expectAccepted(p.token);
  });

  it('gives the same answer for a wrong password and an unknown email', async () => {
    const wrongPassword = await logIn('login@example.com', 'not-the-password');
    const unknownEmail = await logIn('nobody-here@example.com', PASSWORD);
    const expected = { data: { logIn: { token: null, expiresAt: null, user: null, userErrors: WRONG_CREDENTIALS } } };
    expect(wrongPassword.body).toEqual(expected);
    expect(unknownEmail.body).toEqual(expected);
  });

  it('refuses empty credentials naming the field', async () => {
    const r = await logIn('', PASSWORD);
    expect(r.body.data.logIn.userErrors).toEqual([{ field: ['input', 'email'], code: 'REQUIRED', message: expect.any(String) }]);
    const p = await logIn('login@example.com', '');
    expect(p.body.data.logIn.userErrors).toEqual([{ field: ['input', 'password'], code: 'REQUIRED', message: expect.any(String) }]);
  });

  it('throttles repeated failures for an email with RATE_LIMITED, without touching other emails', async () => {
    const s = await startTestServer({ loginMaxFailures: 3 });
    try {
      await s.signUp('victim@example.com');
      await s.signUp('bystander@example.com');
      for (let i = 0; i < 3; i++) {
        const r = await s.gql(LOG_IN, { input: { email: 'victim@example.com', password: `guess-number-${i}` } });
        expect(r.body.data.logIn.userErrors).toEqual(WRONG_CREDENTIALS);
      }
      // Now even the right password is refused until the window passes, with a clear error.
      for (const password of ['guess-number-4', PASSWORD]) {
        const r = await s.gql(LOG_IN, { input: { email: 'Victim@Example.com', password } });
        expect(r.body.data).toBeNull();
        expect(r.body.errors).toHaveLength(1);
        expect(r.body.errors![0].extensions?.code).toBe('RATE_LIMITED');
        expect(r.body.errors![0].message).toMatch(/too many failed logins.*try again/i);
      }
      // Another email from the same address is not locked out by the victim's failures.
      const other = await s.gql(LOG_IN, { input: { email: 'bystander@example.com', password: PASSWORD } });
      expect(other.body.data.logIn.userErrors).toEqual([]);
      expect(other.body.data.logIn.token).toEqual(expect.any(String));
    } finally {
      await s.close();
    }
  });
});

describe('logOut', () => {
  it('ends the current session only; its token is then refused', async () => {
    const { token: first } = await server.signUp('logout@example.com');
    const second = await newSession('logout@example.com');
    const r = await server.gql(LOG_OUT, {}, second);
    expect(r.body).toEqual({ data: { logOut: { endedSessions: 1, user: { email: 'logout@example.com' }, userErrors: [] } } });
    await expectRefused(second);
    await expectAccepted(first);
    // Logging out again with the ended token is refused too.
    const again = await server.gql(LOG_OUT, {}, second);
    expect(again.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('with allOtherSessions ends every other session and keeps the current one', async () => {
    const { token: current } = await server.signUp('logout-others@example.com');
    const others = [await newSession('logout-others@example.com'), await newSession('logout-others@example.com')];
    const r = await server.gql(LOG_OUT, { input: { allOtherSessions: true } }, current);
    expect(r.body).toEqual({ data: { logOut: { endedSessions: 2, user: { email: 'logout-others@example.com' }, userErrors: [] } } });
    for (const token of others) await expectRefused(token);
    await expectAccepted(current);
    const none = await server.gql(LOG_OUT, { input: { allOtherSessions: true } }, current);
    expect(none.body.data.logOut.endedSessions).toBe(0);
  });

  it('needs authentication', async () => {
    const r = await server.gql(LOG_OUT, {});
    expect(r.body.data).toBeNull();
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('changePassword', () => {
  it('refuses a wrong current password and a too-short new one, changing nothing', async () => {
    const { token } = await server.signUp('change-refused@example.com');
    const wrong = await server.gql(CHANGE_PASSWORD, { input: { currentPassword: 'not-my-password', newPassword: NEW_PASSWORD } }, token);
    expect(wrong.body).toEqual({
      data: {
        changePassword: {
          user: null,
          userErrors: [{ field: ['input', 'currentPassword'], code: 'INVALID_CREDENTIALS', message: expect.any(String) }],
        },
      },
    });
    const short = await server.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: 'short' } }, token);
    expect(short.body.data.changePassword).toEqual({
      user: null,
      userErrors: [{ field: ['input', 'newPassword'], code: 'TOO_SHORT', message: expect.stringContaining('at least 10 characters') }],
    });
    // The old password still works.
    await newSession('change-refused@example.com');
  });

  it('changes the password, ends the other sessions and keeps the current one', async () => {
    const { token: current } = await server.signUp('change@example.com');
    const other = await newSession('change@example.com');
    const r = await server.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } }, current);
    expect(r.body).toEqual({ data: { changePassword: { user: { email: 'change@example.com' }, userErrors: [] } } });
    await expectAccepted(current);
    await expectRefused(other);
    expect((await logIn('change@example.com', PASSWORD)).body.data.logIn.userErrors).toEqual(WRONG_CREDENTIALS);
    await expectAccepted(await newSession('change@example.com', NEW_PASSWORD));
  });

  it('needs authentication', async () => {
    const r = await server.gql(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('password reset', () => {
  it('answers the same for a registered and an unknown email, and mails only the registered one', async () => {
    await server.signUp('reset-known@example.com');
    const known = await server.gql(REQUEST_RESET, { input: { email: 'Reset-Known@example.com' } });
    const unknown = await server.gql(REQUEST_RESET, { input: { email: 'reset-unknown@example.com' } });
    expect(known.body).toEqual({ data: { requestPasswordReset: { userErrors: [] } } });
    expect(unknown.body).toEqual(known.body);
    const mail = await server.deliveredMail();
    expect(mail.tokenFor('reset-known@example.com', 'password-reset')).toEqual(expect.any(String));
    expect(mail.messages.filter((m) => m.recipient === 'reset-unknown@example.com')).toEqual([]);
  });

  it('refuses a malformed email', async () => {
    const r = await server.gql(REQUEST_RESET, { input: { email: 'not an email' } });
    expect(r.body.data.requestPasswordReset.userErrors).toEqual([
      { field: ['input', 'email'], code: 'INVALID', message: expect.any(String) },
    ]);
  });

  it('resets the password once with the mailed token and ends every session', async () => {
    const { token: session } = await server.signUp('reset@example.com');
    const other = await newSession('reset@example.com');
    await server.gql(REQUEST_RESET, { input: { email: 'reset@example.com' } });
    const resetToken = (await server.deliveredMail()).tokenFor('reset@example.com', 'password-reset');

    const short = await server.gql(RESET, { input: { token: resetToken, newPassword: 'short' } });
    expect(short.body.data.resetPassword.userErrors).toEqual([
      { field: ['input', 'newPassword'], code: 'TOO_SHORT', message: expect.stringContaining('at least 10 characters') },
    ]);

    const r = await server.gql(RESET, { input: { token: resetToken, newPassword: NEW_PASSWORD } });
    expect(r.body).toEqual({ data: { resetPassword: { user: { email: 'reset@example.com' }, userErrors: [] } } });
    await expectRefused(session);
    await expectRefused(other);
    expect((await logIn('reset@example.com', PASSWORD)).body.data.logIn.userErrors).toEqual(WRONG_CREDENTIALS);
    await expectAccepted(await newSession('reset@example.com', NEW_PASSWORD));

    const second = await server.gql(RESET, { input: { token: resetToken, newPassword: 'yet-another-password' } });
    expect(second.body).toEqual({
      data: { resetPassword: { user: null, userErrors: [{ field: ['input', 'token'], code: 'EXPIRED', message: expect.any(String) }] } },
    });
    // The refused second use did not change the password.
    await newSession('reset@example.com', NEW_PASSWORD);
  });

  it('refuses an unknown token', async () => {
    const r = await server.gql(RESET, { input: { token: 'gpr_made-up-token', newPassword: NEW_PASSWORD } });
    expect(r.body.data.resetPassword).toEqual({
      user: null,
      userErrors: [{ field: ['input', 'token'], code: 'EXPIRED', message: expect.any(String) }],
    });
  });
});

describe('viewer', () => {
  it('is the calling user with their profile', async () => {
    const { token, id } = await server.signUp('profile@example.com', 'Pro File');
    const r = await server.gql(
      '{ viewer { id email fullName shortName platformRole status teamLimit createdAt updatedAt } }',
      undefined,
      token,
    );
    expect(r.body).toEqual({
      data: {
        viewer: {
          id,
          email: 'profile@example.com',
          fullName: 'Pro File',
          shortName: '',
          platformRole: 'USER',
          status: 'ACTIVE',
          teamLimit: 10,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      },
    });
  });

  it('is null without a token', async () => {
    const r = await server.gql('{ viewer { id email } }');
    expect(r.body).toEqual({ data: { viewer: null } });
  });

  it('a garbage token is refused with UNAUTHENTICATED on authenticated fields', async () => {
    for (const token of ['garbage', 'gps_not-a-real-session', 'gpat_not-a-real-token']) {
      const r = await server.gql(TEAMS, undefined, token);
      expect(r.body.data).toBeNull();
      expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    }
    // viewer does not quietly answer null for a refused token either.
    const viewer = await server.gql('{ viewer { id } }', undefined, 'gps_not-a-real-session');
    expect(viewer.body.data).toEqual({ viewer: null });
    expect(viewer.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    const malformed = await server.gql(TEAMS, undefined, undefined, { authorization: 'Basic abc' });
    expect(malformed.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('updateViewer', () => {
  let user: { token: string; id: string; email: string };
  beforeAll(async () => {
    user = await server.signUp('update@example.com');
  });

  it('changes the names, trimmed, and leaves omitted fields alone', async () => {
    const r = await server.gql(UPDATE_VIEWER, { input: { fullName: '  Upda Ted ', shortName: 'upd' } }, user.token);
    expect(r.body).toEqual({
      data: {
        updateViewer: { user: { id: user.id, email: 'update@example.com', fullName: 'Upda Ted', shortName: 'upd' }, userErrors: [] },
      },
    });
    const only = await server.gql(UPDATE_VIEWER, { input: { shortName: 'u' } }, user.token);
    expect(only.body.data.updateViewer.user).toEqual({ id: user.id, email: 'update@example.com', fullName: 'Upda Ted', shortName: 'u' });
  });

  it('refuses over-long names and a malformed email', async () => {
    const r = await server.gql(
      UPDATE_VIEWER,
      { input: { fullName: 'x'.repeat(101), shortName: 'y'.repeat(51), email: 'bad@' } },
      user.token,
    );
    expect(r.body.data.updateViewer.user).toBeNull();
    expect(r.body.data.updateViewer.userErrors.map((e: { field: string[]; code: string }) => [e.field, e.code]).sort()).toEqual(
      [
        [['input', 'email'], 'INVALID'],
        [['input', 'fullName'], 'TOO_LONG'],
        [['input', 'shortName'], 'TOO_LONG'],
      ].sort(),
    );
  });

  it('changes the email (normalized), which is then used to log in', async () => {
    const r = await server.gql(UPDATE_VIEWER, { input: { email: ' Updated@Example.com' } }, user.token);
    expect(r.body.data.updateViewer.userErrors).toEqual([]);
    expect(r.body.data.updateViewer.user.email).toBe('updated@example.com');
    expect((await logIn('update@example.com')).body.data.logIn.userErrors).toEqual(WRONG_CREDENTIALS);
    expect((await logIn('updated@example.com')).body.data.logIn.user).toEqual({ id: user.id, email: 'updated@example.com' });
    // The old address is free again.
    await server.signUp('update@example.com');
  });

  it('refuses an email another user has, with TAKEN', async () => {
    await server.signUp('taken@example.com');
    const r = await server.gql(UPDATE_VIEWER, { input: { email: 'TAKEN@example.com', fullName: 'Not Applied' } }, user.token);
    expect(r.body).toEqual({
      data: {
        updateViewer: {
          user: null,
          userErrors: [{ field: ['input', 'email'], code: 'TAKEN', message: expect.stringContaining('taken@example.com') }],
        },
      },
    });
    const me = await server.gql('{ viewer { email fullName } }', undefined, user.token);
    expect(me.body.data.viewer).toEqual({ email: 'updated@example.com', fullName: 'Upda Ted' });
  });

  it('accepts the viewer’s own email unchanged', async () => {
    const r = await server.gql(UPDATE_VIEWER, { input: { email: 'updated@example.com' } }, user.token);
    expect(r.body.data.updateViewer.userErrors).toEqual([]);
  });

  it('needs authentication', async () => {
    const r = await server.gql(UPDATE_VIEWER, { input: { fullName: 'Anon' } });
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('deleteViewer', () => {
  it('refuses a wrong password', async () => {
    const { token } = await server.signUp('delete-wrong@example.com');
    const r = await server.gql(DELETE_VIEWER, { input: { password: 'not-my-password' } }, token);
    expect(r.body).toEqual({
      data: {
        deleteViewer: {
          deletedUserId: null,
          userErrors: [{ field: ['input', 'password'], code: 'INVALID_CREDENTIALS', message: expect.any(String) }],
        },
      },
    });
    await expectAccepted(token);
  });

  it('is refused with a userErrors entry while the viewer owns a team', async () => {
    const { token } = await server.signUp('delete-owner@example.com');
    const team = await server.gql(CREATE_TEAM, { input: { slug: 'delete-owner-team', name: 'Owned' } }, token);
    expect(team.body.data.createTeam.userErrors).toEqual([]);
    const r = await server.gql(DELETE_VIEWER, { input: { password: PASSWORD } }, token);
    expect(r.body.data.deleteViewer.deletedUserId).toBeNull();
    expect(r.body.data.deleteViewer.userErrors).toEqual([
      { field: null, code: 'IN_USE', message: 'You still own 1 team; transfer ownership or delete it first.' },
    ]);
    await expectAccepted(token);
  });

  it('deletes the account; its tokens are refused and it can no longer log in', async () => {
    const { token, id } = await server.signUp('delete-me@example.com');
    const other = await newSession('delete-me@example.com');
    const r = await server.gql(DELETE_VIEWER, { input: { password: PASSWORD } }, token);
    expect(r.body).toEqual({ data: { deleteViewer: { deletedUserId: id, userErrors: [] } } });
    await expectRefused(token);
    await expectRefused(other);
    expect((await logIn('delete-me@example.com')).body.data.logIn.userErrors).toEqual(WRONG_CREDENTIALS);
    // The address can be registered again.
    await server.signUp('delete-me@example.com');
  });
});
