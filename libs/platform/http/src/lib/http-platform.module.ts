import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ClsModule } from 'nestjs-cls';
import type { IncomingMessage } from 'node:http';
import { StrataConfig } from '@strata/platform/config';
import { IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_HEADER } from '@strata/platform/ports';
import { createLogger } from './logger';
import { rateLimit } from './rate-limit';
import { requestIdOf } from './request-id';

/**
 * Cross-cutting HTTP plumbing for a unit that serves HTTP: structured logs with the request id,
 * and a request context (nestjs-cls) that business code and jobs can read the id from, and the
 * operations that honour it the client's `Idempotency-Key`.
 */
@Module({})
export class HttpPlatformModule {
  static forRoot(config: StrataConfig): DynamicModule {
    const limit = rateLimit(config.http.rateLimitPerMinute);
    return {
      module: HttpPlatformModule,
      providers: limit.providers,
      imports: [
        ...limit.imports,
        LoggerModule.forRoot({
          // Nest 11's route syntax; nestjs-pino's default ('*') makes Nest print a deprecation warning.
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: {
            logger: createLogger(config),
            genReqId: (request: IncomingMessage) => requestIdOf(request),
            customAttributeKeys: { reqId: 'requestId' },
            // One short line per request: who asked for what, and what they got.
            serializers: {
              req: (request: { id: string; method: string; url: string }) => ({ id: request.id, method: request.method, url: request.url }),
              res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
            },
            // Health probes every few seconds would drown the log.
            autoLogging: {
              ignore: (request: IncomingMessage & { originalUrl?: string }) =>
                /^\/health(\/|\?|$)/.test(request.originalUrl ?? request.url ?? ''),
            },
          },
        }),
        ClsModule.forRoot({
          global: true,
          middleware: {
            mount: true,
            generateId: true,
            idGenerator: (request: IncomingMessage) => requestIdOf(request),
            // Read by the operations that honour it (`runIdempotently`), which also check its form.
            setup: (cls, request: IncomingMessage) => {
              const key = request.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
              if (typeof key === 'string') cls.set(IDEMPOTENCY_KEY, key);
            },
          },
        }),
      ],
    };
  }
}
