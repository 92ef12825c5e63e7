import 'reflect-metadata';
import { BullModule, InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import {
  Body,
  ConflictException,
  Controller,
  Get,
  Injectable,
  Module,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { InjectDataSource, InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import type { Job, Queue } from 'bullmq';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsInt, IsUUID, Max, Min, ValidateNested } from 'class-validator';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Column, CreateDateColumn, DataSource, Entity, PrimaryColumn, type Repository } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/*
 * The bare NestJS baseline: a plain Nest app on the same HTTP adapter (Fastify), ORM (TypeORM) and
 * queue (BullMQ) as the kit, hand-written the way a NestJS developer would, with none of Strata (no
 * ports, tiers, topology) and none of the production parts a unit carries (no security headers,
 * request log, request context, idempotency, outbox). The figures Strata is measured against; the
 * former `BASELINE=usual`, with helmet, a request log and a context, is gone: a baseline carrying
 * the same heavy parts as the kit hides what they cost.
 *
 * - `GET /api/products/:id`: the product the monolith's route reads, read with TypeORM's `findOneBy`,
 *   as a NestJS developer reads one entity by its id. With `READ=prepared` (the bench's
 *   `baseline (bare, prepared read)`), read instead as Strata's repositories read by id (ADR 0020),
 *   by hand: one named statement on TypeORM's own `pg` pool. That is the kit's own data access
 *   without the kit, so that what Strata's pipeline, ports and tiers cost over bare NestJS shows
 *   alone; `findOneBy` costs more than all of them (README, "Benchmarks").
 * - `GET /health/live`: a trivial route.
 * - `POST /api/orders`: validated with class-validator DTOs, then ONE transaction that takes the stock
 *   of each line with a conditional update (409 if a line's product has too little, or does not
 *   exist), records the order and its lines, commits, and only then queues its confirmation job
 *   with BullMQ; its worker, in the same process as in the monolith, confirms the order (a
 *   conditional update). A placement that queued its confirmation and never ran it would not be
 *   the same application: the monolith confirms every order it places, in the same process, during
 *   the same measurement. Unlike the monolith, it does not look the customer up, queues no
 *   safety-net job, and has no request log, idempotency or outbox.
 *
 * DATABASE_URL, PORT, REDIS_URL and QUEUE_PREFIX come from the runner; the schema is the real one
 * (the workspace's migrations), so the runner's seeded products and customer serve every target.
 */

const PREPARED_READ = process.env['READ'] === 'prepared';
const MAX_ORDER_LINES = 50;
const MAX_LINE_QUANTITY = 10_000;
const ORDERS_QUEUE = 'orders';

@Entity({ schema: 'catalog', name: 'products' })
class Product {
  @PrimaryColumn('uuid') id!: string;
  @Column() sku!: string;
  @Column() name!: string;
  @Column({ name: 'price_cents' }) priceCents!: number;
  @Column() stock!: number;
}

@Entity({ schema: 'orders', name: 'orders' })
class Order {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'customer_id', type: 'uuid' }) customerId!: string;
  @Column() status!: 'pending' | 'confirmed' | 'cancelled';
  @Column({ name: 'total_cents', type: 'bigint' }) totalCents!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity({ schema: 'orders', name: 'order_lines' })
class OrderLine {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' }) orderId!: string;
  @PrimaryColumn({ type: 'smallint' }) position!: number;
  @Column({ name: 'product_id', type: 'uuid' }) productId!: string;
  @Column() quantity!: number;
  @Column({ name: 'unit_price_cents' }) unitPriceCents!: number;
}

class OrderLineRequest {
  @IsUUID('all') productId!: string;
  @IsInt() @Min(1) @Max(MAX_LINE_QUANTITY) quantity!: number;
}

class PlaceOrderRequest {
  @IsUUID('all') customerId!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  @ArrayUnique((line: OrderLineRequest) => line?.productId, { message: 'lines must name each productId once' })
  @ValidateNested({ each: true })
  @Type(() => OrderLineRequest)
  lines!: OrderLineRequest[];
}

