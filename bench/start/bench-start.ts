import { dropDatabase } from '@strata/platform/database';
import { deleteQueueKeys, freePort } from '@strata/platform/testing';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from '../lib/measure';
import { migratedDatabase, monolithEnv, stopChild } from '../lib/targets';

export interface StartRun {
  /** From spawning the process until `GET /health` (database and queue checked) answered 200. */
  readyMs: number;
  /** Resident memory after IDLE_MS of doing nothing once ready (`VmRSS`). */
  rssMb: number;
}

export interface StartResult {
  runs: StartRun[];
  /** Medians over the runs. */
  readyMs: number;
  rssMb: number;
}

const IDLE_MS = 3000;
/** How often readiness is asked while starting: the figure's resolution. */
const POLL_MS = 10;

/**
 * Start time and idle memory of the built monolith, as a deployment runs it (`node
 * dist/apps/server/main.js`, TOPOLOGY=monolith, an already migrated database, the queue on Redis),
 * `starts` times, each on a queue prefix of its own; medians reported.
 */
export async function benchStart(options: { main: string; postgresUrl: string; redisUrl: string; starts: number }): Promise<StartResult> {
  const databaseUrl = await migratedDatabase(options.postgresUrl, 'start');
  const runs: StartRun[] = [];
  try {
    for (let start = 1; start <= options.starts; start++) {
      process.stdout.write(`  monolith start ${start} of ${options.starts} ... `);
      const env = monolithEnv(databaseUrl, options.redisUrl);
      try {
        const run = await startOnce(options.main, { ...process.env, ...env, PORT: String(await freePort()) });
        console.log(`ready in ${Math.round(run.readyMs)} ms, ${run.rssMb.toFixed(1)} MB resident after ${IDLE_MS / 1000} s idle`);
        runs.push(run);
      } finally {
        await deleteQueueKeys(options.redisUrl, env['QUEUE_PREFIX']);
      }
    }
  } finally {
    await dropDatabase(databaseUrl);
  }
  return { runs, readyMs: median(runs.map((run) => run.readyMs)), rssMb: median(runs.map((run) => run.rssMb)) };
}

async function startOnce(main: string, env: NodeJS.ProcessEnv): Promise<StartRun> {
  const startedAt = process.hrtime.bigint();
  const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Its log, read and dropped; the end kept to explain a failed start.
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + String(chunk)).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  try {
    const url = `http://127.0.0.1:${env['PORT']}/health`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the monolith exited with ${child.exitCode} while starting:\n${output}`);
      if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within 60 s:\n${output}`);
      const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(POLL_MS);
    }
    const readyMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
    await sleep(IDLE_MS);
    return { readyMs, rssMb: residentMb(child.pid as number) };
  } finally {
    await stopChild(child);
  }
}

/** The process's resident set size, from Linux's /proc (in KiB there), in MB of 10^6 bytes: the stricter reading of a goal in MB. */
function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return (Number(kb[1]) * 1024) / 1e6;
}
