import { TopologyProcesses, type TopologyProcessesOptions } from '../topology-processes';
import { FaultProxy } from './fault-proxy';

/** A connection path from one unit to a peer's internal port, through a fault proxy. */
export interface Link {
  caller: string;
  peer: string;
  proxy: FaultProxy;
}

/**
 * A topology's units as real processes, with a {@link FaultProxy} on every path from a unit to a
 * peer (the unit's `PEER_<PEER>` points at the proxy), so faults can hit a process (kill, freeze)
 * or one link between two units (delay, black hole, reset) while the rest keeps running.
 */
export class ChaosDeployment {
  private constructor(
    readonly processes: TopologyProcesses,
    readonly links: Link[],
  ) {}

  static async start(options: Omit<TopologyProcessesOptions, 'routePeer' | 'edge'>): Promise<ChaosDeployment> {
    const links: Link[] = [];
    const closeLinks = () => Promise.all(links.map((link) => link.proxy.close()));
    try {
      const processes = await TopologyProcesses.start({
        ...options,
        // The run's report says where the units' logs are, to read after it.
        keepLogs: true,
        routePeer: async (caller, peer, address) => {
          const [host, port] = address.split(':');
          const proxy = await FaultProxy.start({ host, port: Number(port) });
          links.push({ caller, peer, proxy });
          return `127.0.0.1:${proxy.port}`;
        },
      });
      return new ChaosDeployment(processes, links);
    } catch (error) {
      await closeLinks();
      throw error;
    }
  }

  get unitNames(): string[] {
    return [...this.processes.units.keys()];
  }

  /**
   * The links units have actually connected through so far. Every pair of units gets a proxy,
   * as which unit calls which is the topology's business; only these carry calls to break.
   */
  linksInUse(): Link[] {
    return this.links.filter((link) => link.proxy.everConnected);
  }

  /** Ends every fault: heals every link, resumes every unit and restarts the dead ones, then waits until all are ready. */
  async restore(): Promise<void> {
    for (const link of this.links) link.proxy.heal();
    for (const unit of this.unitNames) this.processes.resume(unit);
    await Promise.all(this.unitNames.filter((unit) => !this.isRunning(unit)).map((unit) => this.processes.startUnit(unit)));
    await this.processes.ready(60_000);
  }

  isRunning(unit: string): boolean {
    const child = this.processes.unit(unit).process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async stop(): Promise<void> {
    for (const link of this.links) link.proxy.heal();
    try {
      await this.processes.stop();
    } finally {
      await Promise.all(this.links.map((link) => link.proxy.close()));
    }
  }
}
