import { and, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { decoyHash, hashPassword, verifyPassword } from '../../auth/passwords.js';
import { hashSecret, newSecret } from '../../auth/secrets.js';
import { declaredUser, requireFullAccess, requireUser, type UserViewer } from '../../auth/viewer.js';
import type { Executor } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { apiTokens, emailVerifications, passwordResets, sessions, users } from '../../db/schema/index.js';
import type { Context, UserRow } from '../../graphql/context.js';
import { UserErrorCode, userError, type UserErrors } from '../../graphql/user-errors.js';
import { fields, parseInput } from '../../graphql/validation.js';
import { auditFailure, audited } from '../events/audit.js';
import { limitMail } from '../../mail/mail-limit.js';
import { prepareMailOfKind } from '../../mail/mail.js';

export interface IssuedSession {
  token: string;
  expiresAt: Date;
  user: UserRow;
}

/** Opens a session for a user; only the token's hash is stored. */
export async function openSession(ctx: Context, tx: Executor, user: UserRow): Promise<IssuedSession> {
  const token = newSecret('session');
  const expiresAt = new Date(Date.now() + ctx.app.config.sessionTtlSeconds * 1000);
  await tx.insert(sessions).values({
    userId: user.id,
    tokenHash: hashSecret(token),
    expiresAt,
    userAgent: ctx.client.userAgent.slice(0, 300),
    ipAddress: ctx.client.ip,
  });
  return { token, expiresAt, user };
}

/** Mails a single-use token proving that the user receives mail at their current address. */
export async function sendEmailVerification(ctx: Context, tx: Executor, user: UserRow): Promise<void> {
  const token = newSecret('emailVerification');
  await tx.insert(emailVerifications).values({
    userId: user.id,
    email: user.email,
    tokenHash: hashSecret(token),
    expiresAt: new Date(Date.now() + ctx.app.config.emailVerificationTtlSeconds * 1000),
  });
  await ctx.app.mail.enqueue(tx, {
    kind: 'email-verification',
    recipient: user.email,
    subject: 'Confirm your email address for Graphplane',
    body: `Confirm that ${user.email} is yours by calling verifyEmail with this token: ${token}`,
    payload: { token },
  });
}

/** Marks the address the token was sent to as verified, if it is still the user's address. */
export async function verifyEmail(ctx: Context, rawInput: { token?: unknown }): Promise<{ user: UserRow }> {
  const { token } = parseInput(z.object({ token: z.string().min(1, { error: 'must not be empty' }).max(200) }), rawInput);
  const invalid = () =>
    userError(
      'token',
      UserErrorCode.EXPIRED,
      'token is invalid, expired or already used; request a new one with requestEmailVerification.',
    );
  return audited(ctx, 'user.email.verify', async (tx) => {
    const [verification] = await tx
      .update(emailVerifications)
      .set({ usedAt: new Date() })
      .where(
        and(
          eq(emailVerifications.tokenHash, hashSecret(token)),
          isNull(emailVerifications.usedAt),
          gt(emailVerifications.expiresAt, new Date()),
        ),
      )
      .returning();
    if (!verification) throw invalid();
    const [user] = await tx
      .update(users)
      .set({ emailVerifiedAt: new Date() })
      .where(and(eq(users.id, verification.userId), eq(users.email, verification.email)))
      .returning();
    // The user changed their address since the token was sent: it proves nothing about the new one.
    if (!user) throw invalid();
    return { result: { user }, target: { type: 'User', id: user.id }, actor: user };
  });
}

export async function requestEmailVerification(ctx: Context): Promise<{ user: UserRow }> {
  const viewer = declaredUser(ctx);
  await limitMail(ctx, viewer.user.email);
  if (viewer.user.emailVerifiedAt) throw userError(null, UserErrorCode.NOT_ALLOWED, `${viewer.user.email} is already verified.`);
  return audited(ctx, 'user.email.verification-request', async (tx) => {
    await sendEmailVerification(ctx, tx, viewer.user);
    return { result: { user: viewer.user }, target: { type: 'User', id: viewer.user.id } };
  });
}

const emailTaken = (email: string) =>
  userError('email', UserErrorCode.TAKEN, `email ${email} is already registered; log in or reset your password.`);

export const newUserSchema = z.object({
  email: fields.email,
  password: fields.password,
  fullName: fields.personName().default(''),
  shortName: fields.personName(50).default(''),
});

export type NewUser = Omit<z.infer<typeof newUserSchema>, 'password'> & {
  passwordHash: string;
  emailVerifiedAt?: Date;
  platformRole?: 'USER' | 'ADMIN';
  teamLimit?: number;
};

/**
 * Inserts a user (sign-up and admin creation share the rules); TAKEN on a duplicate email.
 * The password is hashed before the transaction, which must stay short.
 */
export async function insertUser(tx: Executor, user: NewUser): Promise<UserRow> {
  const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, user.email));
  if (existing) throw emailTaken(user.email);
  const [row] = await tx.insert(users).values(user).returning();
  return row;
}

