import { StrataConfig } from '@strata/platform/config';
import { planTopology, type UnitPlan } from '../topology/plan-topology';
import { loadTopology, TopologyError } from '../topology/topology';
import type { StrataApplication } from './strata-application';

export interface ResolvedUnit {
  plan: UnitPlan;
  /** The configuration with the unit's name and ports filled in from the topology. */
  config: StrataConfig;
}

/**
 * Picks the unit this process runs (`TOPOLOGY`, `UNIT`) and checks, before anything starts, that
 * the topology can run and that this unit's configuration gives it what its plan needs. Throws a
 * {@link TopologyError} that says what to change.
 */
export function resolveUnit(config: StrataConfig, application: StrataApplication): ResolvedUnit {
  const topology = loadTopology(config.unit.topology, application.topologies);
  const plans = planTopology(topology, application.modules);
  const units = [...plans.keys()];

  let name = config.unit.name;
  if (!name) {
    if (units.length > 1) {
      throw new TopologyError(topology.name, [
        `it has ${units.length} units (${units.join(', ')}): set UNIT to the one this process runs, or run them all with npm run start:split -- ${topology.name}`,
      ]);
    }
    name = units[0];
  }
  const plan = plans.get(name);
  if (!plan) throw new TopologyError(topology.name, [`UNIT=${name} is not one of its units (${units.join(', ')})`]);

  const problems: string[] = [];
  for (const peer of Object.keys(config.transport.peers)) {
    if (!plans.has(peer))
      problems.push(`PEER_${peer.toUpperCase().replace(/-/g, '_')} names no unit of the topology (units: ${units.join(', ')})`);
  }
  if ((plan.serves.length > 0 || plan.peers.length > 0) && !config.transport.secret) {
    const role = plan.serves.length > 0 ? 'serves ports to other units' : 'calls other units';
    problems.push(`unit ${name} ${role}: set INTERNAL_AUTH_SECRET, the same random value of 32 characters or more for every unit`);
  }
  if (!plan.alone && plan.database && !config.database.url) {
    const tiers = plan.tiers.filter((tier) => tier.tier === 'data-access').map((tier) => `${tier.module}/${tier.tier}`);
    problems.push(
      `unit ${name} hosts ${tiers.join(', ')} but DATABASE_URL is not set (the embedded PostgreSQL serves a topology of one unit only)`,
    );
  }
  if (!plan.alone && plan.queue && !config.queue.redisUrl && !config.database.url) {
    problems.push(`unit ${name} enqueues or handles jobs: set REDIS_URL, or DATABASE_URL to keep the queue on PostgreSQL`);
  }
  if (problems.length > 0) throw new TopologyError(topology.name, problems);

  return {
    plan,
    config: new StrataConfig({
      ...config,
      http: { ...config.http, port: config.http.port ?? plan.httpPort },
      unit: { ...config.unit, name, internalPort: config.unit.internalPort ?? plan.internalPort },
    }),
  };
}
