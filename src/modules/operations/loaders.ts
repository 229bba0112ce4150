import DataLoader from 'dataloader';
import { and, desc, eq, getTableColumns, inArray, type SQL } from 'drizzle-orm';
import { operations } from '../../db/schema/index.js';
import { OrderDirection, defineConnection } from '../../graphql/connection.js';
import type { Context } from '../../graphql/context.js';
import { badInput } from '../../graphql/errors.js';
import { byKeys } from '../../graphql/loaders.js';
import { idOf } from '../../graphql/relay.js';
import { anyOf } from '../../iam/policy.js';
import type { OperationConnectionArgs, OperationRow } from './types.js';

/** SQL condition: the viewer can read the cluster or app the operation works on. */
export function operationsReadable(ctx: Context): SQL | undefined {
  const on = (kind: 'CLUSTER' | 'APP', permission: 'cluster:read' | 'app:read') =>
    and(eq(operations.resourceType, kind), ctx.policy.resourcesGranting(kind, operations.resourceId, operations.teamId, permission));
  return anyOf(on('CLUSTER', 'cluster:read'), on('APP', 'app:read'));
}

export const operationById = (ctx: Context) =>
  new DataLoader<string, OperationRow | null>(async (ids) => {
    const rows = await ctx.db
      .select()
      .from(operations)
      .where(and(inArray(operations.id, ids as string[]), operationsReadable(ctx)));
    return byKeys(ids, rows, (r) => r.id);
  });

/** The newest operation about each target (a deploy's operation). */
export const latestOperationByTarget = (ctx: Context) =>
  new DataLoader<string, OperationRow | null>(async (targetIds) => {
    const rows = await ctx.db
      .selectDistinctOn([operations.targetId])
      .from(operations)
      .where(and(inArray(operations.targetId, targetIds as string[]), operationsReadable(ctx)))
      .orderBy(operations.targetId, desc(operations.seq));
    return byKeys(targetIds, rows, (r) => r.targetId);
  });

const MAX_STATUSES = 4;

function operationFilter(args: OperationConnectionArgs): SQL | undefined {
  const f = args.filter;
  if (!f) return undefined;
  if (f.status && (f.status.length === 0 || f.status.length > MAX_STATUSES))
    throw badInput('filter.status', 'give 1 to 4 statuses, or leave it out for all.');
  return and(
    f.teamId ? eq(operations.teamId, idOf('Team', f.teamId, 'filter.teamId')) : undefined,
    f.status ? inArray(operations.status, f.status) : undefined,
    f.clusterId
      ? and(eq(operations.resourceType, 'CLUSTER'), eq(operations.resourceId, idOf('Cluster', f.clusterId, 'filter.clusterId')))
      : undefined,
    f.type ? eq(operations.type, f.type) : undefined,
  );
}

const operationList = {
  fields: getTableColumns(operations),
  from: (s: any) => s.from(operations),
  // Queue order, which is creation order, exact within a millisecond.
  orderColumns: { CREATED_AT: operations.seq },
  defaultOrder: { field: 'CREATED_AT', direction: OrderDirection.DESC },
};

/** `operations`: every operation the viewer can read, newest first. */
export const allOperations = defineConnection({
  ...operationList,
  name: 'operations',
  where: (ctx: Context, args: OperationConnectionArgs) => and(operationsReadable(ctx), operationFilter(args)),
});

/** `Cluster.operations`, newest first. */
export const operationsOfCluster = defineConnection({
  ...operationList,
  name: 'Cluster.operations',
  parent: operations.resourceId,
  where: (ctx: Context, args: OperationConnectionArgs) =>
    and(eq(operations.resourceType, 'CLUSTER'), operationsReadable(ctx), operationFilter(args)),
});
