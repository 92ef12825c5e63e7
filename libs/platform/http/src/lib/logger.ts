import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { ClsServiceManager } from 'nestjs-cls';
import type { StrataConfig } from '@strata/platform/config';

const loggers = new WeakMap<StrataConfig, Logger>();

/**
 * The process's one pino logger. Every line names the unit that wrote it, and every line logged
 * while handling a request, an internal call or a job carries its request id. In `pretty` format a worker thread formats the lines, so there is one per process.
 */
export function createLogger(config: StrataConfig): Logger {
  let logger = loggers.get(config);
  if (!logger) {
    logger = pino({
      level: config.log.level,
      // Which unit wrote the line: logs of a split deployment end up in one place.
      base: { pid: process.pid, hostname: hostname(), ...(config.unit.name ? { unit: config.unit.name } : {}) },
      mixin: () => {
        const requestId = ClsServiceManager.getClsService().getId();
        return requestId ? { requestId } : {};
      },
      ...(config.log.format === 'pretty'
        ? { transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' } } }
        : {}),
    });
    loggers.set(config, logger);
  }
  return logger;
}
