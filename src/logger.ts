import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Properties by which database drivers attach a statement's values (or rows, which hold them)
 * to an error: drizzle's `params`, postgres.js's `parameters`/`args`, PGlite's `params` and
 * `queryOptions`, and Postgres's `detail`/`where` ("Failing row contains (…)", "Key (…)=(…)").
 * Those values are user data and secrets (env var values, tokens): they never reach the log.
 */
const VALUE_CARRIERS = new Set(['params', 'parameters', 'args', 'types', 'queryOptions', 'detail', 'where']);

interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
  [key: string]: unknown;
}

/**
 * An error as logged: its type, message, stack frames and safe properties, and its cause the same
 * way. Drizzle writes the parameters into its message ("Failed query: …\nparams: …"), so a
 * failed query is logged by its SQL text alone, which holds only placeholders.
 */
export function serializeError(error: unknown, depth = 0): SerializedError | unknown {
  if (!(error instanceof Error)) return error;
  const record = error as Error & Record<string, unknown>;
  const drizzleMessage = typeof record.query === 'string' && error.message.startsWith(`Failed query: ${record.query}\nparams:`);
  const message = drizzleMessage ? `Failed query: ${record.query}` : error.message;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const type = error.constructor?.name ?? 'Error';
  const serialized: SerializedError = { type, message, stack: [`${type}: ${message}`, ...frames].join('\n') };
  for (const [key, value] of Object.entries(record))
    if (!VALUE_CARRIERS.has(key) && key !== 'cause' && key !== 'message' && key !== 'stack') serialized[key] = value;
  if (error.cause !== undefined && depth < 5) serialized.cause = serializeError(error.cause, depth + 1) as SerializedError;
  return serialized;
}

/** `destination` defaults to stdout; tests pass one that keeps the lines. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, serializers: { err: serializeError } };
  return destination ? pino(options, destination) : pino(options);
}
