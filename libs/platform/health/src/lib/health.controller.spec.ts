import { ConsoleLogger, Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { QueueHealthIndicator } from '@strata/platform/queue';
import request from 'supertest';
import { HealthModule } from './health.module';
import { Readiness } from './readiness';

/**
 * How the state of the dependencies becomes an HTTP status. The indicators themselves are tested
 * against real and unreachable servers (platform/queue's queue.spec.ts); here they are stand-ins
 * reporting what each case needs.
 */
type State = { database: boolean; queue: boolean };

async function startHealth(
  state: State,
  { logFormat = 'json', logger = false }: { logFormat?: 'json' | 'pretty'; logger?: false | ConsoleLogger } = {},
): Promise<NestFastifyApplication> {
  const indicators = new HealthIndicatorService();
  const report = (key: string, up: boolean) => (up ? indicators.check(key).up() : indicators.check(key).down({ message: 'unreachable' }));

  @Global()
  @Module({
    providers: [{ provide: QueueHealthIndicator, useValue: { isHealthy: async (key = 'queue') => report(key, state.queue) } }],
    exports: [QueueHealthIndicator],
  })
  class IndicatorStandIns {}

  const module = await Test.createTestingModule({
    imports: [IndicatorStandIns, HealthModule.forRoot({ database: true, queue: true }, { logFormat })],
  })
    .overrideProvider(TypeOrmHealthIndicator)
    .useValue({ pingCheck: async (key: string) => report(key, state.database) })
    .compile();
  const app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('GET /health', () => {
  it.each<[State, number]>([
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

  it('keeps answering /health/live while a dependency is down: liveness is not readiness', async () => {
    const app = await startHealth({ database: false, queue: true });
    try {
      await request(app.getHttpServer()).get('/health/live').expect(200, { status: 'ok' });
    } finally {
      await app.close();
    }
  });

  // Dependencies are shared by every replica: readiness on them would take all of them out of
  // their Service at once, reads that need none of it included.
  it('keeps answering /health/ready while a dependency is down: a shared dependency is no reason to take a replica out', async () => {
    const app = await startHealth({ database: false, queue: false });
    try {
      await request(app.getHttpServer()).get('/health').expect(503);
      await request(app.getHttpServer()).get('/health/ready').expect(200, { status: 'ok' });
    } finally {
      await app.close();
    }
  });

  it('answers 503 on /health and /health/ready once readiness is withdrawn for shutdown, while liveness stays 200', async () => {
    const app = await startHealth({ database: true, queue: true });
    try {
      await request(app.getHttpServer()).get('/health').expect(200);
      await request(app.getHttpServer()).get('/health/ready').expect(200);

      app.get(Readiness).withdraw();

      const response = await request(app.getHttpServer()).get('/health').expect(503);
      expect(response.body.status).toBe('shutting_down');
      expect((await request(app.getHttpServer()).get('/health/ready').expect(503)).body.status).toBe('shutting_down');
      await request(app.getHttpServer()).get('/health/live').expect(200);
    } finally {
      await app.close();
    }
  });

  describe('logs a failed check', () => {
    /** What the app logs at error level when `/health` finds the queue down, in `logFormat`. */
    async function errorsLogged(logFormat: 'json' | 'pretty'): Promise<string[]> {
      const errors: string[] = [];
      const logger = new ConsoleLogger();
      logger.error = (message: unknown) => void errors.push(String(message));
      const app = await startHealth({ database: true, queue: false }, { logFormat, logger });
      try {
        await request(app.getHttpServer()).get('/health').expect(503);
      } finally {
        await app.close();
      }
      return errors;
    }

    it('as one line naming the failed dependency and why, in a JSON log', async () => {
      const errors = await errorsLogged('json');

      expect(errors).toHaveLength(1);
      expect(errors[0]).not.toContain('\n');
      expect(errors[0]).not.toContain('\u001b'); // no colour codes
      const [message, details] = errors[0].split(/ (?=\{)/);
      expect(message).toBe('Health Check has failed!');
      expect(JSON.parse(details)).toEqual({ database: { status: 'up' }, queue: { status: 'down', message: 'unreachable' } });
    });

    it('in boxes, in the pretty log of a terminal', async () => {
      const errors = await errorsLogged('pretty');

      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/┌ ❌ queue/);
    });
  });
});
