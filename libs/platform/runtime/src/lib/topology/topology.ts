import { ExplainedError } from '@strata/platform/config';
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import schema from './topology.schema.json';

/** One unit as a topology file declares it. */
export interface UnitDeclaration {
  description?: string;
  hosts?: string[];
  workers?: string[];
  httpPort: number;
  internalPort?: number;
}

/** A topology as written in `topologies/*.json`: data, validated against `topology.schema.json`. */
export interface Topology {
  /** The shipped name, or the file it was read from. */
  name: string;
  description?: string;
  units: Record<string, UnitDeclaration>;
}

/** A topology that cannot run: the message says what is wrong and where. */
export class TopologyError extends ExplainedError {
  constructor(
    readonly topology: string,
    readonly problems: string[],
  ) {
    super(`Topology ${topology} cannot run:\n  - ${problems.join('\n  - ')}`);
    this.name = 'TopologyError';
  }
}

/** What a topology file must look like (`topologies/*.json` name it as their `$schema`). */
export const TOPOLOGY_SCHEMA = schema;

// The schema is checked against JSON Schema's own by a test, not on every start (a third of the compile).
const validateShape = new Ajv({ allErrors: true, allowUnionTypes: true, validateSchema: false }).compile(TOPOLOGY_SCHEMA);

/**
 * Reads the topology `TOPOLOGY` names: one of the shipped ones by name, or a JSON file by path.
 * Checks its shape only; whether it can run with the application's modules is `planTopology`'s job.
 */
export function loadTopology(nameOrPath: string, shipped: Record<string, unknown>): Topology {
  if (Object.hasOwn(shipped, nameOrPath)) return parseTopology(nameOrPath, shipped[nameOrPath]);
  if (!/[/\\]|\.json$/.test(nameOrPath)) {
    throw new TopologyError(nameOrPath, [
      `there is no shipped topology of that name (shipped: ${Object.keys(shipped).join(', ')}); give a path to use a file`,
    ]);
  }
  let text: string;
  try {
    text = readFileSync(resolve(nameOrPath), 'utf8');
  } catch (error) {
    throw new TopologyError(nameOrPath, [`cannot read the file: ${(error as Error).message}`]);
  }
  try {
    return parseTopology(nameOrPath, JSON.parse(text));
  } catch (error) {
    if (error instanceof TopologyError) throw error;
    throw new TopologyError(nameOrPath, [`not valid JSON: ${(error as Error).message}`]);
  }
}

export function parseTopology(name: string, value: unknown): Topology {
  if (!validateShape(value)) {
    throw new TopologyError(
      name,
      (validateShape.errors ?? [])
        .filter((error) => error.keyword !== 'propertyNames') // its sub-error below names the culprit
        .map((error) => {
          const where = `${error.instancePath || '(root)'}${error.propertyName ? ` unit name "${error.propertyName}"` : ''}`;
          const extra = 'additionalProperty' in error.params ? ` (${error.params.additionalProperty})` : '';
          return `${where} ${error.message}${extra}`;
        }),
    );
  }
  const { description, units } = value as Omit<Topology, 'name'>;
  return { name, description, units };
}
