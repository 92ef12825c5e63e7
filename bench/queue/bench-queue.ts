import { dropDatabase, ensureDatabaseExists, withDatabase } from '@strata/platform/database';
import { deleteQueueKeys } from '@strata/platform/testing';
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { median } from '../lib/measure';
import type { QueueRun } from './queue-result';

export interface QueueResult extends QueueRun {
  /** Medians over the rounds. */
  raw: { jobsPerSecond: number; addsPerSecond: number };
  wrapper: { jobsPerSecond: number; addsPerSecond: number };
  /**
   * The median over the rounds of each round's wrapper / raw jobs per second: the two sides of a
   * round took turns, so their ratio is measured on the same stretch of the machine's time.
   */
  ratio: number;
}

/**
 * Runs the queue benchmark (bench/queue/main.ts) in a process of its own for each backend, as
 * BullMQ's backend is chosen process-wide: on Redis under a prefix of its own, on PostgreSQL in a
 * fresh database (BullMQ's schema created by the backend, as a unit's is). Cleans up after itself.
 */
export async function benchQueue(
  backends: ('redis' | 'postgres')[],
  options: {
    postgresUrl: string;
    redisUrl: string;
    jobs: Record<'redis' | 'postgres', number>;
    rounds: number;
    slices: number;
    benchDir: string;
  },
): Promise<QueueResult[]> {
  const results: QueueResult[] = [];
  for (const backend of backends) {
    const prefix = `bench-${randomUUID().slice(0, 8)}`;
    const databaseUrl = withDatabase(options.postgresUrl, `strata_bench_queue_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
    if (backend === 'postgres') await ensureDatabaseExists(databaseUrl);
    try {
      const run = await runChild(join(options.benchDir, 'queue.js'), {
        ...process.env,
        QUEUE_BACKEND: backend,
        QUEUE_URL: backend === 'redis' ? options.redisUrl : databaseUrl,
        QUEUE_PREFIX: prefix,
        BENCH_QUEUE_JOBS: String(options.jobs[backend]),
        BENCH_ROUNDS: String(options.rounds),
        BENCH_SLICES: String(options.slices),
      });
      const medianOf = (side: 'raw' | 'wrapper') => ({
        jobsPerSecond: median(run.rounds.map((round) => round[side].jobsPerSecond)),
        addsPerSecond: median(run.rounds.map((round) => round[side].addsPerSecond)),
      });
      const raw = medianOf('raw');
      const wrapper = medianOf('wrapper');
      const ratio = median(run.rounds.map((round) => round.wrapper.jobsPerSecond / round.raw.jobsPerSecond));
      results.push({ ...run, raw, wrapper, ratio });
    } finally {
      if (backend === 'postgres') await dropDatabase(databaseUrl);
      else await deleteQueueKeys(options.redisUrl, prefix);
    }
  }
  return results;
}

function runChild(script: string, env: NodeJS.ProcessEnv): Promise<QueueRun> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: QueueRun | undefined;
    child.on('message', (message) => (result = message as QueueRun));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 && result
        ? resolve(result)
        : reject(new Error(`the queue benchmark (${env['QUEUE_BACKEND']}) exited with ${code ?? signal}`)),
    );
  });
}
