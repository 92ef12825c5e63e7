import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { toInteger } from '@strata/platform/config';

/**
 * The orders module's own settings, read from the environment by `OrdersBusinessModule` with
 * `loadSettings`: property names are the variable names, initialisers the defaults.
 */
export class OrdersSettings {
  /**
   * How long placing an order may take before its safety-net job (`orders.settle`) settles what
   * it left half-done. Must be far longer than the slowest placement (each call has a deadline).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(24 * 3600 * 1000)
  readonly SETTLE_AFTER_MS: number = 60_000;
}
