import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { inject } from 'vitest';
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { startServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { Mail, type MailMessage, type Mailer } from '../../src/mail/mail.js';
import { ensureAdmin } from '../../src/db/seed.js';
import { EventBus } from '../../src/modules/events/bus.js';
import { SimulatedProvisioner } from '../../src/modules/operations/provisioner.js';
import { withDatabase } from './global-setup.js';

export const ADMIN = { email: 'root@graphplane.test', password: 'root-password-1' };
export const PASSWORD = 'correct-horse-battery';

export interface GqlResult<T = any> {
  status: number;
  body: { data?: T; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
  headers: Headers;
  /** SQL statements the request issued (X-SQL-Statements). */
  statements: number;
}

/** Captures delivered mail, so tests can read invitation and reset tokens as a recipient would. */
export class MailCatcher implements Mailer {
  readonly messages: MailMessage[] = [];
  async deliver(message: MailMessage): Promise<void> {
    this.messages.push(message);
  }
  /** The token in the newest message to `recipient` of `kind`. */
  tokenFor(recipient: string, kind: string): string {
    const message = [...this.messages].reverse().find((m) => m.recipient === recipient && m.kind === kind);
    if (!message) throw new Error(`no ${kind} mail to ${recipient}`);
    return (message.payload as { token: string }).token;
  }
}

export interface TestServer {
  url: string;
  database: Database;
  config: Config;
  mail: Mail;
  mailbox: MailCatcher;
  /** The simulated cloud behind operations (no step delay unless configured); can be told to fail steps. */
  provisioner: SimulatedProvisioner;
  /** The lines the server logged (at the configured level; tests run silent unless they set logLevel). */
  logs: string[];
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string, headers?: Record<string, string>): Promise<GqlResult<T>>;
  /** Signs a new user up over HTTP and (unless told not to) verifies their email from the mail; returns their token and global id. */
  signUp(email: string, fullName?: string, options?: { verify: boolean }): Promise<{ token: string; id: string; email: string }>;
  /** Logs the configured platform admin in over HTTP. */
  adminToken(): Promise<string>;
  /** Waits until mail enqueued so far has been delivered. */
  deliveredMail(): Promise<MailCatcher>;
  close(): Promise<void>;
}

let counter = 0;

/** A server on a fresh database (copied from the migrated template), on a free port. */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const pgTemplate = inject('postgresTemplate');
  let database: Database;
  let dropDatabase = async () => {};
  if (pgTemplate) {
    const name = `${pgTemplate.prefix}_${process.pid}_${++counter}`;
    const admin = postgres(pgTemplate.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}" template "${pgTemplate.database}"`);
    const url = withDatabase(pgTemplate.url, name);
    database = await openDatabase({ kind: 'postgres', url, poolMax: 10 });
    dropDatabase = async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  } else {
    const file = inject('pgliteTemplate');
    database = await openDatabase({ kind: 'pglite', loadDataDir: new Blob([readFileSync(file)]) });
  }
  const config: Config = {
    ...loadConfig({}),
    port: 0,
    host: '127.0.0.1',
    logLevel: (process.env.TEST_LOG_LEVEL as Config['logLevel']) ?? 'silent',
    exposeSqlStats: true,
    provisionerStepMs: 0,
    // Test files invite the same people to many teams from one address; account-security.test.ts tests the mail limits with its own.
    mailMaxPerRecipient: 10_000,
    mailMaxPerSender: 10_000,
    admin: ADMIN,
    ...overrides,
  };
  await ensureAdmin(database.db, config.admin!);
  const logs: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  const mailbox = new MailCatcher();
  const mail = new Mail(database, mailbox, logger);
  const provisioner = new SimulatedProvisioner(config.provisionerStepMs);
  const server = await startServer({
    config,
    database,
    logger,
    mail,
    loginThrottle: new LoginThrottle(config.loginMaxFailures, config.loginFailureWindowSeconds),
    events: new EventBus(database, logger),
    provisioner,
  });

  const gql: TestServer['gql'] = async (query, variables, token, headers = {}) => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as GqlResult['body'];
    return { status: response.status, body, headers: response.headers, statements: Number(response.headers.get('x-sql-statements') ?? -1) };
  };

  const signUp: TestServer['signUp'] = async (email, fullName = '', options = { verify: true }) => {
    const r = await gql(
      `mutation($input: SignUpInput!) { signUp(input: $input) { token user { id email } userErrors { field code message } } }`,
      { input: { email, password: PASSWORD, fullName } },
    );
    const p = r.body.data?.signUp;
    if (!p?.token) throw new Error(`signUp ${email} failed: ${JSON.stringify(r.body)}`);
    if (options.verify) {
      // As the user would: open the verification mail and send its token back.
      await mail.idle();
      const token = mailbox.tokenFor(p.user.email, 'email-verification');
      const v = await gql(`mutation($input: VerifyEmailInput!) { verifyEmail(input: $input) { userErrors { message } } }`, {
        input: { token },
      });
      if (v.body.data?.verifyEmail?.userErrors?.length !== 0) throw new Error(`verifyEmail ${email} failed: ${JSON.stringify(v.body)}`);
    }
    return { token: p.token, id: p.user.id, email: p.user.email };
  };

  const adminToken = async () => {
    const r = await gql(`mutation($input: LogInInput!) { logIn(input: $input) { token userErrors { message } } }`, { input: ADMIN });
    if (!r.body.data?.logIn?.token) throw new Error(`admin logIn failed: ${JSON.stringify(r.body)}`);
    return r.body.data.logIn.token as string;
  };

  return {
    url: server.url,
    database,
    config,
    mail,
    mailbox,
    provisioner,
    logs,
    gql,
    signUp,
    adminToken,
    deliveredMail: async () => {
      await mail.idle();
      return mailbox;
    },
    close: async () => {
      await server.stop();
      await mail.idle();
      await database.close();
      await dropDatabase();
    },
  };
}
