import { and, count, eq } from 'drizzle-orm';
import { z } from 'zod';
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import { declaredUser } from '../../auth/viewer.js';
import type { Executor, Tx } from '../../db/client.js';
import { memberships, users } from '../../db/schema/index.js';
import type { Context, UserRow } from '../../graphql/context.js';
import { forbidden, notFound } from '../../graphql/errors.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { fields, parseInput } from '../../graphql/validation.js';
import {
  confirmIdentity,
  insertUser,
  newUserSchema,
  retireMailedTokens,
  sendEmailVerification,
  withEmailUniqueness,
} from '../accounts/service.js';
import { audited } from '../events/audit.js';
import { endPathsInAllTeams } from '../teams/departure.js';

const profileSchema = z.object({
  email: fields.email.optional(),
  fullName: fields.personName().optional(),
  shortName: fields.personName(50).optional(),
});

/**
 * Refuses to delete someone who still owns teams: ownership must move first. Locks the user row,
 * as transferTeamOwnership does before making someone an owner: a transfer to the user and their
 * deletion cannot both pass, so no team is left without an owner. Callers lock the user's teams
 * first (endPathsInAllTeams), in the order a transfer locks them (team, then user), so the two
 * wait for each other instead of deadlocking.
 */
async function ensureOwnsNoTeams(tx: Tx, userId: string, field: string[] | null, who: string): Promise<void> {
  const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
  if (!user) throw notFound('User');
  const [{ owned }] = await tx
    .select({ owned: count() })
    .from(memberships)
    .where(and(eq(memberships.userId, userId), eq(memberships.role, 'OWNER')));
  if (owned > 0)
    throw userError(
      field,
      UserErrorCode.IN_USE,
      `${who} still own${who === 'You' ? '' : 's'} ${owned} team${owned > 1 ? 's' : ''}; transfer ownership or delete ${owned > 1 ? 'them' : 'it'} first.`,
    );
}

async function ensureEmailFree(tx: Executor, email: string, userId: string): Promise<void> {
  const [other] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (other && other.id !== userId) throw userError('email', UserErrorCode.TAKEN, `email ${email} is already registered.`);
}

const viewerUpdateSchema = profileSchema.extend({ currentPassword: z.string().max(1000).optional() });

export async function updateViewer(ctx: Context, rawInput: unknown): Promise<{ user: UserRow }> {
  const viewer = declaredUser(ctx);
  const { currentPassword, ...input } = parseInput(viewerUpdateSchema, rawInput);
  const oldEmail = viewer.user.email;
  const newEmail = input.email !== undefined && input.email !== oldEmail;
  // Whoever holds the email holds the account (resets go there): moving it needs proof of identity.
  if (newEmail) await confirmIdentity(ctx, viewer, currentPassword, 'change the email');
  return withEmailUniqueness(input.email ?? '', () =>
    audited(ctx, 'user.update', async (tx) => {
      if (newEmail) await ensureEmailFree(tx, input.email!, viewer.user.id);
      const [user] = await tx
        .update(users)
        .set({ ...input, ...(newEmail ? { emailVerifiedAt: null } : {}), updatedAt: new Date() })
        .where(eq(users.id, viewer.user.id))
        .returning();
      if (newEmail) {
        await retireMailedTokens(tx, user.id);
        // A new address is unproven until its owner confirms it.
        await sendEmailVerification(ctx, tx, user);
        await ctx.app.mail.enqueue(tx, {
          kind: 'email-changed',
          recipient: oldEmail,
          subject: 'The email address of your Graphplane account changed',
          body: `The email address of your Graphplane account changed from ${oldEmail} to ${user.email}; password resets now go to the new address. If you did not do this, contact a platform admin at once.`,
          payload: { from: oldEmail, to: user.email },
        });
      }
      return { result: { user }, target: { type: 'User', id: user.id }, data: { changed: Object.keys(input) } };
    }),
  );
}

export async function deleteViewer(ctx: Context, rawInput: { password?: unknown }): Promise<{ deletedUserId: string }> {
  const viewer = declaredUser(ctx);
  const { password } = parseInput(z.object({ password: z.string().min(1, { error: 'must not be empty' }) }), rawInput);
  const [user] = await ctx.db.select().from(users).where(eq(users.id, viewer.user.id));
  if (!(await verifyPassword(password, user.passwordHash)))
    throw userError('password', UserErrorCode.INVALID_CREDENTIALS, 'password is wrong.');
  return audited(ctx, 'user.delete', async (tx) => {
    const ended = await endPathsInAllTeams(tx, user.id);
    await ensureOwnsNoTeams(tx, user.id, null, 'You');
    await tx.delete(users).where(eq(users.id, user.id));
    return {
      result: { deletedUserId: user.id },
      target: { type: 'User', id: user.id },
      actor: { id: user.id, email: user.email },
      data: { ended },
    };
  });
}

// ---- platform admin (Storj admin API, by email) ----------------------------------------------

