import DataLoader from 'dataloader';
import { and, eq, getTableColumns, inArray, isNotNull } from 'drizzle-orm';
import { anyOf } from '../../iam/policy.js';
import { apiTokens, sessions } from '../../db/schema/index.js';
import { OrderDirection, defineConnection } from '../../graphql/connection.js';
import type { Context } from '../../graphql/context.js';
import { byKeys } from '../../graphql/loaders.js';

/**
 * Tokens by id that the viewer manages: their own, and those of service accounts in teams where
 * they hold iam:manage (nobody else's).
 */
export const manageableApiTokenById = (ctx: Context) =>
  new DataLoader<string, typeof apiTokens.$inferSelect | null>(async (ids) => {
    if (!ctx.viewer) return ids.map(() => null);
    const own = ctx.viewer.user ? eq(apiTokens.userId, ctx.viewer.user.id) : eq(apiTokens.serviceAccountId, ctx.viewer.subject.id);
    const rows = await ctx.db
      .select()
      .from(apiTokens)
      .where(
        and(
          inArray(apiTokens.id, ids as string[]),
          anyOf(own, and(isNotNull(apiTokens.serviceAccountId), ctx.policy.teamsGranting(apiTokens.teamId, 'iam:manage'))),
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
const tokenList = {
  fields: getTableColumns(apiTokens),
  from: (s: any) => s.from(apiTokens),
  orderColumns: { CREATED_AT: apiTokens.createdAt },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.DESC },
};

export const apiTokensOfUser = defineConnection({ ...tokenList, name: 'User.apiTokens', parent: apiTokens.userId });

/** `ServiceAccount.apiTokens` (the field checks iam:manage in the account's team). */
export const apiTokensOfServiceAccount = defineConnection({
  ...tokenList,
  name: 'ServiceAccount.apiTokens',
  parent: apiTokens.serviceAccountId,
});

export const sessionsOfUser = defineConnection({
  name: 'User.sessions',
  fields: getTableColumns(sessions),
  from: (s) => s.from(sessions),
  parent: sessions.userId,
  orderColumns: { CREATED_AT: sessions.createdAt },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.DESC },
});
