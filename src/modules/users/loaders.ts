import DataLoader from 'dataloader';
import { containsPattern } from '../../db/like.js';
import { and, eq, getTableColumns, ilike, or, type SQL } from 'drizzle-orm';
import { users } from '../../db/schema/index.js';
import { OrderDirection, defineConnection } from '../../graphql/connection.js';
import type { Context } from '../../graphql/context.js';
import { byKeys } from '../../graphql/loaders.js';
import { CONDITION, RowReader, isAnyOf, type RowOf } from '../../db/read.js';
import type { UserConnectionArgs } from './types.js';

/** What the API reads of a user: every column but the password hash, which only authentication reads. */
const { passwordHash: _hash, ...profileColumns } = getTableColumns(users);
export const userProfile = new RowReader(profileColumns);
const selectUsers = userProfile.select((s) => s.from(users).where(CONDITION));
export type UserProfile = RowOf<typeof profileColumns>;

/** Users by id, only those visible to the viewer. */
export const userById = (ctx: Context) =>
  new DataLoader<string, UserProfile | null>(async (ids) => {
    const rows = await selectUsers.run(ctx.app.database, and(isAnyOf(users.id, ids), ctx.policy.usersVisible(users.id)));
    return byKeys(ids, rows, (r) => r.id);
  });

function userFilter(args: UserConnectionArgs): SQL | undefined {
  const f = args.filter;
  if (!f) return undefined;
  const pattern = f.search ? containsPattern(f.search) : null;
  return and(
    pattern ? or(ilike(users.email, pattern), ilike(users.fullName, pattern), ilike(users.shortName, pattern)) : undefined,
    f.status ? eq(users.status, f.status) : undefined,
    f.platformRole ? eq(users.platformRole, f.platformRole) : undefined,
  );
}

/** `users`: every user, for platform admins (the entry point's rule checks that). */
export const allUsers = defineConnection({
  name: 'users',
  fields: profileColumns,
  from: (s) => s.from(users),
  orderColumns: { EMAIL: users.email, CREATED_AT: users.createdAt },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.DESC },
  where: (ctx, args: UserConnectionArgs) => and(ctx.policy.usersVisible(users.id), userFilter(args)),
});
