import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotIn, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { FETCH_BLOCKED_PORT_REASON, FETCH_BLOCKED_PORTS } from './port-in-use';
import { ConfigurationError, parseUrl, readVariables, redactCredentials, Secret, toBoolean, toInteger, toLowerCase } from './variables';

/** The shortest `INTERNAL_AUTH_SECRET` accepted: 32 random bytes as hex or base64 are longer. */
export const MIN_SECRET_LENGTH = 32;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The environment variables the platform reads, validated as they arrive. Property names are the
 * variable names, so every validation message names the variable to fix. A module's own
 * variables are not here: the module declares them and reads them with `loadSettings`.
 */
/**
 * A DATABASE_URL names its database: without one PostgreSQL picks the user's default (`postgres`,
 * the server's maintenance database), where the kit silently created its schemas; a trailing `/`
 * (`.../strata/`) made a database named `strata/`.
 */
function databaseNameProblem(url: string): string | undefined {
  const path = parseUrl(url)?.pathname ?? '';
  if (/^\/[^/]+$/.test(path)) return undefined;
  return `DATABASE_URL must name its database, e.g. postgres://user:password@host:5432/strata (got ${JSON.stringify(redactCredentials(url))})`;
}

/** Every `%` starts a percent-escape (`%40`): a lone one made the database driver throw URIError. */
const PERCENT_ESCAPES_DECODE = /^(?:[^%]|%[0-9A-Fa-f]{2})*$/;

class EnvironmentVariables {
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(65535)
  @IsNotIn([...FETCH_BLOCKED_PORTS], { message: `PORT is ${FETCH_BLOCKED_PORT_REASON}: choose another` })
  PORT?: number;

  @IsOptional()
  @IsString()
  @MinLength(1)
  HOST?: string;

  @IsOptional()
  @IsUrl(
    { protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true },
    {
      message:
        'DATABASE_URL must be a postgres:// or postgresql:// URL, e.g. postgres://user:password@host:5432/db, ' +
        'with @ : / # % in the user or password percent-encoded (%40 %3A %2F %23 %25)',
    },
  )
  @Matches(PERCENT_ESCAPES_DECODE, { message: 'DATABASE_URL has a % that is not a percent-escape (%25 is a literal %)' })
  DATABASE_URL?: string;

  @IsOptional()
  @IsUrl(
    { protocols: ['redis', 'rediss'], require_tld: false, require_protocol: true },
    {
      message:
        'REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://host:6379, ' +
        'with @ : / # % in the user or password percent-encoded (%40 %3A %2F %23 %25)',
    },
  )
  @Matches(PERCENT_ESCAPES_DECODE, { message: 'REDIS_URL has a % that is not a percent-escape (%25 is a literal %)' })
  REDIS_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  EMBEDDED_POSTGRES_DIR?: string;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_POSTGRES_PORT?: number;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  MIGRATIONS_RUN?: boolean;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  BODY_LIMIT_BYTES?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  WORKER_CONCURRENCY?: number;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'QUEUE_PREFIX may contain only letters, digits, "-" and "_"' })
  QUEUE_PREFIX?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  TOPOLOGY?: string;

  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,30}$/, { message: 'UNIT must be a unit name of the topology: lower-case letters, digits and "-"' })
  UNIT?: string;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(65535)
  INTERNAL_PORT?: number;

  /** Set by the launcher for the processes it starts. */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  LAUNCHER_PID?: number;

  @Secret()
  @IsOptional()
  @IsString()
  @MinLength(MIN_SECRET_LENGTH, { message: `INTERNAL_AUTH_SECRET must be at least ${MIN_SECRET_LENGTH} characters long` })
  INTERNAL_AUTH_SECRET?: string;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(600_000)
  CALL_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  INTERNAL_MAX_MESSAGE_BYTES?: number;

  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'INTERNAL_HOST must be an address to listen on, e.g. 127.0.0.1 or 0.0.0.0' })
  INTERNAL_HOST?: string;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1, { message: 'INTERNAL_MAX_CONNECTIONS must be at least 1' })
  @Max(100_000, { message: 'INTERNAL_MAX_CONNECTIONS must not be greater than 100000' })
  INTERNAL_MAX_CONNECTIONS?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1, { message: 'INTERNAL_MAX_IN_FLIGHT must be at least 1' })
  @Max(100_000, { message: 'INTERNAL_MAX_IN_FLIGHT must not be greater than 100000' })
  INTERNAL_MAX_IN_FLIGHT?: number;

  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'INTERNAL_TLS_CERT must be the path of a PEM certificate' })
  INTERNAL_TLS_CERT?: string;

  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'INTERNAL_TLS_KEY must be the path of a PEM private key' })
  INTERNAL_TLS_KEY?: string;

  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'INTERNAL_TLS_CA must be the path of a PEM CA certificate' })
  INTERNAL_TLS_CA?: string;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_DRAIN_MS?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  REQUEST_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(600_000)
  DATABASE_STATEMENT_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_CONNECT_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  DATABASE_POOL_SIZE?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(8760)
  FAILED_JOBS_KEEP_HOURS?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  FAILED_JOBS_KEEP_COUNT?: number;

  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE?: number;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  DOCS_ENABLED?: boolean;

  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @IsOptional()
  @Transform(toLowerCase)
  @IsIn(LOG_LEVELS)
  LOG_LEVEL?: LogLevel;

  @IsOptional()
  @Transform(toLowerCase)
  @IsIn(LOG_FORMATS)
  LOG_FORMAT?: LogFormat;
}

