import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigurationError, loadConfig } from '@strata/platform/config';
import { provideDatabase } from '@strata/platform/database';
import { createMonolithApp } from './app/create-monolith-app';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig(process.env);
  const database = await provideDatabase(config);
  const app = await createMonolithApp({ config, databaseUrl: database.url });
  await app.listen(config.http.port, config.http.host);
  Logger.log(
    `Monolith ready on http://localhost:${config.http.port} (API under /api, docs at /docs) in ${Date.now() - startedAt} ms`,
    'Main',
  );

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    Logger.log(`${signal} received: closing HTTP, workers and queues, then the database`, 'Main');
    await app.close();
    await database.stop();
    process.exit(0);
  };
  process.once('SIGINT', (signal) => void shutdown(signal));
  process.once('SIGTERM', (signal) => void shutdown(signal));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigurationError) {
    console.error(error.message);
  } else {
    console.error('The monolith failed to start:', error);
  }
  process.exit(1);
});