/** Maps a race on the unique email index to the same TAKEN error as the pre-check. */
export async function withEmailUniqueness<T>(email: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_key')) throw emailTaken(email);
    throw error;
  }
}

export async function signUp(ctx: Context, rawInput: unknown): Promise<IssuedSession> {
  const { password, ...profile } = parseInput(newUserSchema, rawInput);
  const passwordHash = await hashPassword(password);
  return withEmailUniqueness(profile.email, () =>
    audited(ctx, 'user.create', async (tx) => {
      const user = await insertUser(tx, { ...profile, passwordHash });
      await sendEmailVerification(ctx, tx, user);
      const session = await openSession(ctx, tx, user);
      return { result: session, target: { type: 'User', id: user.id }, actor: user, data: { via: 'signUp' } };
    }),
  );
}

const invalidCredentials = () => userError(null, UserErrorCode.INVALID_CREDENTIALS, 'Wrong email or password.');

export async function logIn(ctx: Context, rawInput: { email?: unknown; password?: unknown }): Promise<IssuedSession> {
  const email = typeof rawInput.email === 'string' ? rawInput.email.trim().toLowerCase() : '';
  const password = typeof rawInput.password === 'string' ? rawInput.password : '';
  if (!email) throw userError('email', UserErrorCode.REQUIRED, 'email must not be empty.');
  if (!password) throw userError('password', UserErrorCode.REQUIRED, 'password must not be empty.');
  const throttle = ctx.app.loginThrottle;
  await throttle.attempt(email, ctx.client.ip);
  const [user] = await ctx.db.select().from(users).where(eq(users.email, email));
  // Verify against a decoy when the email is unknown, so both cases take as long.
  const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  const refuse = async (error: UserErrors) => {
    // Written whether or not the email exists, so the answer's timing does not tell either.
    await auditFailure(ctx, 'user.login', {
      target: { type: 'User', id: user?.id ?? null },
      teamId: null,
      error: error.message,
      data: { email, ipAddress: ctx.client.ip, userAgent: ctx.client.userAgent.slice(0, 300) },
    });
    return error;
  };
  if (!user || !ok) throw await refuse(invalidCredentials());
  if (user.status !== 'ACTIVE')
    throw await refuse(userError(null, UserErrorCode.NOT_ALLOWED, 'This account is suspended; contact a platform admin.'));
  await throttle.succeeded(email, ctx.client.ip);
  return audited(ctx, 'user.login', async (tx) => {
    const session = await openSession(ctx, tx, user);
    return { result: session, target: { type: 'User', id: user.id }, actor: user };
  });
}

