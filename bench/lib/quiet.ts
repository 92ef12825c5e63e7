import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Linux's clock ticks per second for /proc/<pid>/stat's CPU times (USER_HZ: 100 everywhere Node runs). */
const TICKS_PER_SECOND = 100;
const SAMPLE_MS = 250;

/**
 * Waits until the given processes together use less than `maxCores` of CPU over a sample, at most
 * `timeoutMs`: work one measurement left behind (jobs still running, a collection) must not land
 * on the next. Answers how long it waited. Off Linux (no /proc), answers at once.
 */
export async function untilQuiet(pids: number[], { maxCores = 0.1, timeoutMs = 10_000 } = {}): Promise<number> {
  const startedAt = Date.now();
  let before = cpuTicks(pids);
  if (before === undefined) return 0;
  while (Date.now() - startedAt < timeoutMs) {
    await sleep(SAMPLE_MS);
    const after = cpuTicks(pids) ?? 0;
    const cores = (after - before) / TICKS_PER_SECOND / (SAMPLE_MS / 1000);
    if (cores < maxCores) break;
    before = after;
  }
  return Date.now() - startedAt;
}

/** User and system CPU time of the processes, in µs (10 ms resolution); undefined off Linux. */
function cpuMicroseconds(pids: number[]): number | undefined {
  const ticks = cpuTicks(pids);
  return ticks === undefined ? undefined : (ticks * 1_000_000) / TICKS_PER_SECOND;
}

/** Each process's user and system CPU time, in µs, by name; undefined off Linux. */
export function cpuMicrosecondsByProcess(processes: Record<string, number>): Record<string, number> | undefined {
  const byProcess: Record<string, number> = {};
  for (const [name, pid] of Object.entries(processes)) {
    const microseconds = cpuMicroseconds([pid]);
    if (microseconds === undefined) return undefined;
    byProcess[name] = microseconds;
  }
  return byProcess;
}

/** User and system CPU time of the processes, in ticks; processes that have exited count 0. */
function cpuTicks(pids: number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && pid === pids[0] && !hasProc()) return undefined;
      continue;
    }
    // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  }
  return total;
}

function hasProc(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}
