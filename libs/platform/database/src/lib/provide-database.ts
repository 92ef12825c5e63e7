import { ConfigurationError, redactCredentials, StrataConfig } from '@strata/platform/config';
import { startEmbeddedPostgres } from './embedded-postgres';
import { ensureDatabaseExists, withDatabase } from './ensure-database';

export interface ProvidedDatabase {
  url: string;
  /** Stops the embedded server, if this process started one; a no-op for an external server. */
  stop(): Promise<void>;
}

/**
 * The database this process talks to: the server at `DATABASE_URL`, or, with it unset, an embedded
 * PostgreSQL whose data survives restarts. Either way the database is created if missing.
 */
export async function provideDatabase(config: StrataConfig, log: (message: string) => void = () => undefined): Promise<ProvidedDatabase> {
  if (config.database.url) {
    const url = config.database.url;
    await ensureDatabaseExists(url).catch((error: unknown) => {
      // The first thing a start does with DATABASE_URL: say which variable to check, not a bare
      // "connect ECONNREFUSED" and its stack.
      const message = (error as { message?: unknown } | null)?.message;
      const reason = typeof message === 'string' ? message : String(error);
      throw new ConfigurationError([
        `DATABASE_URL: cannot use ${redactCredentials(url)} (${reason}). Is PostgreSQL running there, and are its host, port, user and password right?`,
      ]);
    });
    return { url, stop: async () => undefined };
  }
  const { dataDir, port } = config.database.embedded;
  const startedAt = Date.now();
  const server = await startEmbeddedPostgres({ dataDir, port, onNotice: log });
  const url = withDatabase(server.url, 'strata');
  await ensureDatabaseExists(url);
  log(`Embedded PostgreSQL ready on port ${port} (data in ${dataDir}) in ${Date.now() - startedAt} ms`);
  return { url, stop: () => server.stop() };
}