const adminCreateSchema = newUserSchema.extend({
  platformRole: z.enum(['USER', 'ADMIN']).default('USER'),
  teamLimit: z.number().int().min(0, { error: 'must be 0 or more' }).max(10_000, { error: 'must be at most 10000' }).optional(),
});

export async function adminCreateUser(ctx: Context, rawInput: unknown): Promise<{ user: UserRow }> {
  const { password, ...profile } = parseInput(adminCreateSchema, rawInput);
  ensureMayTouchAdmins(ctx, null, profile.platformRole);
  const passwordHash = await hashPassword(password);
  return withEmailUniqueness(profile.email, () =>
    audited(ctx, 'admin.user.create', async (tx) => {
      // An admin vouches for the address of an account they create.
      const user = await insertUser(tx, { ...profile, passwordHash, emailVerifiedAt: new Date() });
      return { result: { user }, target: { type: 'User', id: user.id }, data: { email: user.email, platformRole: user.platformRole } };
    }),
  );
}

const adminUpdateSchema = profileSchema.extend({
  teamLimit: z.number().int().min(0, { error: 'must be 0 or more' }).max(10_000, { error: 'must be at most 10000' }).optional(),
  status: z.enum(['ACTIVE', 'SUSPENDED']).optional(),
  platformRole: z.enum(['USER', 'ADMIN']).optional(),
});

/**
 * Platform roles and platform admins' accounts are a platform ADMIN's business: a user manager
 * by custom binding must not make anyone (themself included) an admin, nor change an admin. Nor
 * may an admin's scoped token: the ADMIN role holds every permission, more than any scope list
 * lets the token hold, so it takes the admin's full credential (a session or an unscoped token).
 */
function ensureMayTouchAdmins(ctx: Context, target: UserRow | null, platformRole: 'USER' | 'ADMIN' | undefined): void {
  const touchesAdmins = platformRole === 'ADMIN' || target?.platformRole === 'ADMIN';
  if (!touchesAdmins) return;
  if (!ctx.policy.isPlatformAdmin())
    throw forbidden('Only platform admins may grant or take the platform ADMIN role, or change an admin’s account.');
  if (ctx.viewer?.scopes)
    throw forbidden(
      'A scoped API token cannot grant or take the platform ADMIN role, nor change an admin’s account; use a session or an unscoped token.',
    );
}

async function anyUser(ctx: Context, userId: string): Promise<UserRow> {
  const [user] = await ctx.db.select().from(users).where(eq(users.id, userId));
  if (!user) throw notFound('User');
  return user;
}

export async function adminUpdateUser(ctx: Context, userId: string, rawInput: unknown): Promise<{ user: UserRow }> {
  const input = parseInput(adminUpdateSchema, rawInput);
  const target = await anyUser(ctx, userId);
  ensureMayTouchAdmins(ctx, target, input.platformRole);
  // An admin cannot lock themself out; another admin has to do it.
  if (target.id === ctx.viewer?.user?.id && (input.status === 'SUSPENDED' || input.platformRole === 'USER'))
    throw userError(
      input.status === 'SUSPENDED' ? 'status' : 'platformRole',
      UserErrorCode.NOT_ALLOWED,
      'You cannot suspend or demote yourself.',
    );
  return withEmailUniqueness(input.email ?? '', () =>
    audited(ctx, 'admin.user.update', async (tx) => {
      if (input.email) await ensureEmailFree(tx, input.email, userId);
      // An admin vouches for an address they set.
      const [user] = await tx
        .update(users)
        .set({ ...input, ...(input.email ? { emailVerifiedAt: new Date() } : {}), updatedAt: new Date() })
        .where(eq(users.id, userId))
        .returning();
      if (input.email && input.email !== target.email) await retireMailedTokens(tx, userId);
      return { result: { user }, target: { type: 'User', id: userId }, data: { changed: input } };
    }),
  );
}

export async function adminDeleteUser(ctx: Context, userId: string): Promise<{ deletedUserId: string }> {
  const target = await anyUser(ctx, userId);
  ensureMayTouchAdmins(ctx, target, undefined);
  if (target.id === ctx.viewer?.user?.id)
    throw userError('userId', UserErrorCode.NOT_ALLOWED, 'Delete your own account with deleteViewer.');
  return audited(ctx, 'admin.user.delete', async (tx) => {
    const ended = await endPathsInAllTeams(tx, userId);
    await ensureOwnsNoTeams(tx, userId, ['input', 'userId'], target.email);
    await tx.delete(users).where(eq(users.id, userId));
    return { result: { deletedUserId: userId }, target: { type: 'User', id: userId }, data: { email: target.email, ended } };
  });
}

/** A user by email, for platform admins (the entry point's rule checks that). */
export async function userByEmail(ctx: Context, rawEmail: string): Promise<UserRow> {
  const email = rawEmail.trim().toLowerCase();
  const [user] = await ctx.db
    .select()
    .from(users)
    .where(and(eq(users.email, email), ctx.policy.usersVisible(users.id)));
  if (!user) throw notFound(`User ${email}`);
  return user;
}
