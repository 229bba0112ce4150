import { sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../db/client.js';
import { operations } from '../../db/schema/index.js';
import type { OperationRow, OperationType } from './types.js';

/**
 * Postgres channel announcing operation changes (queued, step done, finished): workers wake on
 * it, and progress subscriptions follow it, on every replica. Sent in the changing transaction,
 * so it arrives exactly when the change commits.
 */
export const OPERATION_CHANNEL = 'graphplane_operations';

export interface OperationNotice {
  id: string;
  status: string;
}

export async function announce(tx: Executor, operation: Pick<OperationRow, 'id' | 'status'>): Promise<void> {
  const notice: OperationNotice = { id: operation.id, status: operation.status };
  await tx.execute(sql`select pg_notify(${OPERATION_CHANNEL}, ${JSON.stringify(notice)})`);
}

export interface NewOperation {
  type: OperationType;
  teamId: string;
  /** The cluster or app worked on: its readers may read the operation; its operations run one at a time. */
  resource: { type: 'CLUSTER' | 'APP'; id: string };
  /** The object the operation is about (a cluster, a node pool, a deploy), as a Node type and id. */
  target: { type: string; id: string };
  input?: Record<string, unknown>;
  createdById: string | null;
}

/** Queues an operation in the caller's transaction: it exists, and workers hear of it, only if that commits. */
export async function enqueueOperation(tx: Tx, operation: NewOperation): Promise<OperationRow> {
  const [row] = await tx
    .insert(operations)
    .values({
      type: operation.type,
      teamId: operation.teamId,
      resourceType: operation.resource.type,
      resourceId: operation.resource.id,
      targetType: operation.target.type,
      targetId: operation.target.id,
      input: operation.input ?? {},
      createdById: operation.createdById,
    })
    .returning();
  await announce(tx, row);
  return row;
}

/** What a step produced, as the provisioner reported it. */
export type StepOutcome = Record<string, unknown> | undefined;

export interface OperationStep {
  /** Named for the provisioner (and its idempotency key, with the operation id). */
  name: string;
  /**
   * Records the step's effect, in the transaction that marks the step done, so the effect and
   * the progress commit together or not at all. What the last step returns is the result.
   * Throw OperationFailure to fail the operation with a message.
   */
  apply?: (tx: Tx, operation: OperationRow, outcome: StepOutcome) => Promise<Record<string, unknown> | void>;
}

/** How one type of operation runs: its steps and what failure and retry do to its target. */
export interface OperationHandler {
  steps: readonly OperationStep[];
  /** In the transaction that fails the operation: marks the target failed (cluster ERROR, deploy FAILED). */
  onFailure(tx: Tx, operation: OperationRow, message: string): Promise<void>;
  /** In retryOperation's transaction: checks the target still allows a retry (throws a userError if not) and puts it back in progress. */
  onRetry(tx: Tx, operation: OperationRow): Promise<void>;
}

export type OperationHandlers = Record<OperationType, OperationHandler>;
