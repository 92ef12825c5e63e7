import { dropDatabase } from '@strata/platform/database';
import { deleteQueueKeys, freePort } from '@strata/platform/testing';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describeFailures, throughput } from '../lib/measure';
import { endpoints, monolithEnv, migratedDatabase, seed, stopChild, untilAnswers } from '../lib/targets';

/*
 * The read (`GET /api/products/:id`) counted in instructions rather than timed: each target runs
 * under valgrind's callgrind, which counts the instructions its process executes. The count moves
 * far less than time or CPU time with what else the machine runs, so a change of several per cent
 * in the pipeline shows in one run on a shared two-core VM, where throughput moves by a third.
 *
 * What it counts: the process's main thread, in user space, per read, one read at a time after a
 * warm-up of WARM_UP_SECONDS under load with counting off (V8 has optimised the code by then). Less
 * the main thread's idle rate (the outbox relay's and the queue's polling), measured just before.
 * Left out: the kernel's work (a socket write costs the writer tens of microseconds on these VMs),
 * V8's background threads (concurrent marking, compilation) and PostgreSQL. Each target is
 * counted RUNS times and the fewest kept: a run in which V8 happened to deoptimise and re-optimise
 * some code counts up to half as much again.
 */

const execFileAsync = promisify(execFile);

export interface InstructionsTarget {
  name: string;
  /** The bench's or the server's built program. */
  script: string;
  env: Record<string, string>;
  /** Node options, e.g. a module to preload. */
  nodeArgs?: string[];
  /** Its queue's Redis keys, removed when it stops. */
  queuePrefix?: string;
}

export interface InstructionsRow {
  target: string;
  /** Instructions per read of each run, less the idle rate. */
  runs: number[];
  /** The fewest of the runs. */
  perRead: number;
}

export interface InstructionsResult {
  reads: number;
  warmUpSeconds: number;
  rows: InstructionsRow[];
}

/** Under load at 4 connections, uninstrumented: some 20,000 reads here. */
const WARM_UP_SECONDS = 60;
const IDLE_MS = 5_000;

/**
 * Counts the read's instructions on each target in turn, `reads` reads a run, `runs` runs each:
 * bare NestJS, the built monolith at info and at warn, and the monolith without its request context.
 */
export async function benchInstructions(options: {
  postgresUrl: string;
  redisUrl: string;
  reads: number;
  runs: number;
  /** The built server (dist/apps/server/main.js). */
  main: string;
  /** The bench's built programs (dist/bench). */
  benchDir: string;
}): Promise<InstructionsResult> {
  await requireCallgrind();
  const databaseUrl = await migratedDatabase(options.postgresUrl, 'instructions');
  const rows: InstructionsRow[] = [];
  try {
    const data = await seed(databaseUrl);
    const read = endpoints(data).get;
    for (const target of targets(databaseUrl, options)) {
      const outputDir = mkdtempSync(join(tmpdir(), 'strata-callgrind-'));
      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const child = spawnUnderCallgrind(target, port, outputDir);
      try {
        await untilAnswers(`${baseUrl}/health/live`, child, 180_000);
        const warmUp = await throughput(baseUrl, read, 4, WARM_UP_SECONDS, 0);
        if (warmUp.errors > 0 || warmUp.answered === 0)
          throw new Error(`${target.name}: the warm-up's reads failed (${describeFailures(warmUp.failures)})`);
        const runs: number[] = [];
        for (let run = 1; run <= options.runs; run++) {
          runs.push(await countRun(child, outputDir, baseUrl, read.path, options.reads));
        }
        const row = { target: target.name, runs, perRead: Math.min(...runs) };
        console.log(`  ${target.name}: ${runs.map((count) => count.toLocaleString('en')).join(', ')} instructions a read`);
        rows.push(row);
      } finally {
        await stopChild(child);
        if (target.queuePrefix) await deleteQueueKeys(options.redisUrl, target.queuePrefix);
        rmSync(outputDir, { recursive: true, force: true });
      }
    }
  } finally {
    await dropDatabase(databaseUrl);
  }
  return { reads: options.reads, warmUpSeconds: WARM_UP_SECONDS, rows };
}