@Controller('api/products')
class ProductsController {
  constructor(@InjectRepository(Product) private readonly products: Repository<Product>) {}

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    const product = PREPARED_READ ? await this.readPrepared(id) : await this.products.findOneBy({ id });
    if (!product) throw new NotFoundException();
    return { id: product.id, sku: product.sku, name: product.name, priceCents: product.priceCents, stock: product.stock };
  }

  private async readPrepared(id: string): Promise<Product | undefined> {
    const pool = (this.products.manager.connection.driver as PostgresDriver).master as Pool;
    const { rows } = await pool.query<{ id: string; sku: string; name: string; price_cents: number; stock: number }>({
      name: 'product-by-id',
      text: 'SELECT id, sku, name, price_cents, stock FROM catalog.products WHERE id = $1',
      values: [id],
    });
    return rows[0] && { id: rows[0].id, sku: rows[0].sku, name: rows[0].name, priceCents: rows[0].price_cents, stock: rows[0].stock };
  }
}

@Controller('health')
class HealthController {
  @Get('live')
  live() {
    return { status: 'ok' };
  }
}

@Injectable()
class OrdersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(ORDERS_QUEUE) private readonly queue: Queue,
  ) {}

  async place({ customerId, lines }: PlaceOrderRequest) {
    const id = randomUUID();
    const order = await this.dataSource.transaction(async (manager) => {
      const taken: OrderLine[] = [];
      // In product id order, so two orders with products in common lock their rows in the same order (no deadlock).
      const byProduct = lines.map((line, position) => ({ ...line, position })).sort((a, b) => (a.productId < b.productId ? -1 : 1));
      for (const { productId, quantity, position } of byProduct) {
        const result = await manager
          .createQueryBuilder()
          .update(Product)
          .set({ stock: () => 'stock - :quantity' })
          .where('id = :productId AND stock >= :quantity', { productId, quantity })
          .returning('price_cents')
          .execute();
        if (result.affected !== 1) throw new ConflictException(`Not enough stock for product ${productId}`);
        const [{ price_cents }] = result.raw as { price_cents: number }[];
        taken.push({ orderId: id, position, productId, quantity, unitPriceCents: price_cents });
      }
      const totalCents = taken.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
      const inserted = await manager.insert(Order, { id, customerId, status: 'pending', totalCents });
      await manager.insert(OrderLine, taken);
      return {
        totalCents,
        createdAt: inserted.generatedMaps[0]['createdAt'] as Date,
        lines: taken.sort((a, b) => a.position - b.position),
      };
    });
    // After the commit: a job for an order that was rolled back would confirm nothing.
    await this.queue.add('orders.confirm', { orderId: id });
    return {
      id,
      customerId,
      status: 'pending',
      totalCents: order.totalCents,
      lines: order.lines.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
      createdAt: order.createdAt.toISOString(),
    };
  }
}

/** Confirms a placed order: what the monolith's orders worker does with the same job, at a unit's default concurrency. */
@Processor(ORDERS_QUEUE, { concurrency: 10 })
class OrdersWorker extends WorkerHost {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async process(job: Job<{ orderId: string }>): Promise<void> {
    await this.dataSource.manager.update(Order, { id: job.data.orderId, status: 'pending' }, { status: 'confirmed' });
  }
}

@Controller('api/orders')
class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  /** 201 (Nest's default for POST) with the order. */
  @Post()
  place(@Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true })) order: PlaceOrderRequest) {
    return this.orders.place(order);
  }
}

function redisConnection(url: URL) {
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
  };
}

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env['DATABASE_URL'],
      entities: [Product, Order, OrderLine],
      synchronize: false,
      extra: { max: 10 },
    }),
    TypeOrmModule.forFeature([Product]),
    BullModule.forRoot({
      connection: redisConnection(new URL(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379')),
      prefix: process.env['QUEUE_PREFIX'],
      defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 200 }, removeOnComplete: true },
    }),
    BullModule.registerQueue({ name: ORDERS_QUEUE }),
  ],
  controllers: [ProductsController, HealthController, OrdersController],
  providers: [OrdersService, OrdersWorker],
})
class BaselineModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BaselineModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
  await app.listen(Number(process.env['PORT'] ?? 3900), '127.0.0.1');
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
