import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * A statement PostgreSQL parses once per connection and then only executes, run on the data
 * source's own connection pool. TypeORM sends every query unnamed, so PostgreSQL parses and plans
 * it on every call: nothing for a short statement, but most of the cost of a hot path's longer
 * one (measured: parse and bind took twice as long as executing the order placement's
 * statements). The name must be unique in the application; the text never changes.
 */
export class PreparedStatement<Row> {
  constructor(
    readonly name: string,
    readonly text: string,
  ) {}

  async run(dataSource: DataSource, values: unknown[]): Promise<Row[]> {
    const pool = (dataSource.driver as PostgresDriver).master as Pool;
    const result = await pool.query<Row & object>({ name: this.name, text: this.text, values });
    return result.rows;
  }
}
