import { and, count, eq, isNotNull, or } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import {
  aclEntries,
  appCnames,
  appEnvVars,
  appGrants,
  appProcesses,
  appUnits,
  apps,
  deploys,
  operations,
  plans,
  platforms,
  pools,
  roleBindings,
  teams,
} from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import { grantableAt } from '../../iam/permissions.js';
import { fields, parseInput } from '../../graphql/validation.js';
import { audited } from '../events/audit.js';
import { clusterForPlacement } from '../clusters/service.js';
import { lockTeam } from '../teams/team-service.js';
import { declaredApp, lockApp } from './access.js';
import type { AppRow } from './types.js';

const appName = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, {
    error: 'must start with a lowercase letter and have at most 40 lowercase letters, digits or hyphens',
  });
const catalogName = z.string().trim().min(1, { error: 'must not be empty' }).max(100, { error: 'must be at most 100 characters' });

const createSchema = z.object({
  name: appName,
  platform: catalogName,
  plan: catalogName.optional(),
  pool: catalogName.optional(),
  description: fields.personName(1000).default(''),
  tags: fields.tags.default([]),
});

const updateSchema = z.object({
  description: fields.personName(1000).optional(),
  plan: catalogName.optional(),
  pool: catalogName.optional(),
  tags: fields.tags.optional(),
  locked: z.boolean().optional(),
});

const nameTaken = (name: string) =>
  userError('name', UserErrorCode.TAKEN, `name "${name}" is already used by another app; app names are unique on the platform.`);

/** Resolves catalog names (and defaults) or refuses naming the field. */
async function catalogChoice(tx: Executor, input: { platform?: string; plan?: string; pool?: string }, useDefaults: boolean) {
  const platform = input.platform
    ? await tx.select({ name: platforms.name }).from(platforms).where(eq(platforms.name, input.platform))
    : [];
  const catalog = async (table: typeof plans | typeof pools, name: string | undefined) =>
    name || useDefaults
      ? tx
          .select({ name: table.name })
          .from(table)
          .where(name ? eq(table.name, name) : eq(table.isDefault, true))
      : [];
  const plan = await catalog(plans, input.plan);
  const pool = await catalog(pools, input.pool);
  const unknown = (field: string, value: string, query: string) =>
    userError(field, UserErrorCode.INVALID, `${field} "${value}" does not exist; see the ${query} query for the choices.`);
  if (input.platform && !platform.length) throw unknown('platform', input.platform, 'platforms');
  if (input.plan && !plan.length) throw unknown('plan', input.plan, 'plans');
  if (input.pool && !pool.length) throw unknown('pool', input.pool, 'pools');
  return { plan: plan[0]?.name, pool: pool[0]?.name };
}

/** Refuses when the team already owns as many apps as its limit (the caller holds the team lock). */
async function ensureAppSeat(tx: Executor, team: typeof teams.$inferSelect): Promise<void> {
  const [{ owned }] = await tx.select({ owned: count() }).from(apps).where(eq(apps.teamId, team.id));
  if (owned >= team.maxApps)
    throw userError(
      ['input', 'teamId'],
      UserErrorCode.LIMIT_REACHED,
      `Team ${team.slug} already has ${owned} apps, its limit; delete one or ask an admin to raise it.`,
    );
}

export async function createApp(ctx: Context, teamId: string, rawInput: unknown, clusterId?: string): Promise<{ app: AppRow }> {
  const input = parseInput(createSchema, rawInput);
  try {
    return await audited(ctx, 'app.create', async (tx) => {
      const team = await lockTeam(tx, teamId);
      await ensureAppSeat(tx, team);
      const catalog = await catalogChoice(tx, input, true);
      const [clash] = await tx.select({ id: apps.id }).from(apps).where(eq(apps.name, input.name));
      if (clash) throw nameTaken(input.name);
      if (clusterId) await clusterForPlacement(ctx, tx, clusterId, teamId);
      const [app] = await tx
        .insert(apps)
        .values({ ...input, teamId, plan: catalog.plan!, pool: catalog.pool!, clusterId: clusterId ?? null })
        .returning();
      return { result: { app }, target: { type: 'App', id: app.id }, teamId, data: { name: app.name, platform: app.platform } };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'apps_name_key')) throw nameTaken(input.name);
    throw error;
  }
}

