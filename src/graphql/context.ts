import type { Config } from '../config.js';
import type { Database, Db } from '../db/client.js';
import type { StatementScope } from '../db/statements.js';
import type { serviceAccounts, users } from '../db/schema/index.js';
import type { Permission } from '../iam/permissions.js';
import { Policy } from '../iam/policy.js';
import type { Logger } from '../logger.js';
import type { Mail } from '../mail/mail.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import { LoaderRegistry } from './loaders.js';
import type { Provisioner } from '../modules/operations/provisioner.js';
import type { EventBus } from '../modules/events/bus.js';

export type UserRow = typeof users.$inferSelect;
export type ServiceAccountRow = typeof serviceAccounts.$inferSelect;

/** Who holds grants: a user, or a team's service account (Numspot subjects). */
export interface Subject {
  type: 'USER' | 'SERVICE_ACCOUNT';
  id: string;
}

/** Who is calling, as established from the bearer token. */
export interface Viewer {
  subject: Subject;
  /** The calling user; null when a service account calls (with one of its API tokens). */
  user: UserRow | null;
  /** The calling service account; null for users. */
  serviceAccount: ServiceAccountRow | null;
  via: 'SESSION' | 'API_TOKEN';
  /** The session's or API token's id. */
  credentialId: string;
  /** An API token's scopes narrow every permission to this set; null: not narrowed. */
  scopes: ReadonlySet<Permission> | null;
}

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

  constructor(
    readonly app: AppServices,
    readonly requestId: string,
    readonly viewer: Viewer | null,
    /** Why the presented token was refused, when it was. */
    readonly authFailure: string | null,
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
    this.loaders = new LoaderRegistry(this);
    this.policy = new Policy(this);
  }
}
