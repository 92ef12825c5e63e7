import 'reflect-metadata';
import { ORDERS_QUEUE } from '@strata/orders/contracts';
import { QUEUE_SCHEMA } from '@strata/platform/queue';
import { formatFigures, providePostgres, requireRedis, runChaos, type ChaosReport } from '@strata/platform/testing';
import { cpus } from 'node:os';
import { join } from 'node:path';

/*
 * `npm run chaos`: the long chaos run of the split topology, once per queue backend, then the
 * figures as a table. Settings: CHAOS_ORDERS (acknowledged orders, at least; default 10000),
 * CHAOS_FAULTS (faults to inject, at least; default 100), CHAOS_SECONDS (under load per backend,
 * at most; default 3600), CHAOS_CLIENTS (default 8), CHAOS_SEED, CHAOS_BACKENDS (default
 * `redis,postgres`), DATABASE_URL (default: an embedded PostgreSQL in a temporary folder),
 * REDIS_URL (default redis://127.0.0.1:6379). Exits 1 if any invariant was violated.
 */

const workspaceRoot = join(__dirname, '../..');
const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const BACKENDS = (process.env['CHAOS_BACKENDS'] ?? 'redis,postgres').split(',');
/** The violations printed per invariant; the rest are counted in the table. */
const EVIDENCE_LINES = 20;

async function main(): Promise<void> {
  console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}\n`);
  const postgres = await providePostgres('chaos');
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  if (BACKENDS.includes('redis'))
    await requireRedis(redisUrl, "The Redis backend's run needs Redis (set REDIS_URL, or CHAOS_BACKENDS=postgres)");
  const reports: ChaosReport[] = [];
  try {
    for (const backend of BACKENDS) {
      const report = await runChaos({
        main: join(workspaceRoot, 'dist/apps/server/main.js'),
        migrate: join(workspaceRoot, 'dist/apps/server/migrate.js'),
        topologyFile: join(workspaceRoot, 'topologies/split.json'),
        apiUnit: 'gateway',
        postgresUrl: postgres.url,
        redisUrl: backend === 'redis' ? redisUrl : undefined,
        queues: { names: [ORDERS_QUEUE], schema: QUEUE_SCHEMA },
        orders: setting('CHAOS_ORDERS', 10_000),
        faults: setting('CHAOS_FAULTS', 100),
        maxSeconds: setting('CHAOS_SECONDS', 3600),
        seed: process.env['CHAOS_SEED'] ? Number(process.env['CHAOS_SEED']) : undefined,
        workload: { clients: setting('CHAOS_CLIENTS', 8) },
        // Sparser than the bounded test's faults, so the clients also get healthy stretches and a
        // long run places its orders in minutes; every unit may be killed, the worker too.
        schedule: { gapMs: [1000, 3000] },
        // A killed worker's running jobs wait for BullMQ's stall detection, up to about a minute.
        quiescenceTimeoutMs: 180_000,
        startTimeoutMs: 120_000,
        progress: (line) => console.log(line),
      });
      reports.push(report);
      printEvidence(report);
    }
  } finally {
    await postgres.stop();
  }
  console.log(`\n${formatFigures(reports.map((report) => report.figures))}`);
  if (reports.some((report) => report.violations.length > 0)) process.exitCode = 1;
}

function printEvidence(report: ChaosReport): void {
  const { backend, seed } = report.figures;
  console.log(`[${backend}] seed ${seed}; ${report.faults.length} faults; unit logs in ${report.logDir}`);
  for (const problem of report.faultProblems) console.log(`[${backend}] fault not undone as planned: ${problem}`);
  for (const invariant of new Set(report.violations.map((violation) => violation.invariant))) {
    const violations = report.violations.filter((violation) => violation.invariant === invariant);
    console.log(`[${backend}] ${violations.length} violation(s) of ${invariant}:`);
    for (const violation of violations.slice(0, EVIDENCE_LINES)) console.log(`  ${violation.detail}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