function targets(
  databaseUrl: string,
  { redisUrl, main, benchDir }: { redisUrl: string; main: string; benchDir: string },
): InstructionsTarget[] {
  const monolith = (name: string, logLevel: string, nodeArgs?: string[]): InstructionsTarget => {
    const env: Record<string, string> = { ...monolithEnv(databaseUrl, redisUrl), LOG_LEVEL: logLevel };
    return { name, script: main, env, nodeArgs, queuePrefix: env['QUEUE_PREFIX'] };
  };
  const baselinePrefix = `bench-${randomUUID().slice(0, 8)}`;
  return [
    {
      name: 'baseline (bare)',
      script: join(benchDir, 'baseline.js'),
      env: { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, QUEUE_PREFIX: baselinePrefix },
      queuePrefix: baselinePrefix,
    },
    monolith('monolith', 'info'),
    monolith('monolith (warn)', 'warn'),
    monolith('monolith, no request context', 'info', ['-r', join(benchDir, 'without-request-context.js')]),
  ];
}

async function requireCallgrind(): Promise<void> {
  await execFileAsync('valgrind', ['--version']).catch(() => {
    throw new Error('The instructions part needs valgrind (callgrind): apt-get install valgrind');
  });
}

function spawnUnderCallgrind(target: InstructionsTarget, port: number, outputDir: string): ChildProcess {
  const callgrind = [
    '--tool=callgrind',
    // Counting starts switched off: the start and the warm-up run at valgrind's uninstrumented speed.
    '--instr-atstart=no',
    // One file per thread: the main thread's is read.
    '--separate-threads=yes',
    // V8 writes and rewrites its machine code on the heap: valgrind must notice.
    '--smc-check=all-non-file',
    `--callgrind-out-file=${join(outputDir, 'callgrind.out')}`,
  ];
  return spawn('valgrind', [...callgrind, process.execPath, ...(target.nodeArgs ?? []), target.script], {
    env: { ...process.env, ...target.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

/**
 * One run: the main thread's instructions while idle for IDLE_MS, then over `reads` reads one at
 * a time; the reads' count less the idle rate over their duration, per read.
 */
async function countRun(child: ChildProcess, outputDir: string, baseUrl: string, path: () => string, reads: number): Promise<number> {
  const pid = String(child.pid);
  await callgrindControl('--zero', pid);
  await callgrindControl('--instr=on', pid);
  const idleStarted = process.hrtime.bigint();
  await sleep(IDLE_MS);
  const idle = await dumpMainThread(outputDir, pid, 'idle');
  const idleNs = Number(process.hrtime.bigint() - idleStarted);
  await callgrindControl('--zero', pid);
  const readsStarted = process.hrtime.bigint();
  for (let i = 0; i < reads; i++) {
    const response = await fetch(`${baseUrl}${path()}`);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${baseUrl}: a read answered ${response.status}`);
  }
  const readsNs = Number(process.hrtime.bigint() - readsStarted);
  const counted = await dumpMainThread(outputDir, pid, 'reads');
  await callgrindControl('--instr=off', pid);
  return Math.round((counted - (idle * readsNs) / idleNs) / reads);
}

async function callgrindControl(command: string, pid: string): Promise<void> {
  await execFileAsync('callgrind_control', [command, pid]);
}

/** Dumps the counts so far and answers the main thread's total (callgrind's `totals:` line of its `-01` file). */
async function dumpMainThread(outputDir: string, pid: string, label: string): Promise<number> {
  const before = new Set(readdirSync(outputDir));
  await callgrindControl(`--dump=${label}`, pid);
  for (let waited = 0; waited < 30_000; waited += 100) {
    const dumped = readdirSync(outputDir).find((file) => !before.has(file) && file.endsWith('-01'));
    const totals = dumped && /^totals: (\d+)/m.exec(readFileSync(join(outputDir, dumped), 'utf8'));
    if (totals) return Number(totals[1]);
    await sleep(100);
  }
  throw new Error(`callgrind wrote no dump of the main thread in ${outputDir}`);
}
