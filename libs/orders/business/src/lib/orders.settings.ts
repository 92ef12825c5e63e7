import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { ConfigurationError, toInteger } from '@strata/platform/config';

/**
 * The orders module's own settings, read from the environment by `OrdersBusinessModule` with
 * `loadSettings`: property names are the variable names, initialisers the defaults.
 */
export class OrdersSettings {
  /**
   * How long placing an order may take before its safety-net job (`orders.settle`) settles what
   * it left half-done. Must be far longer than the slowest placement: at least
   * {@link SETTLE_AFTER_CALL_DEADLINES} times `CALL_TIMEOUT_MS` (see {@link checkSettleDelay}).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(24 * 3600 * 1000)
  readonly SETTLE_AFTER_MS: number = 60_000;
}

/**
 * A placement runs within its caller's deadline (`CALL_TIMEOUT_MS`, inherited by every call it
 * makes; the edge allows twice that), and its last statement may still be finishing when the
 * deadline passes: the settle delay must outlast that several times over.
 */
export const SETTLE_AFTER_CALL_DEADLINES = 3;

/**
 * Refuses a settle delay too short for the transport's call deadline. A shorter one is not unsafe
 * (a placement still recording its order when settle runs is refused, see ADR 0010), but it
 * would abandon orders that are merely slow.
 */
export function checkSettleDelay(settings: OrdersSettings, transport: { callTimeoutMs: number }): OrdersSettings {
  const minimum = SETTLE_AFTER_CALL_DEADLINES * transport.callTimeoutMs;
  if (settings.SETTLE_AFTER_MS < minimum) {
    throw new ConfigurationError([
      `SETTLE_AFTER_MS must be at least ${SETTLE_AFTER_CALL_DEADLINES} times CALL_TIMEOUT_MS, the deadline of a placement ` +
        `(got SETTLE_AFTER_MS=${settings.SETTLE_AFTER_MS}, CALL_TIMEOUT_MS=${transport.callTimeoutMs})`,
    ]);
  }
  return settings;
}
