import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { DEMO_PASSWORD, openConfiguredDatabase, prepareDatabase } from './setup.js';

/** `npm run seed`: migrates the configured database and loads the demo data into it. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openConfiguredDatabase(config);
  try {
    const demo = await prepareDatabase(database, config, logger, { forceDemoData: true });
    if (!demo) return;
    console.log(`Demo data loaded into ${database.engine}. Log in with any of these (password "${DEMO_PASSWORD}"):`);
    for (const d of demo) console.log(`  ${d.email.padEnd(24)} ${d.role}`);
  } finally {
    await database.close();
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
