import DataLoader from 'dataloader';
import { and, getTableColumns, inArray } from 'drizzle-orm';
import { serviceAccounts } from '../../db/schema/index.js';
import { OrderDirection, defineConnection } from '../../graphql/connection.js';
import type { Context, ServiceAccountRow } from '../../graphql/context.js';
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
