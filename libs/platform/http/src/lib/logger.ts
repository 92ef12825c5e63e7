import pino, { type Logger } from 'pino';
import { ClsServiceManager } from 'nestjs-cls';
import type { StrataConfig } from '@strata/platform/config';

const loggers = new WeakMap<StrataConfig, Logger>();

/**
 * The process's one pino logger. Every line logged while handling a request or a job carries
 * its request id. In `pretty` format a worker thread formats the lines, so there is one per process.
 */
export function createLogger(config: StrataConfig): Logger {
  let logger = loggers.get(config);
  if (!logger) {
    logger = pino({
      level: config.log.level,
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
