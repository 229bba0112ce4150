import DataLoader from 'dataloader';
import { and, asc, eq, getTableColumns, gte, ilike, inArray, lte } from 'drizzle-orm';
import { containsPattern } from '../../db/like.js';
import { bucketUsage, buckets } from '../../db/schema/index.js';
import { OrderDirection, defineConnection } from '../../graphql/connection.js';
import type { Context } from '../../graphql/context.js';
import { inReadableTeamWithSlug } from '../teams/loaders.js';
import { byKeys, groupByKeys } from '../../graphql/loaders.js';
import type { BucketConnectionArgs, BucketRow, BucketUsageRow } from './types.js';

/** SQL condition: the viewer can read the bucket (through its team, a binding or an ACL). */
export const bucketsReadable = (ctx: Context) => ctx.policy.resourcesGranting('BUCKET', buckets.id, buckets.teamId, 'bucket:read');

export const bucketById = (ctx: Context) =>
  new DataLoader<string, BucketRow | null>(async (ids) => {
    const rows = await ctx.db
      .select()
      .from(buckets)
      .where(and(inArray(buckets.id, ids as string[]), bucketsReadable(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });

/** Daily usage of buckets over a range of days; the key carries the range so equal ranges batch together. */
export const usageByBucket = (ctx: Context, _key: string, range: { from: string; to: string }) =>
  new DataLoader<string, BucketUsageRow[]>(async (bucketIds) => {
    const rows = await ctx.db
      .select()
      .from(bucketUsage)
      .where(and(inArray(bucketUsage.bucketId, bucketIds as string[]), gte(bucketUsage.day, range.from), lte(bucketUsage.day, range.to)))
      .orderBy(asc(bucketUsage.day));
    return groupByKeys(bucketIds, rows, (r) => r.bucketId!);
  });

function bucketFilter(ctx: Context, args: BucketConnectionArgs) {
  const f = args.filter;
  if (!f) return undefined;
  return and(
    f.name ? ilike(buckets.name, containsPattern(f.name)) : undefined,
    f.teamSlug ? inReadableTeamWithSlug(ctx, buckets.teamId, f.teamSlug) : undefined,
    f.region ? eq(buckets.region, f.region) : undefined,
    f.visibility ? eq(buckets.visibility, f.visibility) : undefined,
  );
}

const bucketList = {
  fields: getTableColumns(buckets),
  from: (s: any) => s.from(buckets),
  orderColumns: { NAME: buckets.name, CREATED_AT: buckets.createdAt },
  defaultOrder: { field: 'NAME', direction: OrderDirection.ASC },
  where: (ctx: Context, args: BucketConnectionArgs) => and(bucketsReadable(ctx), bucketFilter(ctx, args)),
};

/** `buckets`: every bucket the viewer can read. */
export const allBuckets = defineConnection({ ...bucketList, name: 'buckets' });

/** `Team.buckets`. */
export const bucketsOfTeam = defineConnection({ ...bucketList, name: 'Team.buckets', parent: buckets.teamId });
