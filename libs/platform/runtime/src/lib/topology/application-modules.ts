import type { Type } from '@nestjs/common';

export const TIERS = ['presentation', 'business', 'data-access'] as const;
export type Tier = (typeof TIERS)[number];

/** One business module's Nest modules: one per tier, and its job handlers if it has jobs. */
export type ModuleTiers = { [tier in Tier]: Type<unknown> } & { workers?: Type<unknown> };

/**
 * Every business module of an application, by name: what a topology places into units. The app
 * declares it once (`apps/server/src/application.ts`); the generator adds an entry per module.
 *
 * @example
 * export const application: ApplicationModules = {
 *   catalog: { presentation: CatalogPresentationModule, business: CatalogBusinessModule, 'data-access': CatalogDataAccessModule },
 * };
 */
export type ApplicationModules = Record<string, ModuleTiers>;

/** A (module, tier) pair as topologies write it: `catalog/business`. */
export type TierRef = `${string}/${Tier}`;
