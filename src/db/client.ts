import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { Logger as DrizzleLogger } from 'drizzle-orm/logger';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.js';
import { countStatement } from './statements.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the database or an open transaction: what data functions take. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  engine: 'pglite' | 'postgres';
  /** Runs a raw statement; used for health checks and migrations. */
  ping(): Promise<void>;
  /**
   * Runs a read built by drizzle (`.toSQL()`) as a prepared statement and returns its rows as
   * arrays of driver values (timestamps as text, as drizzle's own reads get them): the hot
   * loaders read thousands of rows per request and decode them with a `RowReader`.
   */
  values(query: { sql: string; params: unknown[] }): Promise<unknown[][]>;
  /** LISTENs on a channel (NOTIFY fans out across every replica on the database); returns the way to stop. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /** The PGlite instance, when embedded (tests dump and load data folders with it). */
  pglite?: PGlite;
}

/** Timestamps and dates as text, as drizzle's PGlite session reads them, so columns decode alike on both engines. */
const TEXT_TIMESTAMPS = Object.fromEntries(
  [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE].map((type) => [type, (value: string) => value]),
);

const statementCounter: DrizzleLogger = { logQuery: () => countStatement() };

export type DatabaseOptions = { kind: 'postgres'; url: string; poolMax: number } | { kind: 'pglite'; dataDir?: string; loadDataDir?: Blob };

/**
 * The client drizzle is given: every statement it sends (in transactions too) is a named prepared
 * statement, cached by postgres.js per connection, so Postgres parses and plans a statement text
 * once per connection instead of on every request (drizzle asks postgres.js for unnamed ones
 * unless a query is `.prepare()`d by name). Planning was most of the cost of authentication's
 * statement. A statement built with `inArray` has a text per list length (the hot reads use
 * `isAnyOf`, one array parameter); connections are recycled (postgres.js `max_lifetime`), which
 * bounds the cache.
 */
function namedStatements(client: postgres.Sql): postgres.Sql {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'unsafe')
        return (query: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, params as never[], { ...options, prepare: true });
      if (property === 'begin' || property === 'savepoint')
        return (...args: unknown[]) => {
          const body = args.pop() as (sql: postgres.Sql) => unknown;
          return (Reflect.get(target, property) as (...a: unknown[]) => unknown).call(target, ...args, (sql: postgres.Sql) =>
            body(namedStatements(sql)),
          );
        };
      return Reflect.get(target, property, receiver);
    },
  });
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.kind === 'postgres') {
    const client = postgres(options.url, {
      max: options.poolMax,
      onnotice: () => {},
      connection: { application_name: 'graphplane' },
    });
    const db = drizzlePostgres(namedStatements(client), { schema, logger: statementCounter }) as unknown as Db;
    return {
      db,
      engine: 'postgres',
      ping: async () => {
        await client`select 1`;
      },
      values: (query) => {
        countStatement();
        // postgres.js names and caches the statement per connection: parsed and planned once.
        return client.unsafe(query.sql, query.params as never[], { prepare: true }).values() as unknown as Promise<unknown[][]>;
      },
      listen: async (channel, onPayload) => {
        const { unlisten } = await client.listen(channel, onPayload);
        return unlisten;
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const pglite = new PGlite({ dataDir: options.dataDir, loadDataDir: options.loadDataDir });
  await pglite.waitReady;
  const db = drizzlePglite(pglite, { schema, logger: statementCounter }) as unknown as Db;
  return {
    db,
    engine: 'pglite',
    pglite,
    ping: async () => {
      await pglite.query('select 1');
    },
    values: async (query) => {
      countStatement();
      return (await pglite.query<unknown[]>(query.sql, query.params, { rowMode: 'array', parsers: TEXT_TIMESTAMPS })).rows;
    },
    listen: async (channel, onPayload) => {
      const unlisten = await pglite.listen(channel, onPayload);
      return () => unlisten();
    },
    close: () => pglite.close(),
  };
}
