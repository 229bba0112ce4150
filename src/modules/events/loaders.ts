import DataLoader from 'dataloader';
import { prefixPattern } from '../../db/like.js';
import { and, eq, getTableColumns, gte, inArray, like, lt, or, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { auditEvents, users } from '../../db/schema/index.js';
import { OrderDirection, defineConnection } from '../../graphql/connection.js';
import type { Context } from '../../graphql/context.js';
import { anyOf } from '../../iam/policy.js';
import { badInput } from '../../graphql/errors.js';
import { byKeys } from '../../graphql/loaders.js';
import { parseGlobalId } from '../../graphql/relay.js';
import type { AuditEventConnectionArgs } from './types.js';

/** Events about a user's account (their logins, failed ones included, and admins' changes to it). */
const targetsUser = (userId: AnyColumn | string) => and(eq(auditEvents.targetType, 'User'), eq(auditEvents.targetId, userId));

/** Events the viewer may read: their own actions, what was done to their account, and the events of teams granting audit:read. */
export function eventsVisible(ctx: Context): SQL | undefined {
  if (!ctx.viewer) return sql`false`;
  return anyOf(
    eq(auditEvents.actorId, ctx.viewer.subject.id),
    targetsUser(ctx.viewer.subject.id),
    ctx.policy.teamsGranting(auditEvents.teamId, 'audit:read'),
  );
}

export const eventById = (ctx: Context) =>
  new DataLoader<string, typeof auditEvents.$inferSelect | null>(async (ids) => {
    const rows = await ctx.db
      .select()
      .from(auditEvents)
      .where(and(inArray(auditEvents.id, ids as string[]), eventsVisible(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });

function eventFilter(args: AuditEventConnectionArgs): SQL | undefined {
  const f = args.filter;
  if (!f) return undefined;
  const target = f.targetId ? parseGlobalId(f.targetId) : null;
  if (f.targetId && !target) throw badInput('filter.targetId', 'expected the global ID of an object.');
  if (f.kinds && f.kinds.length > 20) throw badInput('filter.kinds', 'give at most 20 kinds.');
  return and(
    f.kinds?.length
      ? or(...f.kinds.map((k) => (k.endsWith('.*') ? like(auditEvents.kind, prefixPattern(k.slice(0, -1))) : eq(auditEvents.kind, k))))
      : undefined,
    target ? and(eq(auditEvents.targetType, target.type), eq(auditEvents.targetId, target.id)) : undefined,
    f.since ? gte(auditEvents.createdAt, f.since) : undefined,
    f.until ? lt(auditEvents.createdAt, f.until) : undefined,
  );
}

const common = {
  fields: getTableColumns(auditEvents),
  from: (s: any) => s.from(auditEvents),
  // Recording order: the same as created_at, and exact for events of the same millisecond.
  orderColumns: { CREATED_AT: auditEvents.seq },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.DESC },
};

/** `Team.events` (the field requires audit:read). */
export const eventsOfTeam = defineConnection({
  ...common,
  name: 'Team.events',
  parent: auditEvents.teamId,
  where: (_ctx, args: AuditEventConnectionArgs) => eventFilter(args),
});

/** `User.events`: what the user did and what was done to their account, in what the viewer may see. */
export const eventsOfUser = defineConnection({
  ...common,
  name: 'User.events',
  // One row per event: the user is its actor, its target, or both.
  from: (s: any) => s.from(auditEvents).innerJoin(users, or(eq(auditEvents.actorId, users.id), targetsUser(users.id))),
  parent: users.id,
  where: (ctx, args: AuditEventConnectionArgs) => and(eventsVisible(ctx), eventFilter(args)),
});

/**
 * `App.events`, `Cluster.events`: what was done to one object, which was readable to be reached.
 * Reading the object is not reading its team's audit trail: that still takes audit:read (or being the actor).
 */
const eventsAbout = (targetType: string) =>
  defineConnection({
    ...common,
    name: `${targetType}.events`,
    parent: auditEvents.targetId,
    where: (ctx, args: AuditEventConnectionArgs) => and(eq(auditEvents.targetType, targetType), eventsVisible(ctx), eventFilter(args)),
  });

export const eventsOfApp = eventsAbout('App');
export const eventsOfCluster = eventsAbout('Cluster');
