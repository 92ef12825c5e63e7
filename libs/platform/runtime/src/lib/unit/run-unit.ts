import { describeFailure, loadConfig, misspelledVariables } from '@strata/platform/config';
import { provideDatabase } from '@strata/platform/database';
import { Readiness } from '@strata/platform/health';
import { createLogger } from '@strata/platform/http';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopWithLauncher } from './stop-with-launcher';
import { createUnitApp, startUnitApp } from './create-unit-app';
import { onStopSignals } from './stop-signals';
import { resolveUnit } from './resolve-unit';
import type { StrataApplication } from './strata-application';

/**
 * The `main` of every unit: reads the configuration, picks and checks the unit, provides its
 * database, starts it, and shuts it down in order on SIGTERM, SIGINT or SIGHUP. A configuration or
 * topology that cannot work stops the process with a message saying what to change.
 */
export function runUnit(application: StrataApplication): void {
  main(application).catch((error: unknown) => {
    // Before the logger exists (bad configuration) or after it failed: plain stderr.
    console.error(describeFailure(error));
    process.exit(1);
  });
}

async function main(application: StrataApplication): Promise<void> {
  const startedAt = Date.now();
  const unit = resolveUnit(loadConfig(process.env), application);
  const { config, plan } = unit;
  const logger = createLogger(config).child({ context: 'Main' });

  // DATABASE_URL (created if missing), or an embedded server, which resolveUnit allows only for
  // a topology of one unit.
  const needsDatabase = plan.database || (plan.queue && !config.queue.redisUrl);
  const database = needsDatabase ? await provideDatabase(config, (message) => logger.info(message)) : undefined;
  const app = await createUnitApp(unit, application, database?.url);
  // Now that the unit has read every variable it reads, its modules' settings included.
  for (const { name, meant } of misspelledVariables(process.env)) {
    logger.warn(`${name} is set, but nothing reads it: did you mean ${meant}?`);
  }
  await startUnitApp(app, unit);
  const role = [
    plan.api ? 'API under /api, docs at /docs' : undefined,
    plan.serves.length > 0 ? `internal port ${config.unit.internalPort}` : undefined,
    plan.workers.length > 0 ? `workers for ${plan.workers.map((w) => w.module).join(', ')}` : undefined,
  ].filter(Boolean);
  logger.info(
    `Unit ${plan.unit} of topology ${plan.topology} ready on http://localhost:${config.http.port}` +
      `${role.length ? ` (${role.join('; ')})` : ''} in ${Date.now() - startedAt} ms`,
  );

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    // A peer or backend that never answers must not keep the process alive forever.
    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timed out'>((resolve) => {
      deadlineTimer = setTimeout(() => resolve('timed out'), config.shutdown.timeoutMs).unref();
    });
    let exitCode = 0;
    const stop = async () => {
      // 1. Readiness fails first; under an orchestrator (SIGTERM) the unit keeps serving for the
      //    drain period while load balancers take it out of rotation. Ctrl-C skips the wait.
      app.get(Readiness).withdraw();
      // Kept-alive clients (an edge, a proxy) reconnect meanwhile, to a replica that stays.
      app.getHttpAdapter().getInstance().stopKeepingAlive();
      if (signal === 'SIGTERM' && config.shutdown.drainMs > 0) {
        logger.info(`${signal} received: readiness withdrawn, serving for ${config.shutdown.drainMs} ms more`);
        await sleep(config.shutdown.drainMs);
      }
      // 2. The HTTP listener closes: new connections are refused, the requests taken are served.
      //    Left to Nest's close, it took new requests while a job or a call held the close.
      app.getHttpAdapter().getInstance().stopListening();
      // 3. Nest's close: job workers finish their jobs and the internal listener its calls
      //    (beforeApplicationShutdown), the HTTP server ends with its last answer, then the
      //    queues and the database connection close.
      logger.info(`${signal}: finishing in-flight requests, calls and jobs, then closing`);
      try {
        await app.close();
      } catch (error) {
        // Whatever failed to close, the rest must still stop: the embedded PostgreSQL above all.
        logger.error({ msg: 'Closing the unit failed; stopping the rest', err: error });
        exitCode = 1;
      }
      // 4. The embedded PostgreSQL, if the unit runs one, once nothing uses it.
      await database?.stop();
    };
    const outcome = await Promise.race([stop().then(() => 'stopped' as const), deadline]).catch((error: unknown) => {
      logger.error({ msg: 'Stopping failed', err: error });
      exitCode = 1;
    });
    clearTimeout(deadlineTimer);
    if (outcome === 'timed out') {
      // What was still running is cut off: a failure, for whoever restarts the unit to see.
      logger.error(`Shutdown took longer than ${config.shutdown.timeoutMs} ms (SHUTDOWN_TIMEOUT_MS); exiting anyway, with exit code 1`);
      exitCode = 1;
    } else {
      logger.info('Stopped');
    }
    process.exit(exitCode);
  };
  onStopSignals((signal) => void shutdown(signal));
  stopWithLauncher(config.unit.launcherPid, (message) => logger.warn(message));
}
