import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { QueueHealthIndicator } from '@strata/platform/queue';
import request from 'supertest';
import { HealthModule } from './health.module';

/**
 * How the state of the dependencies becomes an HTTP status. The indicators themselves are tested
 * against real and unreachable servers (platform/queue's queue.spec.ts); here they are stand-ins
 * reporting what each case needs.
 */
async function startHealth(state: { database: boolean; queue: boolean }): Promise<NestFastifyApplication> {
  const indicators = new HealthIndicatorService();
  const report = (key: string, up: boolean) => (up ? indicators.check(key).up() : indicators.check(key).down({ message: 'unreachable' }));

  @Global()
  @Module({
    providers: [{ provide: QueueHealthIndicator, useValue: { isHealthy: async (key = 'queue') => report(key, state.queue) } }],
    exports: [QueueHealthIndicator],
  })
  class QueueStandIn {}

  const module = await Test.createTestingModule({ imports: [QueueStandIn, HealthModule.forRoot({ database: true, queue: true })] })
    .overrideProvider(TypeOrmHealthIndicator)
    .useValue({ pingCheck: async (key: string) => report(key, state.database) })
    .compile();
  const app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('GET /health', () => {
  it.each([
    [{ database: true, queue: true }, 200],
    [{ database: false, queue: true }, 503],
    [{ database: true, queue: false }, 503],
    [{ database: false, queue: false }, 503],
  ])('with %p answers %d, naming each dependency', async (state, status) => {
    const app = await startHealth(state);
    try {
      const response = await request(app.getHttpServer()).get('/health').expect(status);

      expect(response.body.details).toEqual({
        database: expect.objectContaining({ status: state.database ? 'up' : 'down' }),
        queue: expect.objectContaining({ status: state.queue ? 'up' : 'down' }),
      });
    } finally {
      await app.close();
    }
  });
});