/** Ends the current session, or every other session of the viewer (accounts API `others=True`). */
export async function logOut(ctx: Context, allOtherSessions: boolean): Promise<{ endedSessions: number; user: UserRow }> {
  const viewer = allOtherSessions ? requireFullAccess(ctx, 'end other sessions') : requireUser(ctx, 'log out');
  if (!allOtherSessions && viewer.via !== 'SESSION')
    throw userError(
      ['input', 'allOtherSessions'],
      UserErrorCode.NOT_ALLOWED,
      'This request uses an API token, not a session; revoke the token with revokeApiToken, or pass allOtherSessions: true.',
    );
  return audited(ctx, allOtherSessions ? 'user.logout.others' : 'user.logout', async (tx) => {
    const mine = and(eq(sessions.userId, viewer.user.id), isNull(sessions.endedAt));
    const which = allOtherSessions
      ? viewer.via === 'SESSION'
        ? and(mine, ne(sessions.id, viewer.credentialId))
        : mine
      : and(mine, eq(sessions.id, viewer.credentialId));
    const ended = await tx.update(sessions).set({ endedAt: new Date() }).where(which).returning({ id: sessions.id });
    return {
      result: { endedSessions: ended.length, user: viewer.user },
      target: { type: 'User', id: viewer.user.id },
      data: { endedSessions: ended.length },
    };
  });
}

/** Ends every session of a user except, optionally, one. */
async function endSessions(tx: Executor, userId: string, except?: string): Promise<void> {
  await tx
    .update(sessions)
    .set({ endedAt: new Date() })
    .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt), except ? ne(sessions.id, except) : undefined));
}

/** After a password change or reset, reset tokens still unused must not work any more. */
async function retireResetTokens(tx: Executor, userId: string): Promise<void> {
  await tx
    .update(passwordResets)
    .set({ usedAt: new Date() })
    .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)));
}

/**
 * A mailed token proves only the address it was sent to: once the account's email changes, the
 * reset and verification tokens sent before must not work, whatever address they name.
 */
export async function retireMailedTokens(tx: Executor, userId: string): Promise<void> {
  await retireResetTokens(tx, userId);
  await tx
    .update(emailVerifications)
    .set({ usedAt: new Date() })
    .where(and(eq(emailVerifications.userId, userId), isNull(emailVerifications.usedAt)));
}

/**
 * A password change or reset means the account may have been in other hands: every API token of
 * the user stops working too. Returns how many were revoked.
 */
async function revokeApiTokens(tx: Executor, userId: string): Promise<number> {
  const revoked = await tx
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return revoked.length;
}

export interface PasswordChange {
  user: UserRow;
  revokedApiTokens: number;
}

/** A session this young may change the email without the password: its holder just logged in. */
const FRESH_SESSION_MS = 10 * 60_000;

/**
 * Sensitive account changes need the current password, or a session opened in the last ten
 * minutes. An API token is not a login: with one, the password is always needed.
 */
export async function confirmIdentity(
  ctx: Context,
  viewer: UserViewer,
  currentPassword: string | undefined,
  action: string,
): Promise<void> {
  if (currentPassword) {
    const [user] = await ctx.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, viewer.user.id));
    if (!(await verifyPassword(currentPassword, user.passwordHash)))
      throw userError('currentPassword', UserErrorCode.INVALID_CREDENTIALS, 'currentPassword is wrong.');
    return;
  }
  if (viewer.via === 'SESSION') {
    const [session] = await ctx.db.select({ createdAt: sessions.createdAt }).from(sessions).where(eq(sessions.id, viewer.credentialId));
    if (session && Date.now() - session.createdAt.getTime() < FRESH_SESSION_MS) return;
  }
  throw userError(
    'currentPassword',
    UserErrorCode.REQUIRED,
    viewer.via === 'SESSION'
      ? `To ${action}, give your currentPassword (or log in again: a session opened in the last 10 minutes needs none).`
      : `To ${action} with an API token, give your currentPassword.`,
  );
}

