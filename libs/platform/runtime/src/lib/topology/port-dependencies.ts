import type { Provider, Type } from '@nestjs/common';
import { portSpecOf, type PortClass } from '@strata/platform/ports';

/** The ports a Nest module offers to the rest of the unit, and the ports its classes inject. */
export interface PortDependencies {
  provides: PortClass[];
  needs: PortClass[];
}

/**
 * Reads a tier's ports from its Nest module's own metadata: exports that are ports are what it
 * provides; constructor parameters of its providers and controllers that are ports are what it
 * needs. Deriving them (rather than listing them next to the topology) means a new dependency
 * between tiers is placed correctly without anyone remembering to declare it.
 */
export function portDependenciesOf(module: Type<unknown>): PortDependencies {
  const exports = (Reflect.getMetadata('exports', module) ?? []) as unknown[];
  const providers = (Reflect.getMetadata('providers', module) ?? []) as Provider[];
  const controllers = (Reflect.getMetadata('controllers', module) ?? []) as Type<unknown>[];

  const provides = exports.filter((token): token is PortClass => portSpecOf(token) !== undefined);
  const injected = [...providers.flatMap(injectedTokensOf), ...controllers.flatMap(constructorTokensOf)];
  const needs = [...new Set(injected.filter((token): token is PortClass => portSpecOf(token) !== undefined))].filter(
    (port) => !provides.includes(port),
  );
  return { provides, needs };
}

function injectedTokensOf(provider: Provider): unknown[] {
  if (typeof provider === 'function') return constructorTokensOf(provider);
  if ('useClass' in provider) return constructorTokensOf(provider.useClass);
  if ('useFactory' in provider)
    return (provider.inject ?? []).map((token) => (typeof token === 'object' && token && 'token' in token ? token.token : token));
  if ('useExisting' in provider) return [provider.useExisting];
  return [];
}

/** Constructor parameter tokens: the declared types, overridden by any `@Inject(token)`. */
function constructorTokensOf(type: Type<unknown>): unknown[] {
  const tokens = [...((Reflect.getMetadata('design:paramtypes', type) ?? []) as unknown[])];
  for (const { index, param } of (Reflect.getMetadata('self:paramtypes', type) ?? []) as { index: number; param: unknown }[]) {
    tokens[index] = param;
  }
  return tokens;
}
