import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { and, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.js';
import { operations } from '../../db/schema/index.js';
import type { Logger } from '../../logger.js';
import { OperationFailure, type Provisioner } from './provisioner.js';
import { OPERATION_CHANNEL, announce, type OperationHandlers, type OperationNotice } from './queue.js';
import { OperationStatus, type OperationRow } from './types.js';

export interface WorkerOptions {
  /** Operations run at once. */
  concurrency: number;
  /** How long a claim lasts without a heartbeat; heartbeats come three times per lease. */
  leaseMs: number;
  /** How often an idle worker looks for work it was not told about (expired leases, missed notices). */
  pollMs?: number;
  /** Unexpected errors (not a step's reported failure) are retried this many times before the operation fails. */
  maxAttempts?: number;
  id?: string;
}

/** Another worker holds the operation now: this one's work on it is discarded. */
class LeaseLost extends Error {}
/** The worker is stopping: hand the operation back for another worker to continue. */
class Stopping extends Error {}

/**
 * Works the operations queue. Claims are `FOR UPDATE SKIP LOCKED` (workers never block each
 * other) and come with a lease renewed by heartbeat; a lease that runs out makes the operation
 * claimable again, so a crashed worker's operation resumes elsewhere from its last recorded step.
 * Every step commits its effect together with the step counter, and only while this worker still
 * holds the lease, so each step's effect and the completion are recorded exactly once.
 */
export class OperationWorker {
  readonly id: string;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private state: 'new' | 'running' | 'stopping' | 'stopped' | 'killed' = 'new';
  /** Set by a wake-up that arrives while the loop is busy, so that the loop does not then sleep through it. */
  private wakeRequested = false;
  private wake: (() => void) | null = null;
  private loop?: Promise<void>;
  private stopListening?: () => Promise<void>;

  constructor(
    private readonly database: Database,
    private readonly provisioner: Provisioner,
    private readonly handlers: OperationHandlers,
    private readonly logger: Logger,
    options: WorkerOptions,
  ) {
    this.id = options.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency;
    this.leaseMs = options.leaseMs;
    this.pollMs = options.pollMs ?? 1000;
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  async start(): Promise<void> {
    this.state = 'running';
    this.stopListening = await this.database.listen(OPERATION_CHANNEL, (payload) => {
      try {
        if ((JSON.parse(payload) as OperationNotice).status === OperationStatus.PENDING) this.poke();
      } catch {
        // Not ours to judge; the poll finds any work anyway.
      }
    });
    this.loop = this.work();
  }

  /** Stops claiming, hands running operations back at their next step boundary, and waits for that. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.poke();
    await this.loop;
    for (const { controller } of this.active.values()) controller.abort(new Stopping());
    await Promise.all([...this.active.values()].map((a) => a.done));
    await this.stopListening?.();
    this.state = 'stopped';
  }

  /**
   * Simulates a crash (tests): stops at once and never writes again, leaving its claims to expire
   * as a dead process would.
   */
  kill(): void {
    this.state = 'killed';
    this.poke();
    for (const { controller } of this.active.values()) controller.abort(new LeaseLost());
    void this.stopListening?.().catch(() => {});
  }

  /** Claims and runs one operation to its end (or until the lease is lost); false when none was claimable. */
  async runOnce(): Promise<boolean> {
    const claimed = await this.claim();
    if (!claimed) return false;
    await this.track(claimed);
    return true;
  }

  private async work(): Promise<void> {
    while (this.state === 'running') {
      this.wakeRequested = false;
      let claimed: OperationRow | null = null;
      if (this.active.size < this.concurrency) {
        try {
          claimed = await this.claim();
        } catch (error) {
          this.logger.error({ err: error, worker: this.id }, 'claiming an operation failed');
        }
      }
      if (claimed) void this.track(claimed);
      else await this.idle();
    }
  }

  private poke(): void {
    this.wakeRequested = true;
    this.wake?.();
  }

  private idle(): Promise<void> {
    if (this.wakeRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), this.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private track(operation: OperationRow): Promise<void> {
    const controller = new AbortController();
    const done = this.execute(operation, controller).finally(() => {
      this.active.delete(operation.id);
      this.poke();
    });
    this.active.set(operation.id, { controller, done });
    return done;
  }

  /** The oldest claimable operation whose resource has no earlier unfinished one, now leased to this worker. */
  private async claim(): Promise<OperationRow | null> {
    if (this.state === 'killed') return null;
    const [claimed] = await this.database.db
      .update(operations)
      .set({
        status: OperationStatus.RUNNING,
        leaseOwner: this.id,
        leaseExpiresAt: this.leaseEnd(),
        attempts: sql`${operations.attempts} + 1`,
        startedAt: sql`coalesce(${operations.startedAt}, now())`,
        updatedAt: new Date(),
      })
      .where(
        sql`${operations.id} = (
          select c.id from operations c
          where (c.status = 'PENDING' or (c.status = 'RUNNING' and c.lease_expires_at < now()))
            and not exists (
              select 1 from operations e
              where e.resource_type = c.resource_type and e.resource_id = c.resource_id
                and e.status in ('PENDING', 'RUNNING') and e.seq < c.seq)
          order by c.seq
          limit 1
          for update of c skip locked)`,
      )
      .returning();
    return claimed ?? null;
  }

  private leaseEnd() {
    return sql`now() + ${this.leaseMs}::int * interval '1 millisecond'`;
  }

  private async execute(claimed: OperationRow, controller: AbortController): Promise<void> {
    let operation = claimed;
    const heartbeat = setInterval(
      () => {
        this.renew(operation.id)
          .then((held) => held || controller.abort(new LeaseLost()))
          .catch((error) => this.logger.warn({ err: error, operationId: operation.id }, 'operation heartbeat failed'));
      },
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
    const handler = this.handlers[operation.type as keyof OperationHandlers];
    try {
      for (let index = operation.step; index < handler.steps.length; index++) {
        controller.signal.throwIfAborted();
        const step = handler.steps[index];
        const outcome = await this.provisioner.perform(
          {
            operationId: operation.id,
            type: operation.type as keyof OperationHandlers,
            step: step.name,
            resourceId: operation.resourceId,
            input: operation.input as Record<string, unknown>,
            attempt: operation.attempts,
          },
          controller.signal,
        );
        if (this.state === 'killed') return;
        operation = await this.database.db.transaction(async (tx) => {
          const current = await this.lockOwned(tx, operation.id);
          const result = await step.apply?.(tx, current, outcome);
          const last = index === handler.steps.length - 1;
          const [updated] = await tx
            .update(operations)
            .set({
              step: index + 1,
              progress: Math.round((100 * (index + 1)) / handler.steps.length),
              updatedAt: new Date(),
              ...(last
                ? { status: OperationStatus.DONE, result: result ?? {}, finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null }
                : { leaseExpiresAt: this.leaseEnd() }),
            })
            .where(eq(operations.id, operation.id))
            .returning();
          await announce(tx, updated);
          return updated;
        });
      }
    } catch (error) {
      if (this.state === 'killed' || error instanceof LeaseLost) {
        this.logger.info({ operationId: operation.id, worker: this.id }, 'operation left to the worker that holds it now');
      } else if (error instanceof Stopping) {
        await this.release(operation.id, 0);
      } else if (error instanceof OperationFailure) {
        await this.fail(operation, error.message);
      } else {
        const failures = operation.failures + 1;
        this.logger.error({ err: error, operationId: operation.id, failures }, 'operation step failed unexpectedly');
        if (failures >= this.maxAttempts)
          await this.fail(operation, `An internal error stopped this operation after ${failures} attempts; retry it with retryOperation.`);
        else await this.release(operation.id, Math.min(60_000, 1000 * 2 ** failures), failures);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** The operation, locked, if this worker still holds its lease; otherwise LeaseLost. */
  private async lockOwned(tx: Tx, operationId: string): Promise<OperationRow> {
    const [current] = await tx
      .select()
      .from(operations)
      .where(and(eq(operations.id, operationId), eq(operations.leaseOwner, this.id), eq(operations.status, OperationStatus.RUNNING)))
      .for('update');
    if (!current) throw new LeaseLost();
    return current;
  }

  private async renew(operationId: string): Promise<boolean> {
    if (this.state === 'killed') return true;
    const held = await this.database.db
      .update(operations)
      .set({ leaseExpiresAt: this.leaseEnd() })
      .where(and(eq(operations.id, operationId), eq(operations.leaseOwner, this.id), eq(operations.status, OperationStatus.RUNNING)))
      .returning({ id: operations.id });
    return held.length > 0;
  }

  private async fail(operation: OperationRow, message: string): Promise<void> {
    try {
      await this.database.db.transaction(async (tx) => {
        const current = await this.lockOwned(tx, operation.id);
        await this.handlers[current.type as keyof OperationHandlers].onFailure(tx, current, message);
        const [failed] = await tx
          .update(operations)
          .set({
            status: OperationStatus.FAILED,
            error: message,
            finishedAt: new Date(),
            leaseOwner: null,
            leaseExpiresAt: null,
            updatedAt: new Date(),
          })
          .where(eq(operations.id, operation.id))
          .returning();
        await announce(tx, failed);
      });
    } catch (error) {
      if (!(error instanceof LeaseLost))
        this.logger.error({ err: error, operationId: operation.id }, 'recording an operation failure failed');
    }
  }

  /** Hands the operation back: claimable again after `delayMs` (recording `failures` after an unexpected error). */
  private async release(operationId: string, delayMs: number, failures?: number): Promise<void> {
    try {
      await this.database.db
        .update(operations)
        .set({
          leaseOwner: null,
          leaseExpiresAt: sql`now() + ${delayMs}::int * interval '1 millisecond'`,
          ...(failures ? { failures } : {}),
        })
        .where(and(eq(operations.id, operationId), eq(operations.leaseOwner, this.id), eq(operations.status, OperationStatus.RUNNING)));
    } catch (error) {
      this.logger.warn({ err: error, operationId }, 'handing an operation back failed; its lease will expire');
    }
  }
}
