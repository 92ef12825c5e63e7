import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ConfigurationError, parseUrl, readVariables, toInteger } from './variables';

/** The edge's own variables; the rest (`PORT`, `HOST`, `BODY_LIMIT_BYTES`, `LOG_*`, `TOPOLOGY`...) are the platform's. */
class EdgeVariables {
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(600_000)
  EDGE_TIMEOUT_MS?: number;
}

/** `UPSTREAM_<UNIT>=http://host:port`: where the edge finds a unit's HTTP server. */
const UPSTREAM_VARIABLE = /^UPSTREAM_([A-Z][A-Z0-9_]*)$/;

/** What the edge in front of a topology's API units reads from its environment. */
export interface EdgeConfig {
  /** How long a unit has to answer a request (its response headers, then each chunk of its body) before the edge answers 504. */
  timeoutMs: number;
  /** Units' HTTP base URLs from `UPSTREAM_<UNIT>`, by unit name; the others are on 127.0.0.1 at their topology `httpPort`. */
  upstreams: Record<string, string>;
}

/**
 * Parses the edge's variables: `EDGE_TIMEOUT_MS` (default twice `CALL_TIMEOUT_MS`, given from the
 * platform's configuration, so a unit's own
 * 504 for a slow call between units arrives before the edge gives up on it) and `UPSTREAM_<UNIT>`.
 * Throws a {@link ConfigurationError} naming every bad variable.
 */
export function loadEdgeConfig(env: NodeJS.ProcessEnv, callTimeoutMs: number): EdgeConfig {
  const { values, problems } = readVariables(EdgeVariables, env);
  const upstreams: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const upstream = UPSTREAM_VARIABLE.exec(name);
    if (!upstream || value === undefined || value === '') continue;
    const url = parseUrl(value);
    if (!url || !['http:', 'https:'].includes(url.protocol) || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
      problems.push(`${name} must be an http:// or https:// URL without a path, e.g. http://orders:3000 (got ${JSON.stringify(value)})`);
      continue;
    }
    upstreams[upstream[1].toLowerCase().replace(/_/g, '-')] = url.origin;
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return { timeoutMs: values.EDGE_TIMEOUT_MS ?? 2 * callTimeoutMs, upstreams };
}
