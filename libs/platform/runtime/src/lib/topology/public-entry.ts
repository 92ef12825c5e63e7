import type { UnitPlan } from './plan-topology';

/** Where the public API is served when `PORT` does not say: the edge, or the only API unit. */
export const DEFAULT_PUBLIC_PORT = 3000;

/** The units that serve the public API (host a presentation tier). */
export function apiUnitsOf(plans: Iterable<UnitPlan>): UnitPlan[] {
  return [...plans].filter((plan) => plan.api);
}

/**
 * Whether the public API needs an edge in front of it: more than one unit serves part of it, so
 * one address must send each route to its unit. With one API unit, that unit is the public entry.
 */
export function needsEdge(plans: Iterable<UnitPlan>): boolean {
  return apiUnitsOf(plans).length > 1;
}

/**
 * On one machine the public entry listens on the public port and every other unit on its own
 * ports: a unit whose `httpPort` or `internalPort` is the public port would take the entry's
 * place. The entry is the edge in front of several API units, or `publicUnit`, the only API unit,
 * which listens there itself (its own `httpPort` is replaced by the public port). One message per
 * such port, saying what to change.
 */
export function publicPortProblems(plans: Iterable<UnitPlan>, publicPort: number, publicUnit?: string): string[] {
  const entry = publicUnit
    ? `where unit ${publicUnit} serves the API`
    : "where the edge serves the API of this topology's several API units";
  const problems: string[] = [];
  for (const plan of plans) {
    for (const [kind, port] of [
      ['httpPort', plan.unit === publicUnit ? undefined : plan.httpPort],
      ['internalPort', plan.internalPort],
    ] as const) {
      if (port === publicPort) {
        problems.push(
          `unit ${plan.unit}'s ${kind} ${port} is the public port, ${entry}: give ${plan.unit} another ${kind}, or set PORT to another public port`,
        );
      }
    }
  }
  return problems;
}
