import { randomUUID } from 'node:crypto';
import {
  AfterLoad,
  Column,
  CreateDateColumn,
  DataSource,
  DeleteDateColumn,
  Entity,
  type EntitySubscriberInterface,
  EventSubscriber,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { Client, type Pool } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { dropDatabase, ensureDatabaseExists, withDatabase } from './ensure-database';
import { FindByIdStatement } from './find-by-id-statement';

class Point {
  @Column({ type: 'integer' }) x!: number;
  @Column({ type: 'integer' }) y!: number;
}

/** A column of each kind a module's entity uses, and some it might. */
@Entity({ schema: 'by_id', name: 'things' })
class Thing {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'price_cents', type: 'integer' }) priceCents!: number;
  @Column({ type: 'bigint' }) total!: string;
  @Column({ type: 'boolean' }) active!: boolean;
  @Column({ type: 'jsonb' }) lines!: { productId: string; quantity: number }[];
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column({ type: 'text', transformer: { to: (tags: string[]) => tags.join(','), from: (text: string) => text.split(',') } })
  tags!: string[];
  @Column(() => Point) position!: Point;
  @Column({ type: 'text', select: false }) secret!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz' }) deletedAt!: Date | null;
}

@Entity({ schema: 'by_id', name: 'owners' })
class Owner {
  @PrimaryColumn('uuid') id!: string;
}

@Entity({ schema: 'by_id', name: 'owned' })
class Owned {
  @PrimaryColumn('uuid') id!: string;
  @ManyToOne(() => Owner, { eager: true }) owner!: Owner;
}

@Entity({ schema: 'by_id', name: 'lines' })
class Line {
  @PrimaryColumn('uuid') orderId!: string;
  @PrimaryColumn('smallint') position!: number;
}

@Entity({ schema: 'by_id', name: 'listened' })
class Listened {
  @PrimaryColumn('uuid') id!: string;
  loaded = false;
  @AfterLoad() markLoaded() {
    this.loaded = true;
  }
}

@Entity({ schema: 'by_id', name: 'subscribed' })
class Subscribed {
  @PrimaryColumn('uuid') id!: string;
}

@EventSubscriber()
class SubscribedLoads implements EntitySubscriberInterface<Subscribed> {
  listenTo() {
    return Subscribed;
  }
  afterLoad() {
    // Nothing: that it would be called is what matters.
  }
}

describe('FindByIdStatement (PostgreSQL)', () => {
  let url: string;
  let dataSource: DataSource;
  const things = new FindByIdStatement(Thing);

  beforeAll(async () => {
    url = withDatabase(process.env['STRATA_TEST_POSTGRES_URL'] as string, `strata_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
    await ensureDatabaseExists(url);
    const setUp = new DataSource({ type: 'postgres', url });
    await setUp.initialize();
    await setUp.query('CREATE SCHEMA by_id');
    await setUp.destroy();
    dataSource = new DataSource({
      type: 'postgres',
      url,
      entities: [Thing, Owner, Owned, Line, Listened, Subscribed],
      subscribers: [SubscribedLoads],
      synchronize: true,
      // One connection, so the statement's session is the one asked about.
      extra: { max: 1 },
    });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(url);
  });

  const aThing = (): Partial<Thing> => ({
    id: randomUUID(),
    name: 'Ünïcode “name”',
    priceCents: 1250,
    total: '9007199254740993',
    active: true,
    lines: [{ productId: randomUUID(), quantity: 3 }],
    note: null,
    tags: ['red', 'large'],
    position: { x: 3, y: -4 },
    secret: 'not selected',
  });

  it('answers what findOneBy answers, column by column: names, types, embedded columns, transformers, unselected columns', async () => {
    const thing = aThing();
    await dataSource.getRepository(Thing).insert(thing);

    const read = await things.run(dataSource, thing.id);
    const expected = await dataSource.getRepository(Thing).findOneBy({ id: thing.id });

    expect(read).toBeInstanceOf(Thing);
    expect(read).toEqual(expected);
    const { secret: _notSelected, ...selected } = thing;
    expect(read).toMatchObject({ ...selected, deletedAt: null });
    expect(read).not.toHaveProperty('secret');
    expect(read?.position).toBeInstanceOf(Point);
    expect(read?.createdAt).toBeInstanceOf(Date);
  });

  it('answers null for an id with no row, and for a row a soft delete removed, as findOneBy does', async () => {
    const thing = aThing();
    await dataSource.getRepository(Thing).insert(thing);
    await dataSource.getRepository(Thing).softDelete({ id: thing.id });

    await expect(things.run(dataSource, thing.id)).resolves.toBeNull();
    await expect(dataSource.getRepository(Thing).findOneBy({ id: thing.id })).resolves.toBeNull();
    await expect(things.run(dataSource, randomUUID())).resolves.toBeNull();
  });

  it("is one statement, prepared under its table's name", async () => {
    const ids = [aThing(), aThing(), aThing()];
    await dataSource.getRepository(Thing).insert(ids);
    for (const { id } of ids) await things.run(dataSource, id);

    const [prepared] = await dataSource.query(`SELECT statement FROM pg_prepared_statements WHERE name = 'by_id.things.by-id'`);
    expect(prepared).toEqual({
      statement:
        'SELECT "id", "name", "price_cents", "total", "active", "lines", "note", "tags", "created_at", "deleted_at", "positionX", "positionY" ' +
        'FROM "by_id"."things" WHERE "id" = $1 AND "deleted_at" IS NULL',
    });
  });

  it('prepares itself again on the next connection once PostgreSQL dropped the one it was prepared on', async () => {
    const thing = aThing();
    await dataSource.getRepository(Thing).insert(thing);
    await things.run(dataSource, thing.id);
    const pool = (dataSource.driver as PostgresDriver).master as Pool;
    const [{ pid }]: { pid: number }[] = await dataSource.query('SELECT pg_backend_pid() AS pid');

    // From another connection, as a restart or an administrator would; the pool drops its client.
    const other = new Client({ connectionString: url });
    await other.connect();
    await other.query('SELECT pg_terminate_backend($1)', [pid]).finally(() => other.end());
    for (let waited = 0; pool.totalCount > 0 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pool.totalCount).toBe(0);

    await expect(things.run(dataSource, thing.id)).resolves.toMatchObject({ id: thing.id, name: thing.name });
  });

  it.each([
    ['has a primary key of two columns', Line, 'its primary key is not one column'],
    ['loads a relation eagerly', Owned, 'it loads relations eagerly'],
    ['has an @AfterLoad listener', Listened, 'it has @AfterLoad listeners'],
    ['has a subscriber to its loads', Subscribed, 'a subscriber listens to its loads'],
  ])('refuses an entity that %s, which it could not read as findOneBy does, naming why', async (_, entity, why) => {
    await expect(new FindByIdStatement<object>(entity).run(dataSource, randomUUID())).rejects.toThrow(
      `FindByIdStatement cannot read ${entity.name}: ${why}; read it with findOneBy`,
    );
  });
});
