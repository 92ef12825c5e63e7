import { hostname } from 'node:os';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { ClsServiceManager } from 'nestjs-cls';
import { redactCredentials, type StrataConfig } from '@strata/platform/config';
import { bufferedDestination } from './log-destination';

const loggers = new WeakMap<StrataConfig, Logger>();

/**
 * The process's one pino logger. Every line names the unit that wrote it, and every line logged
 * while handling a request, an internal call or a job carries its request id. In `pretty` format
 * a worker thread formats the lines, so there is one logger per process.
 */
export function createLogger(config: StrataConfig): Logger {
  let logger = loggers.get(config);
  if (!logger) {
    const options: LoggerOptions = {
      level: config.log.level,
      // Which unit wrote the line: logs of a split deployment end up in one place.
      base: { pid: process.pid, hostname: hostname(), ...(config.unit.name ? { unit: config.unit.name } : {}) },
      // A URL's password never reaches the log, whoever logs it (a driver's error, a message).
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map(redactArgument) as Parameters<typeof method>);
        },
      },
      mixin: () => {
        const requestId = ClsServiceManager.getClsService().getId();
        return requestId ? { requestId } : {};
      },
    };
    logger =
      config.log.format === 'pretty'
        ? pino({ ...options, transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' } } })
        : pino(options, bufferedDestination(1));
    loggers.set(config, logger);
  }
  return logger;
}

/** A log call's argument with the passwords of URLs in it (and in its string properties) replaced. */
export function redactArgument(argument: unknown): unknown {
  if (typeof argument === 'string') return redactCredentials(argument);
  if (argument instanceof Error) {
    const message = redactCredentials(argument.message);
    const stack = argument.stack && redactCredentials(argument.stack);
    if (message === argument.message && stack === argument.stack) return argument;
    return { type: argument.name, message, stack };
  }
  if (argument && typeof argument === 'object' && !Array.isArray(argument)) {
    // Copied only when something was redacted: a log line per request must not copy every object.
    let redacted: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(argument)) {
      if (typeof value !== 'string' && !(value instanceof Error)) continue;
      const safe = redactArgument(value);
      if (safe !== value) (redacted ??= { ...argument })[key] = safe;
    }
    return redacted ?? argument;
  }
  return argument;
}