export async function changePassword(
  ctx: Context,
  rawInput: { currentPassword?: unknown; newPassword?: unknown },
): Promise<PasswordChange> {
  const viewer = declaredUser(ctx);
  const { currentPassword, newPassword } = parseInput(
    z.object({ currentPassword: z.string().min(1, { error: 'must not be empty' }), newPassword: fields.password }),
    rawInput,
  );
  const [user] = await ctx.db.select().from(users).where(eq(users.id, viewer.user.id));
  if (!(await verifyPassword(currentPassword, user.passwordHash)))
    throw userError('currentPassword', UserErrorCode.INVALID_CREDENTIALS, 'currentPassword is wrong.');
  const passwordHash = await hashPassword(newPassword);
  return audited(ctx, 'user.password.change', async (tx) => {
    const [updated] = await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id)).returning();
    await endSessions(tx, user.id, viewer.via === 'SESSION' ? viewer.credentialId : undefined);
    await retireResetTokens(tx, user.id);
    const revokedApiTokens = await revokeApiTokens(tx, user.id);
    return { result: { user: updated, revokedApiTokens }, target: { type: 'User', id: user.id }, data: { revokedApiTokens } };
  });
}

const RESET_REQUEST = 'password-reset-request';

/**
 * Always answers the same, in the same time, so it tells nobody whether an email is registered:
 * it queues the request whatever the address, and the mail preparer below looks the address up
 * after the response.
 */
export async function requestPasswordReset(ctx: Context, rawInput: { email?: unknown }): Promise<Record<string, never>> {
  await limitMail(ctx, rawInput.email);
  const { email } = parseInput(z.object({ email: fields.email }), rawInput);
  const expiresAt = new Date(Date.now() + ctx.app.config.passwordResetTtlSeconds * 1000);
  return audited(ctx, 'user.password.reset-request', async (tx) => {
    await ctx.app.mail.enqueue(tx, {
      kind: RESET_REQUEST,
      recipient: email,
      subject: 'Password reset request',
      body: `A password reset was asked for ${email}; a token is mailed if the address is registered.`,
      payload: { expiresAt: expiresAt.toISOString() },
    });
    return { result: {}, target: { type: 'User', id: null }, data: { email } };
  });
}

/** Mails a reset token to an active account's address; unknown addresses get nothing. */
prepareMailOfKind(RESET_REQUEST, async (db, request) => {
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.email, request.recipient), eq(users.status, 'ACTIVE')));
  if (!user) return null;
  const expiresAt = new Date(String(request.payload?.expiresAt));
  const token = newSecret('passwordReset');
  // The token proves only this address; resetPassword refuses it once the account's email changes.
  await db.insert(passwordResets).values({ userId: user.id, email: user.email, tokenHash: hashSecret(token), expiresAt });
  const minutes = Math.max(1, Math.round((expiresAt.getTime() - Date.now()) / 60_000));
  return {
    kind: 'password-reset',
    recipient: user.email,
    subject: 'Reset your Graphplane password',
    body: `Someone asked to reset the password of ${user.email}. If it was you, call resetPassword with this token within ${minutes} minutes: ${token}`,
    payload: { token },
  };
});

export async function resetPassword(ctx: Context, rawInput: { token?: unknown; newPassword?: unknown }): Promise<PasswordChange> {
  const { token, newPassword } = parseInput(
    z.object({ token: z.string().min(1, { error: 'must not be empty' }).max(200), newPassword: fields.password }),
    rawInput,
  );
  const invalid = () =>
    userError('token', UserErrorCode.EXPIRED, 'token is invalid, expired or already used; request a new password reset.');
  const passwordHash = await hashPassword(newPassword);
  return audited(ctx, 'user.password.reset', async (tx) => {
    const [reset] = await tx
      .update(passwordResets)
      .set({ usedAt: new Date() })
      .where(and(eq(passwordResets.tokenHash, hashSecret(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, new Date())))
      .returning();
    if (!reset) throw invalid();
    // The token came by mail to reset.email, which it proves, and nothing else: it works only while
    // that is still the account's address (an email change also retires it).
    const [user] = await tx
      .update(users)
      .set({ passwordHash, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
      .where(and(eq(users.id, reset.userId), eq(users.email, reset.email)))
      .returning();
    if (!user) throw invalid();
    await endSessions(tx, user.id);
    await retireResetTokens(tx, user.id);
    const revokedApiTokens = await revokeApiTokens(tx, user.id);
    return { result: { user, revokedApiTokens }, target: { type: 'User', id: user.id }, actor: user, data: { revokedApiTokens } };
  });
}
