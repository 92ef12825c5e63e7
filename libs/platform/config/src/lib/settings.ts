import { ConfigurationError, readVariables } from './variables';

/**
 * Reads a module's own settings from the environment, validated like the platform's variables:
 * a bad value throws a {@link ConfigurationError} naming every bad variable (never echoing one
 * marked `@Secret()`). A module owns its settings, so its services inject this small object, not
 * the process's `StrataConfig` (which holds the internal secret).
 *
 * The settings class's properties are the variable names; their initialisers are the defaults.
 * `docker/test` finds every class passed here to learn which variables the app reads.
 *
 * @example
 * export class OrdersSettings {
 *   @Transform(toInteger) @IsInt() @Min(100)
 *   readonly SETTLE_AFTER_MS: number = 60_000;
 * }
 * // in the module that owns it, so only a unit hosting that module reads (and checks) it:
 * providers: [{ provide: OrdersSettings, useFactory: () => loadSettings(OrdersSettings, process.env) }]
 */
export function loadSettings<T extends object>(Settings: new () => T, env: NodeJS.ProcessEnv): T {
  const { values, problems } = readVariables(Settings, env);
  if (problems.length > 0) throw new ConfigurationError(problems);
  return values;
}