/**
 * Changes an app. `newTeamId` moves it to another team; `clusterId` places it on a cluster of
 * its (new) team, or with null takes it off its cluster; undefined leaves either as it is.
 */
export async function updateApp(
  ctx: Context,
  appId: string,
  rawInput: unknown,
  newTeamId: string | undefined,
  clusterId: string | null | undefined,
): Promise<{ app: AppRow }> {
  const input = parseInput(updateSchema, rawInput);
  const app = await declaredApp(ctx, appId);
  // Moving takes app:delete on the app and app:create in the new team (declared): it ends the old
  // team's hold on the app, so nothing less than deleting it may do that.
  const moving = newTeamId !== undefined && newTeamId !== app.teamId;
  return audited(ctx, 'app.update', async (tx) => {
    await catalogChoice(tx, input, false);
    if (moving) await ensureAppSeat(tx, await lockTeam(tx, newTeamId));
    const current = await lockApp(tx, appId, { mustBeUnlocked: moving });
    if (clusterId) await clusterForPlacement(ctx, tx, clusterId, moving ? newTeamId : current.teamId);
    else if (moving && clusterId === undefined && current.clusterId)
      throw userError(
        'clusterId',
        UserErrorCode.INVALID,
        'clusterId is required when moving an app that is placed on a cluster: give a cluster of the new team, or null.',
      );
    const [updated] = await tx
      .update(apps)
      .set({ ...input, ...(moving ? { teamId: newTeamId } : {}), ...(clusterId !== undefined ? { clusterId } : {}), updatedAt: new Date() })
      .where(eq(apps.id, appId))
      .returning();
    if (moving) await moveAppRows(tx, appId, newTeamId);
    return {
      result: { app: updated },
      target: { type: 'App', id: appId },
      teamId: updated.teamId,
      // Both teams' audit trails record a move: the old team must see where its app went.
      alsoTeamIds: moving ? [current.teamId] : [],
      data: { changed: [...Object.keys(input), ...(moving ? ['team'] : []), ...(clusterId !== undefined ? ['cluster'] : [])] },
    };
  });
}

/** Everything an app has carries its team (the tenant key): a move takes it all along. */
async function moveAppRows(tx: Executor, appId: string, teamId: string): Promise<void> {
  await tx.delete(appGrants).where(and(eq(appGrants.appId, appId), eq(appGrants.granteeTeamId, teamId)));
  for (const table of [appProcesses, appUnits, appEnvVars, appCnames, deploys, appGrants])
    await tx.update(table).set({ teamId }).where(eq(table.appId, appId));
  // What belongs to the old team ends with the move: bindings of its custom roles (it could widen
  // the role, and so what their holders may do to the moved app), and the grants of its service
  // accounts (they hold only their own team's resources, and the old team controls their tokens).
  await tx
    .delete(roleBindings)
    .where(
      and(
        eq(roleBindings.scope, 'APP'),
        eq(roleBindings.resourceId, appId),
        or(isNotNull(roleBindings.roleId), isNotNull(roleBindings.serviceAccountId)),
      ),
    );
  await tx
    .delete(aclEntries)
    .where(and(eq(aclEntries.resourceType, 'APP'), eq(aclEntries.resourceId, appId), isNotNull(aclEntries.serviceAccountId)));
  await tx
    .update(roleBindings)
    .set({ teamId })
    .where(and(eq(roleBindings.scope, 'APP'), eq(roleBindings.resourceId, appId)));
  await tx
    .update(aclEntries)
    .set({ teamId })
    .where(and(eq(aclEntries.resourceType, 'APP'), eq(aclEntries.resourceId, appId)));
  await tx
    .update(operations)
    .set({ teamId })
    .where(and(eq(operations.resourceType, 'APP'), eq(operations.resourceId, appId)));
}

