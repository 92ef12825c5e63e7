import { loadConfig, type StrataConfig } from '@strata/platform/config';
import { provideDatabase, runMigrations, type ProvidedDatabase } from '@strata/platform/database';
import { concurrently } from 'concurrently';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { planTopology, type UnitPlan } from '../topology/plan-topology';
import { loadTopology } from '../topology/topology';
import type { StrataApplication } from '../unit/strata-application';

const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/** Variables that place one process; the launcher sets them per unit, never passes them through. */
const PER_UNIT_VARIABLES = ['UNIT', 'PORT', 'INTERNAL_PORT', 'MIGRATIONS_RUN'];

/**
 * Runs every unit of a topology on this machine, each as its own process of `unitScript`, with
 * `concurrently` supervising them: output labelled by unit, Ctrl-C stopping them all, one failing
 * at start-up stopping the rest. Before the units start it does what a deployment does once: it
 * provides the database (embedded when `DATABASE_URL` is unset), runs the migrations, picks the
 * queue (`REDIS_URL`, else a Redis on 127.0.0.1:6379 if one answers, else PostgreSQL), and makes
 * a one-off internal auth secret if none is set.
 */
export async function launchTopology(application: StrataApplication, topologyName: string, unitScript: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, TOPOLOGY: topologyName };
  const config = loadConfig(env);
  const topology = loadTopology(topologyName, application.topologies);
  const plans = [...planTopology(topology, application.modules).values()];
  const say = (message: string) => console.log(`[launch] ${message}`);

  const database = await provideDatabase(config, say);
  let exitCode = 1;
  try {
    const applied = await runMigrations(database.url, application.migrations);
    say(applied.length ? `applied ${applied.length} migration(s)` : 'the database is up to date');

    const redisUrl = config.queue.redisUrl ?? ((await answers(LOCAL_REDIS_URL)) ? LOCAL_REDIS_URL : undefined);
    say(redisUrl ? `job queue on Redis at ${redisUrl}` : 'no Redis answers: job queue on PostgreSQL');
    const secret = config.transport.secret ?? randomBytes(32).toString('hex');
    if (!config.transport.secret) say('made a one-off INTERNAL_AUTH_SECRET for this run');

    const shared: Record<string, string | undefined> = {
      ...Object.fromEntries(Object.entries(env).filter(([name]) => !PER_UNIT_VARIABLES.includes(name))),
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      INTERNAL_AUTH_SECRET: secret,
      MIGRATIONS_RUN: 'false',
      ...(process.stdout.isTTY ? { LOG_FORMAT: config.log.format, FORCE_COLOR: '1' } : {}),
    };
    const apiUnits = plans.filter((plan) => plan.api);
    const { result } = concurrently(
      plans.map((plan) => ({
        name: plan.unit,
        // exec: the unit is the process concurrently signals and waits for, not a shell around it.
        command: `exec node ${JSON.stringify(unitScript)}`,
        env: { ...shared, UNIT: plan.unit, ...(env.PORT && apiUnits.length === 1 && plan.api ? { PORT: env.PORT } : {}) },
      })),
      { prefix: 'name', padPrefix: true, killOthersOn: ['failure'], restartTries: 0 },
    );
    void reportWhenReady(plans, config, say);
    exitCode = await result.then(
      () => 0,
      () => 1,
    );
  } finally {
    await stopDatabase(database);
  }
  process.exit(exitCode);
}

async function answers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Prints one line once every unit reports ready, so a person knows when to start sending requests. */
async function reportWhenReady(plans: UnitPlan[], config: StrataConfig, say: (message: string) => void): Promise<void> {
  const startedAt = Date.now();
  const ports = plans.map((plan) => (plan.api && config.http.port ? config.http.port : plan.httpPort));
  while (Date.now() - startedAt < 60_000) {
    const ready = await Promise.all(ports.map((port) => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)));
    if (ready.every(Boolean)) {
      const api = plans.filter((plan) => plan.api).map((plan) => `http://localhost:${ports[plans.indexOf(plan)]}`);
      say(`all ${plans.length} units ready in ${Date.now() - startedAt} ms; API at ${api.join(', ')}`);
      return;
    }
    await sleep(250);
  }
}

async function stopDatabase(database: ProvidedDatabase): Promise<void> {
  try {
    await database.stop();
  } catch {
    // Already stopped by its own signal handling.
  }
}
