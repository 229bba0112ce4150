import { and, eq, gt } from 'drizzle-orm';
import { operations } from '../../db/schema/index.js';
import type { Context } from '../../graphql/context.js';
import { notFound } from '../../graphql/errors.js';
import { UserErrorCode, userError } from '../../graphql/user-errors.js';
import type { Permission } from '../../iam/permissions.js';
import { audited } from '../events/audit.js';
import { operationHandlers } from './handlers.js';
import { announce } from './queue.js';
import { OperationStatus, type OperationRow, type OperationType } from './types.js';

/** Running an operation again takes the permission that starting it took (retryOperation declares it). */
export const PERMISSION_TO_RUN: Record<OperationType, Permission> = {
  CLUSTER_CREATE: 'cluster:create',
  CLUSTER_UPDATE: 'cluster:update',
  CLUSTER_DELETE: 'cluster:delete',
  NODE_POOL_CREATE: 'cluster:scale',
  NODE_POOL_SCALE: 'cluster:scale',
  NODE_POOL_DELETE: 'cluster:scale',
  APP_DEPLOY: 'app:deploy',
  APP_ROLLBACK: 'app:deploy',
};

/** Queues a failed operation again; it resumes at the step that failed. */
export async function retryOperation(ctx: Context, operationId: string): Promise<{ operation: OperationRow }> {
  return audited(ctx, 'operation.retry', async (tx) => {
    const [operation] = await tx.select().from(operations).where(eq(operations.id, operationId)).for('update');
    if (!operation) throw notFound('Operation');
    const type = operation.type as OperationType;
    if (operation.status !== OperationStatus.FAILED)
      throw userError(
        ['input', 'operationId'],
        UserErrorCode.INVALID_STATE,
        `The operation is ${operation.status}; only a FAILED one can be retried.`,
      );
    const [later] = await tx
      .select({ id: operations.id })
      .from(operations)
      .where(
        and(
          eq(operations.resourceType, operation.resourceType),
          eq(operations.resourceId, operation.resourceId),
          gt(operations.seq, operation.seq),
        ),
      )
      .limit(1);
    if (later)
      throw userError(
        ['input', 'operationId'],
        UserErrorCode.INVALID_STATE,
        'A later operation on the same resource exists; only the latest one can be retried (start a new one instead).',
      );
    await operationHandlers[type].onRetry(tx, operation);
    const [queued] = await tx
      .update(operations)
      .set({
        status: OperationStatus.PENDING,
        error: null,
        finishedAt: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        // A retried operation gets its full allowance of unexpected errors again.
        failures: 0,
        updatedAt: new Date(),
      })
      .where(eq(operations.id, operationId))
      .returning();
    await announce(tx, queued);
    return {
      result: { operation: queued },
      target: { type: 'Operation', id: operationId },
      teamId: operation.teamId,
      data: { type, step: operation.step, failedWith: operation.error },
    };
  });
}
