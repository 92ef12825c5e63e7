import { createTestDatabase, type TestDatabase } from '@strata/platform/testing';
import { DataSource, getMetadataArgsStorage } from 'typeorm';
import { application } from './application';

/**
 * What TypeORM's schema builder would run to make the database match the entities (what
 * `synchronize` does), that would add a table, a column or a type, or change a column's type or
 * nullability: an entity changed without its migration, whose queries would fail at run time.
 * What only the migrations declare (check constraints, indexes, defaults, foreign keys under their
 * own names, a column no entity maps) is the database's own business, not drift.
 */
const DRIFT = /^CREATE (TABLE|TYPE)\b|\bADD "|\bALTER COLUMN "[^"]+" (TYPE|SET NOT NULL|DROP NOT NULL)\b/;

describe("the application's entities and its migrations", () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase(); // every real migration applied
    // Every entity of every module: importing the application loaded them all.
    const entities = getMetadataArgsStorage().tables.map((table) => table.target);
    dataSource = await new DataSource({ type: 'postgres', url: database.url, entities }).initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('maps entities of every module', () => {
    const schemas = new Set(dataSource.entityMetadatas.map((entity) => entity.schema));
    expect([...schemas].sort()).toEqual(
      expect.arrayContaining(Object.keys(application.modules).map((module) => module.replace(/-/g, '_'))),
    );
  });

  it('the migrations create every table and column the entities map, with its type and nullability (a changed entity needs its migration)', async () => {
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();

    expect(upQueries.map((query) => query.query).filter((query) => DRIFT.test(query))).toEqual([]);
  });
});
