import type { DataSource, EntityMetadata, EntitySubscriberInterface, EntityTarget, ObjectLiteral } from 'typeorm';
import { PreparedStatement } from './prepared-statement';

/**
 * An entity read by its primary key as one {@link PreparedStatement}, hydrated by TypeORM's own
 * metadata: the entity TypeORM's `findOneBy({ id })` answers, for 40 % of its CPU. `findOneBy`
 * builds the query anew on every call (find options, aliases, the SQL text), runs it on a query
 * runner of its own and sends it unnamed, so PostgreSQL parses and plans it every time: measured
 * alone, 100 to 110 µs of CPU a read against 40 to 45 (ADR 0020).
 *
 * It runs on the data source's pool, so never inside a transaction: a read in one goes through its
 * `EntityManager`. A read that loads relations (an order with its lines) stays TypeORM's `find`.
 *
 * The statement is built from the entity's metadata the first time it runs on a data source: it
 * selects every column `findOneBy` would, skips rows a soft delete removed, as `findOneBy` does, and
 * hydrates each value by the driver and the column's transformer. An entity this read could not
 * answer as `findOneBy` would (relations loaded eagerly, table inheritance, virtual columns, load
 * listeners or subscribers) is refused on the first read, naming why: read it with `findOneBy`.
 */
export class FindByIdStatement<Entity extends ObjectLiteral> {
  private readonly built = new WeakMap<DataSource, BuiltRead<Entity>>();

  constructor(private readonly entity: EntityTarget<Entity>) {}

  async run(dataSource: DataSource, id: unknown): Promise<Entity | null> {
    let read = this.built.get(dataSource);
    if (!read) {
      read = buildRead(dataSource, dataSource.getMetadata(this.entity));
      this.built.set(dataSource, read);
    }
    const [row] = await read.statement.run(dataSource, [id]);
    return row ? read.hydrate(row) : null;
  }
}

interface BuiltRead<Entity> {
  statement: PreparedStatement<Record<string, unknown>>;
  hydrate(row: Record<string, unknown>): Entity;
}

function buildRead<Entity>(dataSource: DataSource, metadata: EntityMetadata): BuiltRead<Entity> {
  const refused = whyNotReadById(dataSource, metadata);
  if (refused) throw new Error(`FindByIdStatement cannot read ${metadata.name}: ${refused}; read it with findOneBy`);
  const { driver } = dataSource;
  const columns = metadata.columns.filter((column) => column.isSelect);
  const [primary] = metadata.primaryColumns;
  const quote = (name: string) => driver.escape(name);
  const table = metadata.schema ? `${quote(metadata.schema)}.${quote(metadata.tableName)}` : quote(metadata.tableName);
  const notDeleted = metadata.deleteDateColumn ? ` AND ${quote(metadata.deleteDateColumn.databaseName)} IS NULL` : '';
  const text = `SELECT ${columns.map((column) => quote(column.databaseName)).join(', ')} FROM ${table} WHERE ${quote(primary.databaseName)} = $1${notDeleted}`;
  return {
    statement: new PreparedStatement(`${metadata.tablePath}.by-id`, text),
    hydrate(row) {
      const entity = metadata.create(undefined, { fromDeserializer: true }) as Entity & ObjectLiteral;
      for (const column of columns) column.setEntityValue(entity, driver.prepareHydratedValue(row[column.databaseName], column));
      return entity;
    },
  };
}

/** What keeps `findOneBy`'s answer for `metadata` from being one table's row, if anything. */
function whyNotReadById(dataSource: DataSource, metadata: EntityMetadata): string | undefined {
  if (metadata.primaryColumns.length !== 1) return 'its primary key is not one column';
  if (metadata.eagerRelations.length > 0) return 'it loads relations eagerly';
  if (metadata.discriminatorColumn || metadata.childEntityMetadatas.length > 0 || metadata.parentEntityMetadata) {
    return 'it is part of a table inheritance';
  }
  if (metadata.columns.some((column) => column.isVirtualProperty || column.relationMetadata)) {
    return 'it has virtual or relation columns';
  }
  if (metadata.afterLoadListeners.length > 0) return 'it has @AfterLoad listeners';
  if (dataSource.subscribers.some((subscriber) => subscriber.afterLoad && listensTo(subscriber, metadata.target))) {
    return 'a subscriber listens to its loads';
  }
  return undefined;
}

/** Whether TypeORM hands `target`'s events to `subscriber` (as its `Broadcaster` decides). */
function listensTo(subscriber: EntitySubscriberInterface, target: EntityMetadata['target']): boolean {
  const listened = subscriber.listenTo?.() as EntityMetadata['target'] | undefined;
  return (
    !listened ||
    listened === Object ||
    listened === target ||
    (typeof listened === 'function' && Object.prototype.isPrototypeOf.call(listened, target))
  );
}
