import 'reflect-metadata';
import { ConfigurationError, loadConfig } from '@strata/platform/config';
import { provideDatabase } from '@strata/platform/database';
import { createLogger } from '@strata/platform/http';
import { createMonolithApp } from './app/create-monolith-app';

const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig(process.env);
  const logger = createLogger(config).child({ context: 'Main' });
  const database = await provideDatabase(config, (message) => logger.info(message));
  const app = await createMonolithApp({ config, databaseUrl: database.url });
  await app.listen(config.http.port, config.http.host);
  logger.info(`Monolith ready on http://localhost:${config.http.port} (API under /api, docs at /docs) in ${Date.now() - startedAt} ms`);

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: closing HTTP, workers and queues, then the database`);
    // In-flight requests and jobs get a bounded time; a backend that never answers must not
    // keep the process alive forever.
    const deadline = new Promise<void>((resolve) =>
      setTimeout(() => {
        logger.error(`Shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms; exiting anyway`);
        resolve();
      }, SHUTDOWN_TIMEOUT_MS).unref(),
    );
    await Promise.race([app.close(), deadline]);
    await database.stop();
    process.exit(0);
  };
  process.once('SIGINT', (signal) => void shutdown(signal));
  process.once('SIGTERM', (signal) => void shutdown(signal));
}

main().catch((error: unknown) => {
  // Before the logger exists (a bad configuration) or after it failed: plain stderr.
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
});
