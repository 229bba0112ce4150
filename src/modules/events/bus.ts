import { createPubSub } from '@graphql-yoga/subscription';
import type { Database } from '../../db/client.js';
import type { Logger } from '../../logger.js';

/** Postgres channel on which committed team events are announced. */
export const EVENT_CHANNEL = 'graphplane_team_events';

type Topics = Record<`team:${string}`, [eventId: string]>;

/**
 * Team events for subscriptions. Mutations NOTIFY in their transaction, so an event is announced
 * exactly when it commits, to every replica; each replica LISTENs once and fans out in process.
 */
export class EventBus {
  private readonly pubSub = createPubSub<Topics>();
  private stopListening?: () => Promise<void>;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.stopListening = await this.database.listen(EVENT_CHANNEL, (payload) => {
      try {
        const { teamId, eventId } = JSON.parse(payload) as { teamId: string; eventId: string };
        this.pubSub.publish(`team:${teamId}`, eventId);
      } catch (error) {
        this.logger.warn({ err: error, payload }, 'ignoring a malformed team event notification');
      }
    });
  }

  /** The ids of the team's events as they are committed. */
  teamEventIds(teamId: string): AsyncIterable<string> {
    return this.pubSub.subscribe(`team:${teamId}`);
  }

  async stop(): Promise<void> {
    await this.stopListening?.();
  }
}
