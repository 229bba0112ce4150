import DataLoader from 'dataloader';
import { and, eq, getTableColumns, inArray } from 'drizzle-orm';
import { apiTokens, sessions } from '../../db/schema/index.js';
import { OrderDirection, defineConnection } from '../../graphql/connection.js';
import type { Context } from '../../graphql/context.js';
import { byKeys } from '../../graphql/loaders.js';

/** The viewer's own tokens by id (nobody else's). */
export const ownApiTokenById = (ctx: Context) =>
  new DataLoader<string, typeof apiTokens.$inferSelect | null>(async (ids) => {
    if (!ctx.viewer) return ids.map(() => null);
    const rows = await ctx.db
      .select()
      .from(apiTokens)
      .where(
        and(
          inArray(apiTokens.id, ids as string[]),
          ctx.viewer.user ? eq(apiTokens.userId, ctx.viewer.user.id) : eq(apiTokens.serviceAccountId, ctx.viewer.subject.id),
        ),
      );
    return byKeys(ids, rows, (r) => r.id);
  });

export const ownSessionById = (ctx: Context) =>
  new DataLoader<string, typeof sessions.$inferSelect | null>(async (ids) => {
    if (!ctx.viewer?.user) return ids.map(() => null);
    const rows = await ctx.db
      .select()
      .from(sessions)
      .where(and(inArray(sessions.id, ids as string[]), eq(sessions.userId, ctx.viewer.user.id)));
    return byKeys(ids, rows, (r) => r.id);
  });

/** `User.apiTokens`, newest first (the field's rule limits it to the user themself and admins). */
export const apiTokensOfUser = defineConnection({
  name: 'User.apiTokens',
  fields: getTableColumns(apiTokens),
  from: (s) => s.from(apiTokens),
  parent: apiTokens.userId,
  orderColumns: { CREATED_AT: apiTokens.createdAt },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.DESC },
});

export const sessionsOfUser = defineConnection({
  name: 'User.sessions',
  fields: getTableColumns(sessions),
  from: (s) => s.from(sessions),
  parent: sessions.userId,
  orderColumns: { CREATED_AT: sessions.createdAt },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.DESC },
});
