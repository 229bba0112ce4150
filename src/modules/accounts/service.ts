import { and, eq, gt, isNull, ne } from 'drizzle-orm';
import { z } from 'zod';
import { decoyHash, hashPassword, verifyPassword } from '../../auth/passwords.js';
import { hashSecret, newSecret } from '../../auth/secrets.js';
import { requireFullAccess, requireUser } from '../../auth/viewer.js';
import type { Executor } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { emailVerifications, passwordResets, sessions, users } from '../../db/schema/index.js';
import type { Context, UserRow } from '../../graphql/context.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { fields, parseInput } from '../../graphql/validation.js';
import { audited } from '../events/audit.js';

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
  const viewer = requireFullAccess(ctx, 'request email verification');
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
  await throttle.check(email, ctx.client.ip);
  const [user] = await ctx.db.select().from(users).where(eq(users.email, email));
  // Verify against a decoy when the email is unknown, so both cases take as long.
  const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  if (!user || !ok) {
    await throttle.failed(email, ctx.client.ip);
    throw invalidCredentials();
  }
  if (user.status !== 'ACTIVE') throw userError(null, UserErrorCode.NOT_ALLOWED, 'This account is suspended; contact a platform admin.');
  await throttle.succeeded(email);
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

export async function changePassword(
  ctx: Context,
  rawInput: { currentPassword?: unknown; newPassword?: unknown },
): Promise<{ user: UserRow }> {
  const viewer = requireFullAccess(ctx, 'change the password');
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
    return { result: { user: updated }, target: { type: 'User', id: user.id } };
  });
}

/** Always answers the same, so it tells nobody whether an email is registered. */
export async function requestPasswordReset(ctx: Context, rawInput: { email?: unknown }): Promise<Record<string, never>> {
  const { email } = parseInput(z.object({ email: fields.email }), rawInput);
  const [user] = await ctx.db
    .select()
    .from(users)
    .where(and(eq(users.email, email), eq(users.status, 'ACTIVE')));
  if (!user) return {};
  const token = newSecret('passwordReset');
  await audited(ctx, 'user.password.reset-request', async (tx) => {
    await tx.insert(passwordResets).values({
      userId: user.id,
      tokenHash: hashSecret(token),
      expiresAt: new Date(Date.now() + ctx.app.config.passwordResetTtlSeconds * 1000),
    });
    await ctx.app.mail.enqueue(tx, {
      kind: 'password-reset',
      recipient: user.email,
      subject: 'Reset your Graphplane password',
      body: `Someone asked to reset the password of ${user.email}. If it was you, call resetPassword with this token within ${Math.round(ctx.app.config.passwordResetTtlSeconds / 60)} minutes: ${token}`,
      payload: { token },
    });
    return { result: {}, target: { type: 'User', id: user.id }, actor: user };
  });
  return {};
}

export async function resetPassword(ctx: Context, rawInput: { token?: unknown; newPassword?: unknown }): Promise<{ user: UserRow }> {
  const { token, newPassword } = parseInput(
    z.object({ token: z.string().min(1, { error: 'must not be empty' }).max(200), newPassword: fields.password }),
    rawInput,
  );
  const passwordHash = await hashPassword(newPassword);
  return audited(ctx, 'user.password.reset', async (tx) => {
    const [reset] = await tx
      .update(passwordResets)
      .set({ usedAt: new Date() })
      .where(and(eq(passwordResets.tokenHash, hashSecret(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, new Date())))
      .returning();
    if (!reset) throw userError('token', UserErrorCode.EXPIRED, 'token is invalid, expired or already used; request a new password reset.');
    // The reset token came by mail, which proves the address too.
    const [current] = await tx.select().from(users).where(eq(users.id, reset.userId));
    const [user] = await tx
      .update(users)
      .set({ passwordHash, emailVerifiedAt: current.emailVerifiedAt ?? new Date() })
      .where(eq(users.id, reset.userId))
      .returning();
    await endSessions(tx, user.id);
    await retireResetTokens(tx, user.id);
    return { result: { user }, target: { type: 'User', id: user.id }, actor: user };
  });
}
