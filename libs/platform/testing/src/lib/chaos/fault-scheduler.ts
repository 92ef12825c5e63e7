import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosDeployment, Link } from './chaos-deployment';
import type { Random } from './random';

/** kill: SIGKILL, restart later. freeze: SIGSTOP, SIGCONT later. The others hit one link between two units. */
export const FAULT_KINDS = ['kill', 'freeze', 'delay', 'black-hole', 'reset'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Ranges are [min, max], drawn uniformly. */
export interface FaultSchedule {
  /** Faults in progress at once, at most (never two on the same unit or link). */
  concurrent: number;
  /** The wait between the starts of two faults. */
  gapMs: [number, number];
  /** How long a unit stays dead or frozen, or a link delayed or black-holed. */
  durationMs: [number, number];
  /** How long a delayed link holds each chunk: up to beyond the call deadline, so some calls time out. */
  delayMs: [number, number];
  /**
   * Units never killed (still frozen). A killed worker's running jobs wait for BullMQ's stall
   * detection (30 s lock, checked every 30 s) before they run again: too slow for a bounded run.
   */
  neverKill: string[];
}

export const DEFAULT_FAULT_SCHEDULE: FaultSchedule = {
  concurrent: 2,
  gapMs: [200, 900],
  durationMs: [300, 2500],
  delayMs: [20, 1500],
  neverKill: [],
};

/** One injected fault, for the record of a run. */
export interface InjectedFault {
  kind: FaultKind;
  target: string;
  atMs: number;
  durationMs: number;
}

/**
 * Injects faults into a {@link ChaosDeployment} until stopped: kinds in shuffled rounds (so every
 * kind comes early), targets and durations at random. Each fault undoes itself after its
 * duration: a killed unit is restarted, a frozen one resumed, a link healed.
 */
export class FaultScheduler {
  readonly injected: InjectedFault[] = [];
  /** Faults that could not be undone as planned (e.g. a restart that failed); `restore` retries them. */
  readonly problems: string[] = [];
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;
  private readonly startedAt = Date.now();

  constructor(
    private readonly deployment: ChaosDeployment,
    private readonly random: Random,
    private readonly schedule: FaultSchedule = DEFAULT_FAULT_SCHEDULE,
  ) {}

  count(kind: FaultKind): number {
    return this.injected.filter((fault) => fault.kind === kind).length;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Starts no more faults and waits until the ones in progress have undone themselves. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await Promise.all(this.running);
  }

  private async run(): Promise<void> {
    let round: FaultKind[] = [];
    while (!this.stopping.signal.aborted) {
      if (this.running.size < this.schedule.concurrent) {
        if (round.length === 0) round = this.random.shuffle(FAULT_KINDS);
        const kind = round[0];
        const episode = this.inject(kind);
        if (episode) {
          round.shift();
          const tracked: Promise<void> = episode
            .catch((error: Error) => void this.problems.push(`${kind}: ${error.message}`))
            .finally(() => this.running.delete(tracked));
          this.running.add(tracked);
        }
      }
      await sleep(this.random.int(...this.schedule.gapMs), undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  /** Starts a fault of this kind on a target no other fault holds, or returns nothing if there is none. */
  private inject(kind: FaultKind): Promise<void> | undefined {
    const duration = this.random.int(...this.schedule.durationMs);
    if (kind === 'kill' || kind === 'freeze') {
      const units = this.deployment.unitNames.filter(
        (unit) => !this.busy.has(unit) && this.deployment.isRunning(unit) && !(kind === 'kill' && this.schedule.neverKill.includes(unit)),
      );
      if (units.length === 0) return undefined;
      const unit = this.random.pick(units);
      return this.hold(unit, kind === 'kill' ? this.kill(unit, duration) : this.freeze(unit, duration));
    }
    const links = this.deployment.linksInUse().filter((link) => !this.busy.has(nameOf(link)));
    if (kind === 'reset') {
      // A reset acts at once, on the connections open now: pick a link that has some.
      const open = links.filter((link) => link.proxy.connections > 0);
      if (open.length === 0) return undefined;
      const link = this.random.pick(open);
      link.proxy.reset();
      this.record(kind, nameOf(link), 0);
      return Promise.resolve();
    }
    if (links.length === 0) return undefined;
    const link = this.random.pick(links);
    if (kind === 'delay') {
      const ms = this.random.int(...this.schedule.delayMs);
      link.proxy.delay(ms);
      this.record(kind, `${nameOf(link)} (${ms} ms)`, duration);
    } else {
      link.proxy.blackHole();
      this.record(kind, nameOf(link), duration);
    }
    return this.hold(
      nameOf(link),
      sleep(duration).then(() => link.proxy.heal()),
    );
  }

  private async kill(unit: string, downMs: number): Promise<void> {
    await this.deployment.processes.stopUnit(unit, 'SIGKILL');
    this.record('kill', unit, downMs);
    await sleep(downMs);
    await this.deployment.processes.startUnit(unit);
  }

  private async freeze(unit: string, frozenMs: number): Promise<void> {
    this.deployment.processes.pause(unit);
    this.record('freeze', unit, frozenMs);
    await sleep(frozenMs);
    this.deployment.processes.resume(unit);
  }

  /** Keeps the target to this fault until it is undone. */
  private hold(target: string, episode: Promise<void>): Promise<void> {
    this.busy.add(target);
    return episode.finally(() => this.busy.delete(target));
  }

  private record(kind: FaultKind, target: string, durationMs: number): void {
    this.injected.push({ kind, target, atMs: Date.now() - this.startedAt, durationMs });
  }
}

function nameOf(link: Link): string {
  return `${link.caller}→${link.peer}`;
}
