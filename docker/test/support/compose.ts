import { parse } from 'yaml';
import { readWorkspaceFile } from './workspace';

/** The parts of a compose service the tests read. */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
  volumes?: string[];
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** A compose file as compose reads it: YAML with merge keys (`<<: *anchor`), before interpolation. */
export function readCompose(path: string): ComposeFile {
  return parse(readWorkspaceFile(path), { merge: true }) as ComposeFile;
}

/**
 * Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME:?message}` (and `$$`) in
 * `value`, with `variables` as the shell environment. Throws where compose would refuse to start.
 */
export function interpolate(value: string, variables: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g,
    (match, name?: string, operator?: string, operand?: string) => {
      if (match === '$$') return '$';
      const set = variables[name!];
      if (set) return set;
      if (operator === ':-') return operand!;
      if (operator === ':?') throw new Error(`required variable ${name} is missing a value: ${operand}`);
      return '';
    },
  );
}

/** Compose durations such as `15s`, `1m30s`, in milliseconds. */
export function durationMs(duration: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== duration) throw new Error(`not a compose duration: ${duration}`);
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit], 0);
}
