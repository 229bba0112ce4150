import type { Config } from '../config.js';
import type { Database, Db } from '../db/client.js';
import type { StatementScope } from '../db/statements.js';
import type { Viewer } from '../auth/subject.js';
import type { Authentication } from '../auth/authenticate.js';
import { Policy } from '../iam/policy.js';
import type { Logger } from '../logger.js';
import type { Mail } from '../mail/mail.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import { LoaderRegistry } from './loaders.js';
import type { Provisioner } from '../modules/operations/provisioner.js';
import type { EventBus } from '../modules/events/bus.js';

export type { ServiceAccountRow, Subject, UserRow, Viewer } from '../auth/subject.js';

/** Process-wide services a request uses. */
export interface AppServices {
  config: Config;
  database: Database;
  logger: Logger;
  mail: Mail;
  loginThrottle: LoginThrottle;
  /** The cloud behind long-running operations (simulated by default). */
  provisioner: Provisioner;
  /** Committed team events, for subscriptions. */
  events: EventBus;
}

export class Context {
  readonly db: Db;
  readonly loaders: LoaderRegistry;
  readonly policy: Policy;
  readonly viewer: Viewer | null;
  /** Why the presented token was refused, when it was. */
  readonly authFailure: string | null;

  constructor(
    readonly app: AppServices,
    readonly requestId: string,
    auth: Authentication,
    readonly client: { ip: string; userAgent: string },
    /** Counts the request's SQL statements. */
    readonly statementScope: StatementScope = { count: 0 },
    /**
     * For long-lived operations (subscriptions): a fresh context from the same credentials, so a
     * revoked token, a suspended user or a lost membership takes effect on the next event.
     */
    readonly renew?: () => Promise<Context>,
  ) {
    this.db = app.database.db;
    this.viewer = auth.viewer;
    this.authFailure = auth.failure;
    this.loaders = new LoaderRegistry(this);
    this.policy = new Policy(this.db, auth.viewer, auth.grants);
  }
}
