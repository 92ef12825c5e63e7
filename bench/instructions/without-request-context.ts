import { AsyncLocalStorage } from 'node:async_hooks';

/*
 * Preloaded (`node -r`) into one target of the instructions part only, to tell what the request
 * context costs: `AsyncLocalStorage` never turns on, so Node installs no promise hooks. nestjs-cls
 * turns its storage on as soon as it is imported (`enterWith`), so leaving out the pipeline's
 * `runWith` alone would measure nothing. Reads still answer; what needs the context (request ids
 * on lines logged inside a request, idempotency keys, calls to other units) does not work.
 */
AsyncLocalStorage.prototype.run = function run<R, A extends unknown[]>(_store: unknown, callback: (...args: A) => R, ...args: A): R {
  return callback(...args);
};
AsyncLocalStorage.prototype.enterWith = function enterWith(): void {
  // never entered: see above
};
