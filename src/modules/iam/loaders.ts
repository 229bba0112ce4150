import DataLoader from 'dataloader';
import { and, asc, eq, getTableColumns, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import { anyOf, heldBy } from '../../iam/policy.js';
import { aclEntries, roles, serviceAccounts } from '../../db/schema/index.js';
import { OrderDirection, defineConnection, type ConnectionArgs } from '../../graphql/connection.js';
import type { Context, ServiceAccountRow, Subject } from '../../graphql/context.js';
import { byKeys } from '../../graphql/loaders.js';

/** Service accounts are seen by the readers of their team. */
const serviceAccountsVisible = (ctx: Context) => ctx.policy.teamsGranting(serviceAccounts.teamId);

export const serviceAccountById = (ctx: Context) =>
  new DataLoader<string, ServiceAccountRow | null>(async (ids) => {
    const rows = await ctx.db
      .select()
      .from(serviceAccounts)
      .where(and(inArray(serviceAccounts.id, ids as string[]), serviceAccountsVisible(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });

/** `Team.serviceAccounts`, by name. */
export const serviceAccountsOfTeam = defineConnection({
  name: 'Team.serviceAccounts',
  fields: getTableColumns(serviceAccounts),
  from: (s) => s.from(serviceAccounts),
  parent: serviceAccounts.teamId,
  orderColumns: { NAME: serviceAccounts.name },
  defaultOrder: { field: 'NAME', direction: OrderDirection.ASC },
  where: (ctx) => serviceAccountsVisible(ctx),
});

/** Custom roles the viewer can see: platform roles (a catalog every user may read), and the roles of teams they can read. */
export const rolesVisible = (ctx: Context): SQL | undefined =>
  ctx.viewer ? anyOf(isNull(roles.teamId), ctx.policy.teamsGranting(roles.teamId)) : sql`false`;

export const customRoleById = (ctx: Context) =>
  new DataLoader<string, typeof roles.$inferSelect | null>(async (ids) => {
    const rows = await ctx.db
      .select()
      .from(roles)
      .where(and(inArray(roles.id, ids as string[]), rolesVisible(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });

/** Custom roles matching a filter, by name. */
export function customRoles(ctx: Context, filter: { scope?: 'PLATFORM' | 'TEAM'; teamId?: string }) {
  return ctx.db
    .select()
    .from(roles)
    .where(
      and(
        rolesVisible(ctx),
        filter.scope ? eq(roles.scope, filter.scope) : undefined,
        filter.teamId ? or(isNull(roles.teamId), eq(roles.teamId, filter.teamId)) : undefined,
      ),
    )
    .orderBy(asc(roles.name));
}

/** ACL entries the viewer may see: their own, and those in teams where they hold iam:manage. */
const aclEntriesVisible = (ctx: Context): SQL | undefined =>
  ctx.viewer ? anyOf(heldBy(aclEntries, ctx.viewer.subject), ctx.policy.teamsGranting(aclEntries.teamId, 'iam:manage')) : sql`false`;

export interface AclEntryArgs {
  subject: Subject;
  filter?: { resourceType?: string | null; permission?: string | null } | null;
}

/** `aclEntries(subject:)`, newest first. */
export const aclEntriesOfSubject = defineConnection({
  name: 'aclEntries',
  fields: getTableColumns(aclEntries),
  from: (s) => s.from(aclEntries),
  orderColumns: { CREATED_AT: aclEntries.createdAt },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.DESC },
  where: (ctx, args: AclEntryArgs & ConnectionArgs) =>
    and(
      aclEntriesVisible(ctx),
      heldBy(aclEntries, args.subject),
      args.filter?.resourceType ? eq(aclEntries.resourceType, args.filter.resourceType as 'BUCKET') : undefined,
      args.filter?.permission ? eq(aclEntries.permission, args.filter.permission) : undefined,
    ),
});

export const aclEntryById = (ctx: Context) =>
  new DataLoader<string, typeof aclEntries.$inferSelect | null>(async (ids) => {
    const rows = await ctx.db
      .select()
      .from(aclEntries)
      .where(and(inArray(aclEntries.id, ids as string[]), aclEntriesVisible(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });
