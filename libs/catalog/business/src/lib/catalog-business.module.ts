import { Global, Module } from '@nestjs/common';
import { CatalogPort } from '@strata/catalog/contracts';
import { CatalogService } from './catalog.service';

/**
 * The catalog's business tier: serves {@link CatalogPort}. It needs a `ProductRepository`, which
 * the unit's composition provides (in the monolith, locally from the data-access tier).
 */
@Global()
@Module({
  providers: [{ provide: CatalogPort, useClass: CatalogService }],
  exports: [CatalogPort],
})
export class CatalogBusinessModule {}