/** `PEER_<UNIT>=host:port`: where to reach a peer unit, when not on this machine at its topology port. */
/** `REQUEST_TIMEOUT_MS` when unset. */
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const PEER_VARIABLE = /^PEER_([A-Z][A-Z0-9_]*)$/;
const HOST_AND_PORT = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/;

export interface PeerAddress {
  host: string;
  port: number;
}

/** The typed configuration of one process, parsed once at boot and injected everywhere as is. */
export class StrataConfig {
  /** `port` unset: the unit's `httpPort` from the topology. */
  readonly http: {
    port?: number;
    host: string;
    bodyLimitBytes: number;
    /** The most a request may take; past it the client gets a 503 (`http.request_timeout`). */
    requestTimeoutMs: number;
    /** Requests per minute per client address on `/api`; 0: no limit. */
    rateLimitPerMinute: number;
    /** Serve Swagger UI at `/docs` and the document at `/docs-json` (a unit with an API). */
    docsEnabled: boolean;
    /** Web origins whose pages may call the API from a browser (CORS); `*`: any; none: same origin only. */
    corsOrigins: readonly string[] | '*';
  };
  /** Which unit of which topology this process runs. */
  readonly unit: {
    /** A shipped topology's name, or the path of a topology file. */
    topology: string;
    /** Unset: the topology's only unit. */
    name?: string;
    /** Unset: the unit's `internalPort` from the topology. */
    internalPort?: number;
    /** The launcher that started this process (`launch.js`): the process stops when it has ended. */
    launcherPid?: number;
  };
  /** Calls between units. */
  readonly transport: {
    /** Unset is fine for a topology of one unit; any other needs it. */
    secret?: string;
    callTimeoutMs: number;
    maxMessageBytes: number;
    /** The address the internal listener binds: loopback unless a deployment says otherwise. */
    host: string;
    /** Most connections the internal listener keeps open at once. */
    maxConnections: number;
    /** Most calls a unit serves at once; more are refused as not run. */
    maxInFlight: number;
    /** Paths of PEM files: set, internal traffic uses TLS (mutual, with a CA). */
    tls?: { certFile: string; keyFile: string; caFile?: string };
    /** Peer addresses from `PEER_<UNIT>`, by unit name; other peers are on 127.0.0.1. */
    peers: Record<string, PeerAddress>;
  };
  readonly database: {
    /** Unset: `npm start` runs an embedded PostgreSQL. */
    url?: string;
    embedded: { dataDir: string; port: number };
    runMigrations: boolean;
    /** PostgreSQL `statement_timeout` of the unit's connections; 0: none. */
    statementTimeoutMs: number;
    /** The most a query waits for a connection (connecting, or a free one in the pool). */
    connectTimeoutMs: number;
    poolSize: number;
  };
  readonly queue: {
    /** Unset: the BullMQ queue lives on the PostgreSQL database. */
    redisUrl?: string;
    workerConcurrency: number;
    /** Namespaces the queues, so deployments can share one Redis. Unset: BullMQ's default. */
    prefix?: string;
    /** How long, and how many, failed jobs are kept for inspection and retry. */
    keepFailed: { hours: number; count: number };
  };
  readonly shutdown: {
    /** After SIGTERM, how long `/health` answers 503 before the unit stops taking work. */
    drainMs: number;
    /** The most a shutdown may take, from the signal, drain included; past it the process exits anyway. At least drain + request timeout. */
    timeoutMs: number;
  };
  readonly log: {
    level: LogLevel;
    /** JSON lines for machines; coloured lines for a person at a terminal (the default there). */
    format: LogFormat;
  };

