import type { TopologyProcesses } from '../lib/topology-processes';
import stopTestPostgres from './postgres.global-teardown';

export default async function stopTopology(): Promise<void> {
  await (globalThis as { __strataTopology__?: TopologyProcesses }).__strataTopology__?.stop();
  await stopTestPostgres();
}
