import { and, count, eq } from 'drizzle-orm';
import { z } from 'zod';
import { declaredUser } from '../../auth/viewer.js';
import type { Tx } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { memberships, teams, users } from '../../db/schema/index.js';
import type { Context, UserRow } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { fields, parseInput } from '../../graphql/validation.js';
import { audited } from '../events/audit.js';
import { teamById } from './loaders.js';
import { teamUsage } from './usage.js';
import type { TeamRow } from './types.js';

export const slugRule = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, { error: 'must be 2–63 lowercase letters, digits or hyphens, starting with a letter or digit' });

const createSchema = z.object({
  slug: slugRule,
  name: fields.requiredText(100),
  description: fields.personName(1000).default(''),
  tags: fields.tags.default([]),
});

const updateSchema = z.object({
  slug: slugRule.optional(),
  name: fields.requiredText(100).optional(),
  description: fields.personName(1000).optional(),
  tags: fields.tags.optional(),
});

const slugTaken = (slug: string) => userError('slug', UserErrorCode.TAKEN, `slug "${slug}" is already taken; choose another.`);

/** A team the viewer can read, or NOT_FOUND. */
export async function readableTeam(ctx: Context, teamId: string): Promise<TeamRow> {
  const team = await ctx.loaders.get(teamById).load(teamId);
  if (!team) throw notFound('Team');
  return team;
}

/** Locks the team row so that limit checks and owner changes are serialized per team. */
export async function lockTeam(tx: Tx, teamId: string): Promise<TeamRow> {
  const [team] = await tx.select().from(teams).where(eq(teams.id, teamId)).for('update');
  if (!team) throw notFound('Team');
  return team;
}

/**
 * Locks a user who is to own one more team and refuses (the error `refuse` makes) when they own
 * their teamLimit already; undefined when the user does not exist (any more). Everything that
 * changes what a user owns takes this lock (creating a team, receiving one, deleting the account),
 * so the limit holds and a deleted account owns nothing, under concurrency too.
 */
export async function lockTeamOwner(tx: Tx, userId: string, refuse: (owned: number) => Error): Promise<UserRow | undefined> {
  const [owner] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
  if (!owner) return undefined;
  const [{ owned }] = await tx
    .select({ owned: count() })
    .from(memberships)
    .where(and(eq(memberships.userId, owner.id), eq(memberships.role, 'OWNER')));
  if (owned >= owner.teamLimit) throw refuse(owned);
  return owner;
}

export async function createTeam(ctx: Context, rawInput: unknown): Promise<{ team: TeamRow }> {
  // No permission covers creating a team (it belongs to nobody yet), so a narrowed token may not (declared).
  const viewer = declaredUser(ctx);
  const input = parseInput(createSchema, rawInput);
  try {
    return await audited(ctx, 'team.create', async (tx) => {
      const owner = (await lockTeamOwner(tx, viewer.user.id, (owned) =>
        userError(null, UserErrorCode.LIMIT_REACHED, `You already own ${owned} teams, your limit; delete one or ask an admin to raise it.`),
      ))!;
      const [existing] = await tx.select({ id: teams.id }).from(teams).where(eq(teams.slug, input.slug));
      if (existing) throw slugTaken(input.slug);
      const [team] = await tx.insert(teams).values(input).returning();
      await tx.insert(memberships).values({ teamId: team.id, userId: owner.id, role: 'OWNER' });
      return { result: { team }, target: { type: 'Team', id: team.id }, teamId: team.id, data: { slug: team.slug } };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'teams_slug_key')) throw slugTaken(input.slug);
    throw error;
  }
}

export async function updateTeam(ctx: Context, teamId: string, rawInput: unknown): Promise<{ team: TeamRow }> {
  const input = parseInput(updateSchema, rawInput);
  try {
    return await audited(ctx, 'team.update', async (tx) => {
      if (input.slug) {
        const [existing] = await tx.select({ id: teams.id }).from(teams).where(eq(teams.slug, input.slug));
        if (existing && existing.id !== teamId) throw slugTaken(input.slug);
      }
      // Setting updatedAt also keeps the statement valid when the input changes nothing.
      const [team] = await tx
        .update(teams)
        .set({ ...input, updatedAt: new Date() })
        .where(eq(teams.id, teamId))
        .returning();
      return { result: { team }, target: { type: 'Team', id: teamId }, teamId, data: { changed: Object.keys(input) } };
    });
  } catch (error) {
    if (input.slug && isUniqueViolation(error, 'teams_slug_key')) throw slugTaken(input.slug);
    throw error;
  }
}

/** Deletes a team; refused while it owns resources or has bucket usage this month (Storj's guard). */
export async function deleteTeam(ctx: Context, teamId: string): Promise<{ deletedTeamId: string; team: TeamRow }> {
  // Teams are people's: a service account holding team:delete cannot delete its own team (declared).
  const team = await readableTeam(ctx, teamId);
  return audited(ctx, 'team.delete', async (tx) => {
    await lockTeam(tx, teamId);
    const [usage] = await teamUsage(tx, [teamId]);
    const owned = (['apps', 'clusters', 'buckets'] as const)
      .filter((k) => usage[k] > 0)
      .map((k) => `${usage[k]} ${usage[k] === 1 ? k.slice(0, -1) : k}`);
    if (owned.length)
      throw userError(
        ['input', 'teamId'],
        UserErrorCode.IN_USE,
        `The team still owns ${owned.join(', ')}; delete ${owned.length === 1 && owned[0].startsWith('1 ') ? 'it' : 'them'} first.`,
      );
    if (usage.hasUsageThisMonth)
      throw userError(
        ['input', 'teamId'],
        UserErrorCode.IN_USE,
        'The team has bucket usage this month; it can be deleted once the month is over and its usage is billed.',
      );
    await tx.delete(teams).where(eq(teams.id, teamId));
    return { result: { deletedTeamId: teamId, team }, target: { type: 'Team', id: teamId }, teamId: null, data: { slug: team.slug } };
  });
}
