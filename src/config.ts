import { z } from 'zod';

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], {
    error: 'must be one of true, false, 1, 0, yes, no, on, off',
  })
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const seconds = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number of seconds' })
    .int('must be a whole number of seconds')
    .positive('must be a positive number of seconds')
    .default(fallback);

const atLeastOne = (fallback: number) =>
  z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be 1 or more').default(fallback);

const schema = z
  .object({
    PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535, 'must be a port number (0-65535)').default(4000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100, 'must be between 1 and 100').default(10),
    PGLITE_DIR: z.string().min(1).default('./.data/pglite'),
    DEMO_DATA: flag.optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SESSION_TTL_SECONDS: seconds(30 * 24 * 3600),
    INVITATION_TTL_SECONDS: seconds(7 * 24 * 3600),
    PASSWORD_RESET_TTL_SECONDS: seconds(3600),
    EMAIL_VERIFICATION_TTL_SECONDS: seconds(3 * 24 * 3600),
    LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
    LOGIN_FAILURE_WINDOW_SECONDS: seconds(15 * 60),
    MAIL_MAX_PER_RECIPIENT: atLeastOne(10),
    MAIL_MAX_PER_SENDER: atLeastOne(100),
    MAIL_RATE_WINDOW_SECONDS: seconds(3600),
    ADMIN_EMAIL: z.email('must be an email address').optional(),
    ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
    EXPOSE_SQL_STATS: flag.default(false),
    GRAPHQL_JIT: flag.default(true),
    MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(50).default(12),
    MAX_QUERY_NODES: z.coerce.number().int().min(100).default(100_000),
    MAX_QUERY_FIELDS: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(50, 'must be at least 50')
      .default(500),
    NODE_ENV: z.string().optional(),
    INTROSPECTION: flag.default(true),
    PROVISIONER_STEP_MS: z.coerce
      .number({ error: 'must be a whole number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(0, 'must be 0 or more milliseconds')
      .max(600_000, 'must be at most 600000 (ten minutes)')
      .default(1000),
    OPERATION_WORKERS: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(0, 'must be 0 (no worker in this process) or more')
      .max(64, 'must be at most 64')
      .default(4),
    OPERATION_LEASE_SECONDS: seconds(30),
  })
  .refine((c) => !c.ADMIN_EMAIL === !c.ADMIN_PASSWORD, {
    message: 'ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
    path: ['ADMIN_PASSWORD'],
  });

export type RawConfig = z.infer<typeof schema>;

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  databasePoolMax: number;
  pgliteDir: string;
  /** undefined: decide at start (on for an empty embedded database). */
  demoData?: boolean;
  logLevel: RawConfig['LOG_LEVEL'];
  sessionTtlSeconds: number;
  invitationTtlSeconds: number;
  passwordResetTtlSeconds: number;
  emailVerificationTtlSeconds: number;
  loginMaxFailures: number;
  loginFailureWindowSeconds: number;
  /** Mails (resets, verifications, invitations) one address may be sent per window. */
  mailMaxPerRecipient: number;
  /** Mails one account (or, anonymous, one network address) may ask for per window. */
  mailMaxPerSender: number;
  mailRateWindowSeconds: number;
  admin?: { email: string; password: string };
  /** Adds an X-SQL-Statements response header (tests and benchmarks). */
  exposeSqlStats: boolean;
  /** Queries and mutations run compiled by graphql-jit (false: graphql-js's interpreter). */
  graphqlJit: boolean;
  maxQueryDepth: number;
  /** Queries that could return more objects (connections' page sizes multiplied) are refused before they run. */
  maxQueryNodes: number;
  /** Queries selecting more fields (each alias, each field reached through a fragment) are refused before they run. */
  maxQueryFields: number;
  /** NODE_ENV=production: validation errors do not suggest field or type names ("Did you mean …?"). */
  production: boolean;
  /** Whether __schema and __type may be queried (the playground needs it). */
  introspection: boolean;
  /** How long each step of the simulated provisioner takes. */
  provisionerStepMs: number;
  /** Operations this process runs at once; 0 runs none here (another replica works the queue). */
  operationWorkers: number;
  /** A worker that stops renewing its claim for this long is presumed dead; another resumes its operation. */
  operationLeaseSeconds: number;
}

export class ConfigError extends Error {}

/** Reads and validates the environment; the error names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    databasePoolMax: c.DATABASE_POOL_MAX,
    pgliteDir: c.PGLITE_DIR,
    demoData: c.DEMO_DATA,
    logLevel: c.LOG_LEVEL,
    sessionTtlSeconds: c.SESSION_TTL_SECONDS,
    invitationTtlSeconds: c.INVITATION_TTL_SECONDS,
    passwordResetTtlSeconds: c.PASSWORD_RESET_TTL_SECONDS,
    emailVerificationTtlSeconds: c.EMAIL_VERIFICATION_TTL_SECONDS,
    loginMaxFailures: c.LOGIN_MAX_FAILURES,
    loginFailureWindowSeconds: c.LOGIN_FAILURE_WINDOW_SECONDS,
    mailMaxPerRecipient: c.MAIL_MAX_PER_RECIPIENT,
    mailMaxPerSender: c.MAIL_MAX_PER_SENDER,
    mailRateWindowSeconds: c.MAIL_RATE_WINDOW_SECONDS,
    admin: c.ADMIN_EMAIL && c.ADMIN_PASSWORD ? { email: c.ADMIN_EMAIL, password: c.ADMIN_PASSWORD } : undefined,
    exposeSqlStats: c.EXPOSE_SQL_STATS,
    graphqlJit: c.GRAPHQL_JIT,
    maxQueryDepth: c.MAX_QUERY_DEPTH,
    maxQueryNodes: c.MAX_QUERY_NODES,
    maxQueryFields: c.MAX_QUERY_FIELDS,
    production: c.NODE_ENV === 'production',
    introspection: c.INTROSPECTION,
    provisionerStepMs: c.PROVISIONER_STEP_MS,
    operationWorkers: c.OPERATION_WORKERS,
    operationLeaseSeconds: c.OPERATION_LEASE_SECONDS,
  };
}
