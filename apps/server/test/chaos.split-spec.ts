import { ORDERS_QUEUE } from '@strata/orders/contracts';
import { QUEUE_SCHEMA } from '@strata/platform/queue';
import { FAULT_KINDS, formatFigures, runChaos, testRedisUrl, type ChaosReport } from '@strata/platform/testing';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The split topology under chaos, bounded to fit `npm test` (the long run is `npm run chaos`):
 * careful clients place and cancel orders while units are killed and frozen and the links between
 * them delayed, black-holed and reset; then, quiescent, every invariant holds. Runs its own
 * deployment per queue backend, not the suite's shared one. The seed of a run is in its figures;
 * CHAOS_SEED replays its choices.
 */

const workspaceRoot = join(__dirname, '../../..');

async function chaos(redisUrl: string | undefined): Promise<ChaosReport> {
  const report = await runChaos({
    main: join(workspaceRoot, 'dist/apps/server/main.js'),
    migrate: join(workspaceRoot, 'dist/apps/server/migrate.js'),
    topologyFile: join(workspaceRoot, 'topologies/split.json'),
    apiUnit: 'gateway',
    postgresUrl: process.env['STRATA_TEST_POSTGRES_URL'] as string,
    redisUrl,
    queues: { names: [ORDERS_QUEUE], schema: QUEUE_SCHEMA },
    // Until 50 orders are acknowledged and 10 faults injected; on a busy machine, at most 25 s.
    orders: 50,
    faults: 10,
    maxSeconds: 25,
    seed: process.env['CHAOS_SEED'] ? Number(process.env['CHAOS_SEED']) : undefined,
    workload: { clients: 6 },
    // Short faults with healthy stretches between them, so that a busy two-core machine still
    // places orders between restarts; the long run's faults are longer.
    schedule: { gapMs: [500, 1500], durationMs: [300, 1500], neverKill: ['worker'] },
    quiescenceTimeoutMs: 40_000,
  });
  // The figures, and the evidence of any violation, for whoever reads a failure.
  console.log(
    `${formatFigures([report.figures])}\n${report.violations.map((violation) => `${violation.invariant}: ${violation.detail}`).join('\n')}\nunit logs: ${report.logDir}`,
  );
  return report;
}

describe.each([
  ['Redis', testRedisUrl()],
  ['PostgreSQL', undefined],
])('the split topology under chaos, the queue on %s', (_, redisUrl) => {
  it('keeps every invariant through kills, freezes, delays, black holes and resets', async () => {
    const { figures, violations, logDir } = await chaos(redisUrl);

    expect(figures.orders.acknowledged).toBeGreaterThanOrEqual(10);
    expect(figures.cancels.acknowledged).toBeGreaterThan(0);
    for (const kind of FAULT_KINDS) expect({ kind, injected: figures.faults[kind] > 0 }).toEqual({ kind, injected: true });
    expect(violations).toEqual([]);
    // Passed: the units' logs are not needed. A failure keeps them, at the path printed above.
    rmSync(logDir, { recursive: true, force: true });
  }, 110_000);
});