  constructor(values: Pick<StrataConfig, 'http' | 'unit' | 'transport' | 'database' | 'queue' | 'shutdown' | 'log'>) {
    this.http = values.http;
    this.unit = values.unit;
    this.transport = values.transport;
    this.database = values.database;
    this.queue = values.queue;
    this.shutdown = values.shutdown;
    this.log = values.log;
  }
}

/**
 * Parses and validates the environment. Throws a {@link ConfigurationError} naming every bad
 * variable; the defaults make a bare `npm start` work.
 *
 * @example
 * const config = loadConfig(process.env); // throws on PORT=abc: "PORT must be an integer number"
 */
export function loadConfig(env: NodeJS.ProcessEnv): StrataConfig {
  const { values: vars, problems } = readVariables(EnvironmentVariables, env);
  const peers: Record<string, PeerAddress> = {};
  for (const [name, value] of Object.entries(env)) {
    const peer = PEER_VARIABLE.exec(name);
    if (!peer || value === undefined || value === '') continue;
    const address = HOST_AND_PORT.exec(String(value));
    if (!address || Number(address[2]) < 1 || Number(address[2]) > 65535) {
      problems.push(`${name} must be host:port (got ${JSON.stringify(value)})`);
      continue;
    }
    peers[peer[1].toLowerCase().replace(/_/g, '-')] = { host: address[1].replace(/^\[|\]$/g, ''), port: Number(address[2]) };
  }
  const corsOrigins = parseCorsOrigins(vars.CORS_ORIGINS ?? '', problems);
  const databaseProblem =
    vars.DATABASE_URL && !problems.some((problem) => problem.startsWith('DATABASE_URL')) && databaseNameProblem(vars.DATABASE_URL);
  if (databaseProblem) problems.push(databaseProblem);
  if (!vars.INTERNAL_TLS_CERT !== !vars.INTERNAL_TLS_KEY || (vars.INTERNAL_TLS_CA && !vars.INTERNAL_TLS_CERT)) {
    problems.push('INTERNAL_TLS_CERT and INTERNAL_TLS_KEY must be set together (and INTERNAL_TLS_CA only with them)');
  }
  const shutdown = shutdownTimes(vars, problems);
  if (problems.length > 0) throw new ConfigurationError(problems);

  return new StrataConfig({
    http: {
      port: vars.PORT,
      host: vars.HOST ?? '0.0.0.0',
      bodyLimitBytes: vars.BODY_LIMIT_BYTES ?? 100 * 1024,
      requestTimeoutMs: vars.REQUEST_TIMEOUT_MS ?? DEFAULT_REQUEST_TIMEOUT_MS,
      rateLimitPerMinute: vars.RATE_LIMIT_PER_MINUTE ?? 0,
      docsEnabled: vars.DOCS_ENABLED ?? true,
      corsOrigins,
    },
    unit: { topology: vars.TOPOLOGY ?? 'monolith', name: vars.UNIT, internalPort: vars.INTERNAL_PORT, launcherPid: vars.LAUNCHER_PID },
    transport: {
      secret: vars.INTERNAL_AUTH_SECRET,
      callTimeoutMs: vars.CALL_TIMEOUT_MS ?? 5000,
      maxMessageBytes: vars.INTERNAL_MAX_MESSAGE_BYTES ?? 1024 * 1024,
      host: vars.INTERNAL_HOST ?? '127.0.0.1',
      maxConnections: vars.INTERNAL_MAX_CONNECTIONS ?? 256,
      maxInFlight: vars.INTERNAL_MAX_IN_FLIGHT ?? 512,
      tls:
        vars.INTERNAL_TLS_CERT && vars.INTERNAL_TLS_KEY
          ? { certFile: vars.INTERNAL_TLS_CERT, keyFile: vars.INTERNAL_TLS_KEY, caFile: vars.INTERNAL_TLS_CA }
          : undefined,
      peers,
    },
    database: {
      url: vars.DATABASE_URL,
      embedded: { dataDir: vars.EMBEDDED_POSTGRES_DIR ?? '.data/postgres', port: vars.EMBEDDED_POSTGRES_PORT ?? 5488 },
      runMigrations: vars.MIGRATIONS_RUN ?? true,
      statementTimeoutMs: vars.DATABASE_STATEMENT_TIMEOUT_MS ?? 10_000,
      connectTimeoutMs: vars.DATABASE_CONNECT_TIMEOUT_MS ?? 1500,
      poolSize: vars.DATABASE_POOL_SIZE ?? 10,
    },
    queue: {
      redisUrl: vars.REDIS_URL,
      workerConcurrency: vars.WORKER_CONCURRENCY ?? 10,
      prefix: vars.QUEUE_PREFIX,
      keepFailed: { hours: vars.FAILED_JOBS_KEEP_HOURS ?? 168, count: vars.FAILED_JOBS_KEEP_COUNT ?? 100_000 },
    },
    shutdown,
    log: { level: vars.LOG_LEVEL ?? 'info', format: vars.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json') },
  });
}

/** How long a stopping unit keeps answering requests after it is told to stop, when it has not been told (`SHUTDOWN_DRAIN_MS`). */
const DEFAULT_DRAIN_MS = 1000;
/** What a shutdown gives, past the last request's timeout, to close the queues and the database connections. */
const SHUTDOWN_CLOSING_MS = 5000;

/**
 * `SHUTDOWN_DRAIN_MS` and `SHUTDOWN_TIMEOUT_MS`. The timeout counts from the signal, and a request
 * taken during the drain may run until its own timeout: a shutdown timeout shorter than the drain
 * plus `REQUEST_TIMEOUT_MS` ended the process with requests unanswered (a SIGTERM while PostgreSQL
 * hung: connections closed, no status). So the default is that, and 5 s to close; a shorter one is refused.
 */
function shutdownTimes(vars: EnvironmentVariables, problems: string[]): StrataConfig['shutdown'] {
  const drainMs = vars.SHUTDOWN_DRAIN_MS ?? DEFAULT_DRAIN_MS;
  const answeredByMs = drainMs + (vars.REQUEST_TIMEOUT_MS ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const timeoutMs = vars.SHUTDOWN_TIMEOUT_MS ?? answeredByMs + SHUTDOWN_CLOSING_MS;
  const alreadyRefused = problems.some((problem) => /^(SHUTDOWN_DRAIN_MS|SHUTDOWN_TIMEOUT_MS|REQUEST_TIMEOUT_MS)\b/.test(problem));
  if (!alreadyRefused && timeoutMs < answeredByMs) {
    problems.push(
      `SHUTDOWN_TIMEOUT_MS (${timeoutMs}) must be at least SHUTDOWN_DRAIN_MS + REQUEST_TIMEOUT_MS (${answeredByMs}), ` +
        'so that a stopping unit answers every request it took: raise it, or leave it unset',
    );
  }
  return { drainMs, timeoutMs };
}

/**
 * `CORS_ORIGINS`: origins as a browser sends them (`https://app.example.com`, `http://localhost:5173`),
 * comma separated, or `*` alone. An origin is a scheme, a host and a port: a trailing `/` is
 * dropped, a path is refused (a browser never sends one, so such an entry could never match).
 */
function parseCorsOrigins(value: string, problems: string[]): readonly string[] | '*' {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.includes('*')) {
    if (entries.length > 1) problems.push(`CORS_ORIGINS must be * alone or a list of origins (got ${JSON.stringify(value)})`);
    return '*';
  }
  const origins: string[] = [];
  for (const entry of entries) {
    const url = parseUrl(entry);
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username) {
      problems.push(`CORS_ORIGINS entries must be origins such as https://app.example.com, without a path (got ${JSON.stringify(entry)})`);
      continue;
    }
    origins.push(url.origin);
  }
  return origins;
}
