import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { ConfigurationError } from '@strata/platform/config';
import { runUnit } from '@strata/platform/runtime';
import { application } from './application';

/**
 * Modules read their own settings (`loadSettings`) while Nest builds them. Nest reports an error
 * thrown then through its logger, as a stack trace, and exits with status 1 itself, before
 * `runUnit` sees it. Until the unit's own logger takes over, this logger prints a bad setting as
 * `runUnit` prints a bad platform variable: the message naming the variable, nothing else.
 */
class BootLogger extends ConsoleLogger {
  override error(message: unknown, ...rest: unknown[]): void {
    if (message instanceof ConfigurationError) console.error(message.message);
    else super.error(message, ...rest);
  }
}
Logger.overrideLogger(new BootLogger());

// One program for every unit of every topology: TOPOLOGY and UNIT say which one this process is.
runUnit(application);
