import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { openDatabase, type Database } from './client.js';
import { migrateDatabase } from './migrate.js';
import { DEMO_PASSWORD, ensureAdmin, hasDemoData, isEmpty, seedCatalogs, seedDemoData, type DemoCredential } from './seed.js';

/** Opens the configured database: PGlite in a folder by default, Postgres when DATABASE_URL is set. */
export function openConfiguredDatabase(config: Config): Promise<Database> {
  return config.databaseUrl
    ? openDatabase({ kind: 'postgres', url: config.databaseUrl, poolMax: config.databasePoolMax })
    : openDatabase({ kind: 'pglite', dataDir: config.pgliteDir });
}

/**
 * Brings a database to a usable state: migrations, catalogs, the configured admin, and demo data
 * when asked (by default: for an empty embedded database).
 */
export async function prepareDatabase(
  database: Database,
  config: Config,
  logger: Logger,
  options: { forceDemoData?: boolean } = {},
): Promise<DemoCredential[] | null> {
  await migrateDatabase(database, config.databaseUrl);
  await seedCatalogs(database.db);
  const empty = await isEmpty(database.db);
  if (config.admin) {
    const outcome = await ensureAdmin(database.db, config.admin);
    logger.info({ email: config.admin.email, outcome }, 'platform admin from ADMIN_EMAIL');
  }
  const wantDemo = options.forceDemoData ?? config.demoData ?? (database.engine === 'pglite' && empty);
  if (!wantDemo) return null;
  if (await hasDemoData(database.db)) {
    logger.info('demo data is already loaded');
    return null;
  }
  return seedDemoData(database.db);
}

export { DEMO_PASSWORD };