export async function deleteApp(ctx: Context, appId: string): Promise<{ app: AppRow }> {
  const app = await declaredApp(ctx, appId);
  return audited(ctx, 'app.delete', async (tx) => {
    await lockApp(tx, appId, { mustBeUnlocked: true });
    await tx.delete(apps).where(eq(apps.id, appId));
    return { result: { app }, target: { type: 'App', id: appId }, teamId: app.teamId, data: { name: app.name } };
  });
}

/**
 * tsuru grant: members of the granted team hold their role's app permissions on the app, within
 * what the granter holds on it now (a grant passes on nothing its granter could not do). Granting
 * takes app:grant in the owner team (declared): held on the app alone, it would let its holder
 * open the app to a team of their own.
 */
export async function grantAppAccess(ctx: Context, appId: string, teamId: string): Promise<{ app: AppRow }> {
  const app = await declaredApp(ctx, appId);
  // Read before the transaction: on PGlite's one connection a read outside it would wait forever.
  const carried = [...(await ctx.policy.resourcePermissions('APP', app))].filter((p) => grantableAt(p, 'APP')).sort();
  return audited(ctx, 'app.grant', async (tx) => {
    await ctx.policy.stillHolds(tx);
    const [team] = await tx.select({ id: teams.id, slug: teams.slug }).from(teams).where(eq(teams.id, teamId));
    if (!team) throw notFound('Team');
    if (team.id === app.teamId)
      throw userError('teamId', UserErrorCode.ALREADY_EXISTS, `Team ${team.slug} owns the app and has access already.`);
    const [inserted] = await tx
      .insert(appGrants)
      .values({
        teamId: app.teamId,
        appId,
        granteeTeamId: teamId,
        permissions: carried,
        grantedById: ctx.viewer!.user?.id ?? null,
      })
      .onConflictDoNothing()
      .returning();
    if (!inserted) throw userError('teamId', UserErrorCode.ALREADY_EXISTS, `Team ${team.slug} already has access to ${app.name}.`);
    return { result: { app }, target: { type: 'App', id: appId }, teamId: app.teamId, data: { team: team.slug } };
  });
}

export async function revokeAppAccess(ctx: Context, appId: string, teamId: string): Promise<{ app: AppRow }> {
  const app = await declaredApp(ctx, appId);
  if (teamId === app.teamId)
    throw userError('teamId', UserErrorCode.NOT_ALLOWED, 'The owner team’s access cannot be revoked; move the app with updateApp instead.');
  return audited(ctx, 'app.revoke', async (tx) => {
    const removed = await tx
      .delete(appGrants)
      .where(and(eq(appGrants.appId, appId), eq(appGrants.granteeTeamId, teamId)))
      .returning({ id: appGrants.id });
    if (!removed.length) throw userError('teamId', UserErrorCode.INVALID, `That team has no access grant on ${app.name}.`);
    return { result: { app }, target: { type: 'App', id: appId }, teamId: app.teamId, data: { teamId } };
  });
}

/** tsuru app quota (platform admins): the most units the app may have; null for no limit. */
export async function setAppQuota(ctx: Context, appId: string, rawLimit: unknown): Promise<{ app: AppRow }> {
  const { unitLimit } = parseInput(
    z.object({ unitLimit: z.number().int().min(0, { error: 'must be 0 or more, or null for no limit' }).max(10_000).nullable() }),
    { unitLimit: rawLimit },
  );
  const app = await declaredApp(ctx, appId);
  return audited(ctx, 'app.quota', async (tx) => {
    await lockApp(tx, appId, { mustBeUnlocked: false });
    const [{ used }] = await tx.select({ used: count() }).from(appUnits).where(eq(appUnits.appId, appId));
    if (unitLimit !== null && unitLimit < used)
      throw userError(
        'unitLimit',
        UserErrorCode.INVALID,
        `unitLimit ${unitLimit} is below the ${used} units the app has; remove units first.`,
      );
    const [updated] = await tx.update(apps).set({ unitLimit }).where(eq(apps.id, appId)).returning();
    return { result: { app: updated }, target: { type: 'App', id: appId }, teamId: app.teamId, data: { unitLimit } };
  });
}
