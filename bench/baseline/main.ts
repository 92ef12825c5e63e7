import 'reflect-metadata';
import helmet from '@fastify/helmet';
import { Controller, DynamicModule, Get, Module, NotFoundException, Param, ParseUUIDPipe, RequestMethod, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Column, Entity, PrimaryColumn, type Repository } from 'typeorm';

/*
 * The baseline: a plain NestJS app on the same HTTP adapter (Fastify) and ORM (TypeORM), doing
 * the query `GET /api/products/:id` does, with none of Strata: no ports, no tiers, no topology.
 *
 * BASELINE=bare: Nest, Fastify and TypeORM only.
 * BASELINE=usual (the default): plus the parts any production Nest API has and Strata's units
 * have too: security headers (helmet), a request log line (nestjs-pino, at the runner's
 * LOG_LEVEL), a request context with an id (nestjs-cls) and a global ValidationPipe. Set up
 * here with the libraries directly, not with Strata's code, so the comparison isolates the kit.
 */

const usual = (process.env['BASELINE'] ?? 'usual') === 'usual';

@Entity({ schema: 'catalog', name: 'products' })
class Product {
  @PrimaryColumn('uuid') id!: string;
  @Column() sku!: string;
  @Column() name!: string;
  @Column({ name: 'price_cents' }) priceCents!: number;
  @Column() stock!: number;
}

@Controller('api/products')
class ProductsController {
  constructor(@InjectRepository(Product) private readonly products: Repository<Product>) {}

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    const product = await this.products.findOneBy({ id });
    if (!product) throw new NotFoundException();
    return { id: product.id, sku: product.sku, name: product.name, priceCents: product.priceCents, stock: product.stock };
  }
}

const usualParts: DynamicModule[] = [
  LoggerModule.forRoot({
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: { logger: pino({ level: process.env['LOG_LEVEL'] ?? 'info' }), genReqId: () => randomUUID() },
  }),
  ClsModule.forRoot({ global: true, middleware: { mount: true, generateId: true, idGenerator: () => randomUUID() } }),
];

@Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', url: process.env['DATABASE_URL'], entities: [Product], synchronize: false, extra: { max: 10 } }),
    TypeOrmModule.forFeature([Product]),
    ...(usual ? usualParts : []),
  ],
  controllers: [ProductsController],
})
class BaselineModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BaselineModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
  if (usual) {
    await app.register(helmet);
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  }
  await app.listen(Number(process.env['PORT'] ?? 3900), '127.0.0.1');
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
