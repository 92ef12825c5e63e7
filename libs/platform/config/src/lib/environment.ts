import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength, validateSync } from 'class-validator';

const toBoolean = ({ value }: { value: unknown }) =>
  value === undefined ? undefined : value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const toInteger = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The environment variables Strata reads, validated as they arrive. Property names are the
 * variable names, so every validation message names the variable to fix.
 */
class EnvironmentVariables {
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsString()
  @MinLength(1)
  HOST?: string;

  @IsOptional()
  @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true })
  DATABASE_URL?: string;

  @IsOptional()
  @IsUrl({ protocols: ['redis', 'rediss'], require_tld: false, require_protocol: true })
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
  @IsIn(LOG_LEVELS)
  LOG_LEVEL?: LogLevel;

  @IsOptional()
  @IsIn(LOG_FORMATS)
  LOG_FORMAT?: LogFormat;
}

/** The typed configuration of one process, parsed once at boot and injected everywhere as is. */
export class StrataConfig {
  readonly http: { port: number; host: string; bodyLimitBytes: number };
  readonly database: {
    /** Unset: `npm start` runs an embedded PostgreSQL. */
    url?: string;
    embedded: { dataDir: string; port: number };
    runMigrations: boolean;
  };
  readonly queue: {
    /** Unset: the BullMQ queue lives on the PostgreSQL database. */
    redisUrl?: string;
    workerConcurrency: number;
  };
  readonly log: {
    level: LogLevel;
    /** JSON lines for machines; coloured lines for a person at a terminal (the default there). */
    format: LogFormat;
  };

  constructor(values: Pick<StrataConfig, 'http' | 'database' | 'queue' | 'log'>) {
    this.http = values.http;
    this.database = values.database;
    this.queue = values.queue;
    this.log = values.log;
  }
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigurationError';
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
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const vars = plainToInstance(EnvironmentVariables, present, { excludeExtraneousValues: false });
  const errors = validateSync(vars, { stopAtFirstError: true, forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigurationError(
      errors.flatMap((error) => Object.values(error.constraints ?? {}).map((message) => `${message} (got ${JSON.stringify(error.value)})`)),
    );
  }
  return new StrataConfig({
    http: {
      port: vars.PORT ?? 3000,
      host: vars.HOST ?? '0.0.0.0',
      bodyLimitBytes: vars.BODY_LIMIT_BYTES ?? 100 * 1024,
    },
    database: {
      url: vars.DATABASE_URL,
      embedded: { dataDir: vars.EMBEDDED_POSTGRES_DIR ?? '.data/postgres', port: vars.EMBEDDED_POSTGRES_PORT ?? 5488 },
      runMigrations: vars.MIGRATIONS_RUN ?? true,
    },
    queue: { redisUrl: vars.REDIS_URL, workerConcurrency: vars.WORKER_CONCURRENCY ?? 10 },
    log: { level: vars.LOG_LEVEL ?? 'info', format: vars.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json') },
  });
}
