import 'reflect-metadata';
import { LoginThrottle } from './auth/login-throttle.js';
import { ConfigError, loadConfig } from './config.js';
import { DEMO_PASSWORD, openConfiguredDatabase, prepareDatabase } from './db/setup.js';
import { startServer } from './http/server.js';
import { createLogger } from './logger.js';
import { LogMailer, Mail } from './mail/mail.js';
import { EventBus } from './modules/events/bus.js';
import { SimulatedProvisioner } from './modules/operations/provisioner.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const database = await openConfiguredDatabase(config);
  logger.info({ engine: database.engine, location: config.databaseUrl ? 'DATABASE_URL' : config.pgliteDir }, 'database opened');
  const demo = await prepareDatabase(database, config, logger);

  const server = await startServer({
    config,
    database,
    logger,
    mail: new Mail(database, new LogMailer(logger), logger),
    loginThrottle: new LoginThrottle(config.loginMaxFailures, config.loginFailureWindowSeconds),
    events: new EventBus(database, logger),
    provisioner: new SimulatedProvisioner(config.provisionerStepMs),
  });

  const lines = [`Graphplane is running.`, `  GraphQL endpoint and playground: ${server.url}`];
  if (demo) {
    lines.push(`  Demo data loaded. Log in with any of these (password "${DEMO_PASSWORD}"):`);
    for (const d of demo) lines.push(`    ${d.email.padEnd(24)} ${d.role}`);
  }
  console.log(lines.join('\n'));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      await server.stop();
      logger.info('HTTP server closed; closing the database');
      await database.close();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  console.error('Graphplane failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
