import { readJson, updateJson, type Tree } from '@nx/devkit';
import type { NormalizedModule } from './names';
import type { Write } from './register';
import { applicationModules, topologyFiles } from './workspace';

interface Unit {
  hosts?: string[];
  workers?: string[];
  [key: string]: unknown;
}
interface Topology {
  units: Record<string, Unit>;
  [key: string]: unknown;
}

/** What placing the module changed in one topology, for the generator's report. */
export interface Placement {
  file: string;
  changes: string[];
}

/**
 * Places the module beside `--placeWith` in every shipped topology: `<name>/<tier>` right after
 * each `<placeWith>/<tier>`, `<name>/*` after each `<placeWith>/*` (`*` and `*\/<tier>` already
 * cover it). Its workers, when it has jobs, go to the unit running the placeWith module's
 * workers; else to a unit that runs only workers; else to the unit hosting its data-access tier,
 * which writes the jobs (through the module's outbox) and so needs the queue already.
 */
export function planTopologies(tree: Tree, module: NormalizedModule): { write: Write; placements: Placement[] } {
  const order = applicationModules(tree);
  const planned = topologyFiles(tree).map((file) => ({ file, ...place(readJson<Topology>(tree, file), module, order) }));
  return {
    placements: planned.map(({ file, changes }) => ({ file, changes })),
    write: () =>
      planned.filter(({ changes }) => changes.length > 0).forEach(({ file, topology }) => updateJson(tree, file, () => topology)),
  };
}

/**
 * The topology with the module placed, and a line per change. Pure. `applicationOrder` is the
 * application's modules before this one, which goes right after `placeWith` there too: lists
 * stay in application order, the canonical form `extract` and `merge` write.
 */
export function place(original: Topology, module: NormalizedModule, applicationOrder: string[]): { topology: Topology; changes: string[] } {
  const name = module.name.fileName;
  const companion = module.placeWith;
  const changes: string[] = [];
  const units: Record<string, Unit> = {};

  for (const [unitName, unit] of Object.entries(original.units)) {
    if (!Array.isArray(unit.hosts)) {
      units[unitName] = { ...unit };
      continue;
    }
    const hosts = unit.hosts.flatMap((host) => {
      const [hostModule, tier] = host.split('/');
      if (hostModule !== companion || tier === undefined) return [host];
      changes.push(`${unitName} hosts ${name}/${tier}`);
      return [host, `${name}/${tier}`];
    });
    units[unitName] = { ...unit, hosts };
  }

  if (module.jobs) {
    const entries = Object.entries(units);
    const runsAll = entries.some(([, unit]) => unit.workers?.includes('*'));
    const target =
      entries.find(([, unit]) => unit.workers?.includes(companion)) ??
      entries.find(([, unit]) => (unit.workers?.length ?? 0) > 0 && (unit.hosts?.length ?? 0) === 0) ??
      entries.find(([, unit]) => hostsTier(unit, name, 'data-access'));
    if (!runsAll && target) {
      const [unitName, unit] = target;
      const workers = [...(unit.workers ?? [])];
      const rank = (entry: string) => (applicationOrder.includes(entry) ? applicationOrder.indexOf(entry) : Infinity);
      const before = workers.findIndex((entry) => rank(entry) > rank(companion));
      workers.splice(before === -1 ? workers.length : before, 0, name);
      units[unitName] = withWorkers(unit, workers);
      changes.push(`${unitName} runs the ${name} workers`);
    }
  }
  return { topology: { ...original, units }, changes };
}

function hostsTier(unit: Unit, module: string, tier: string): boolean {
  return (unit.hosts ?? []).some((host) => host === '*' || host === `${module}/*` || host === `${module}/${tier}` || host === `*/${tier}`);
}

/** `workers` in place, or right after `hosts` when the unit had none. */
function withWorkers(unit: Unit, workers: string[]): Unit {
  if ('workers' in unit) return { ...unit, workers };
  const result: Unit = {};
  for (const [key, value] of Object.entries(unit)) {
    result[key] = value;
    if (key === 'hosts') result['workers'] = workers;
  }
  if (!('workers' in result)) result['workers'] = workers;
  return result;
}
