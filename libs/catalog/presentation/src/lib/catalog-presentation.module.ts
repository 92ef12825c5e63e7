import { Module } from '@nestjs/common';
import { ProductsController } from './products.controller';

/** The catalog's HTTP endpoints; they call {@link CatalogPort}, wherever it is served. */
@Module({ controllers: [ProductsController] })
export class CatalogPresentationModule {}
