import DataLoader from 'dataloader';
import { inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { apps, bucketUsage, buckets, clusters, memberships, teams } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { byKeys } from '../../graphql/loaders.js';

export interface TeamUsageRow {
  teamId: string;
  apps: number;
  clusters: number;
  buckets: number;
  members: number;
  storedBytes: bigint;
  objectCount: bigint;
  egressBytesThisMonth: bigint;
  /** Any bucket usage recorded this month (Storj's "usage exists" check). */
  hasUsageThisMonth: boolean;
}

/** The first day of the current month (UTC), as the `day` column stores it. */
export function monthStart(now = new Date()): string {
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

/** What teams own and have used this month, in one statement for any number of teams. */
export async function teamUsage(db: Executor, teamIds: string[]): Promise<TeamUsageRow[]> {
  const since = monthStart();
  // Spelled out: drizzle leaves columns in a select list unqualified, and in these correlated
  // subqueries a bare "id" would mean the inner table's.
  const teamId = sql.raw('"teams"."id"');
  const perTeam = (table: typeof apps | typeof clusters | typeof buckets | typeof memberships) =>
    sql<number>`(select count(*) from ${table} where ${table.teamId} = ${teamId})`.mapWith(Number);
  return db
    .select({
      teamId: teams.id,
      apps: perTeam(apps),
      clusters: perTeam(clusters),
      buckets: perTeam(buckets),
      members: perTeam(memberships),
      storedBytes:
        sql<bigint>`(select coalesce(sum(${buckets.storedBytes}), 0) from ${buckets} where ${buckets.teamId} = ${teamId})`.mapWith(BigInt),
      objectCount:
        sql<bigint>`(select coalesce(sum(${buckets.objectCount}), 0) from ${buckets} where ${buckets.teamId} = ${teamId})`.mapWith(BigInt),
      egressBytesThisMonth:
        sql<bigint>`(select coalesce(sum(${bucketUsage.egressBytes}), 0) from ${bucketUsage} where ${bucketUsage.teamId} = ${teamId} and ${bucketUsage.day} >= ${since})`.mapWith(
          BigInt,
        ),
      hasUsageThisMonth: sql<boolean>`exists (select 1 from ${bucketUsage} where ${bucketUsage.teamId} = ${teamId} and ${bucketUsage.day} >= ${since})`,
    })
    .from(teams)
    .where(inArray(teams.id, teamIds));
}

export const usageByTeam = (ctx: Context) =>
  new DataLoader<string, TeamUsageRow | null>(async (teamIds) =>
    byKeys(teamIds, await teamUsage(ctx.db, teamIds as string[]), (r) => r.teamId),
  );
