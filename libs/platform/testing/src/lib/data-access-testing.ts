import { Test, type TestingModule } from '@nestjs/testing';
import type { Type } from '@nestjs/common';
import { DatabaseModule } from '@strata/platform/database';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface DataAccessTestContext {
  module: TestingModule;
  database: TestDatabase;
  close(): Promise<void>;
}

/**
 * A data-access tier on its own, wired to a fresh, fully migrated database: what the repository
 * integration tests run against.
 *
 * @example
 * const context = await startDataAccess(CatalogDataAccessModule);
 * const products = context.module.get(ProductRepository);
 */
export async function startDataAccess(dataAccessModule: Type<unknown>): Promise<DataAccessTestContext> {
  const database = await createTestDatabase();
  const module = await Test.createTestingModule({
    imports: [DatabaseModule.forRoot({ url: database.url, migrations: [], runMigrations: false }), dataAccessModule],
  }).compile();
  await module.init();
  return {
    module,
    database,
    close: async () => {
      await module.close();
      await database.drop();
    },
  };
}
