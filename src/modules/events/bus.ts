import { createPubSub } from '@graphql-yoga/subscription';
import type { Database } from '../../db/client.js';
import type { Logger } from '../../logger.js';
import { OPERATION_CHANNEL, type OperationNotice } from '../operations/queue.js';

/** Postgres channel on which committed team events are announced. */
export const EVENT_CHANNEL = 'graphplane_team_events';

type Topics = Record<`team:${string}`, [eventId: string]> & Record<`operation:${string}`, [status: string]>;

/**
 * Team events and operation changes for subscriptions. Mutations NOTIFY in their transaction, so an event is announced
 * exactly when it commits, to every replica; each replica LISTENs once and fans out in process.
 */
export class EventBus {
  private readonly pubSub = createPubSub<Topics>();
  private readonly stopListening: (() => Promise<void>)[] = [];

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.stopListening.push(
      await this.relay<{ teamId: string; eventId: string }>(EVENT_CHANNEL, (n) => this.pubSub.publish(`team:${n.teamId}`, n.eventId)),
      await this.relay<OperationNotice>(OPERATION_CHANNEL, (n) => this.pubSub.publish(`operation:${n.id}`, n.status)),
    );
  }

  private relay<T>(channel: string, publish: (notice: T) => void): Promise<() => Promise<void>> {
    return this.database.listen(channel, (payload) => {
      try {
        publish(JSON.parse(payload) as T);
      } catch (error) {
        this.logger.warn({ err: error, channel, payload }, 'ignoring a malformed notification');
      }
    });
  }

  /** The ids of the team's events as they are committed. */
  teamEventIds(teamId: string): AsyncIterable<string> {
    return this.pubSub.subscribe(`team:${teamId}`);
  }

  /** A notice (the new status) each time the operation changes. */
  operationChanges(operationId: string): AsyncIterable<string> {
    return this.pubSub.subscribe(`operation:${operationId}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.stopListening.splice(0).map((stop) => stop()));
  }
}
