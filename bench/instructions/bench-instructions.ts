import { dropDatabase } from '@strata/platform/database';
import { deleteQueueKeys, freePort, TopologyProcesses } from '@strata/platform/testing';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describeFailures, throughput } from '../lib/measure';
import { workspaceRoot } from '../lib/settings';
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
 *
 * The split topology is counted the same way, its gateway, business and data units each under
 * callgrind over the same reads (the worker takes no part in a read): a row per unit, and one for
 * the three together, whose runs are the runs' sums.
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
          const [count] = await countRun([{ pid: child.pid as number, outputDir }], baseUrl, read.path, options.reads);
          runs.push(count);
        }
        rows.push(counted(target.name, runs));
      } finally {
        await stopChild(child);
        if (target.queuePrefix) await deleteQueueKeys(options.redisUrl, target.queuePrefix);
        rmSync(outputDir, { recursive: true, force: true });
      }
    }
  } finally {
    await dropDatabase(databaseUrl);
  }
  rows.push(...(await countSplit(options)));
  return { reads: options.reads, warmUpSeconds: WARM_UP_SECONDS, rows };
}

/** The units of the split topology a read goes through, in the order it does. */
const SPLIT_UNITS = ['gateway', 'business', 'data'];

/** The split topology's read, counted in its gateway, business and data units at once. */
async function countSplit(options: { postgresUrl: string; redisUrl: string; reads: number; runs: number }): Promise<InstructionsRow[]> {
  const outputDirs = new Map(SPLIT_UNITS.map((unit) => [unit, mkdtempSync(join(tmpdir(), `strata-callgrind-${unit}-`))]));
  try {
    const deployment = await TopologyProcesses.start({
      main: join(workspaceRoot, 'dist/apps/server/main.js'),
      migrate: join(workspaceRoot, 'dist/apps/server/migrate.js'),
      topologyFile: join(workspaceRoot, 'topologies/split.json'),
      postgresUrl: options.postgresUrl,
      redisUrl: options.redisUrl,
      env: { LOG_LEVEL: 'info' },
      runUnder: (unit) => {
        const outputDir = outputDirs.get(unit);
        return outputDir === undefined ? undefined : ['valgrind', ...callgrindArguments(outputDir)];
      },
      // Under valgrind, a unit starts in about a minute.
      startTimeoutMs: 300_000,
    });
    try {
      const read = endpoints(await seed(deployment.databaseUrl)).get;
      const baseUrl = deployment.unit('gateway').httpUrl;
      const warmUp = await throughput(baseUrl, read, 4, WARM_UP_SECONDS, 0);
      if (warmUp.errors > 0 || warmUp.answered === 0)
        throw new Error(`split: the warm-up's reads failed (${describeFailures(warmUp.failures)})`);
      const processes = SPLIT_UNITS.map((unit) => ({
        pid: deployment.unit(unit).process?.pid as number,
        outputDir: outputDirs.get(unit) as string,
      }));
      const runs: number[][] = [];
      for (let run = 1; run <= options.runs; run++) runs.push(await countRun(processes, baseUrl, read.path, options.reads));
      return [
        ...SPLIT_UNITS.map((unit, index) =>
          counted(
            `split: ${unit}`,
            runs.map((counts) => counts[index]),
          ),
        ),
        counted(
          SPLIT,
          runs.map((counts) => counts.reduce((sum, count) => sum + count, 0)),
        ),
      ];
    } finally {
      await deployment.stop();
    }
  } finally {
    for (const outputDir of outputDirs.values()) rmSync(outputDir, { recursive: true, force: true });
  }
}

/** The row of the split topology's three units together. */
export const SPLIT = 'split (gateway + business + data)';

function counted(target: string, runs: number[]): InstructionsRow {
  console.log(`  ${target}: ${runs.map((count) => count.toLocaleString('en')).join(', ')} instructions a read`);
  return { target, runs, perRead: Math.min(...runs) };
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

function callgrindArguments(outputDir: string): string[] {
  return [
    '--tool=callgrind',
    // Counting starts switched off: the start and the warm-up run at valgrind's uninstrumented speed.
    '--instr-atstart=no',
    // One file per thread: the main thread's is read.
    '--separate-threads=yes',
    // V8 writes and rewrites its machine code on the heap: valgrind must notice.
    '--smc-check=all-non-file',
    `--callgrind-out-file=${join(outputDir, 'callgrind.out')}`,
  ];
}

function spawnUnderCallgrind(target: InstructionsTarget, port: number, outputDir: string): ChildProcess {
  return spawn('valgrind', [...callgrindArguments(outputDir), process.execPath, ...(target.nodeArgs ?? []), target.script], {
    env: { ...process.env, ...target.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

/** A process counted under callgrind, and the folder its counts are dumped to. */
interface Counted {
  pid: number;
  outputDir: string;
}

/**
 * One run, over processes counted together: each one's main thread's instructions while idle for
 * IDLE_MS, then over `reads` reads one at a time; for each, the reads' count less its idle rate
 * over their duration, per read.
 */
async function countRun(processes: Counted[], baseUrl: string, path: () => string, reads: number): Promise<number[]> {
  const idleRates: number[] = [];
  for (const { pid } of processes) await callgrindControl('--zero', String(pid));
  for (const { pid } of processes) await callgrindControl('--instr=on', String(pid));
  const idleStarted = process.hrtime.bigint();
  await sleep(IDLE_MS);
  for (const { pid, outputDir } of processes) {
    const idle = await dumpMainThread(outputDir, String(pid), 'idle');
    idleRates.push(idle / Number(process.hrtime.bigint() - idleStarted));
    await callgrindControl('--zero', String(pid));
  }
  const readsStarted = process.hrtime.bigint();
  for (let i = 0; i < reads; i++) {
    const response = await fetch(`${baseUrl}${path()}`);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${baseUrl}: a read answered ${response.status}`);
  }
  const counts: number[] = [];
  for (const [index, { pid, outputDir }] of processes.entries()) {
    const counted = await dumpMainThread(outputDir, String(pid), 'reads');
    const readsNs = Number(process.hrtime.bigint() - readsStarted);
    await callgrindControl('--instr=off', String(pid));
    counts.push(Math.round((counted - idleRates[index] * readsNs) / reads));
  }
  return counts;
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
