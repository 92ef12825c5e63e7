import { DynamicModule, Module } from '@nestjs/common';
import { ClsService, ClsServiceManager } from 'nestjs-cls';
import type { StrataConfig } from '@strata/platform/config';
import { rateLimit } from './rate-limit';

/**
 * Cross-cutting HTTP plumbing for a unit that serves HTTP: the rate limit, and the request context
 * (nestjs-cls's `ClsService`) that business code, calls and jobs read the request id from.
 *
 * The context is entered by the request pipeline's hook (`installRequestPipeline`), so this module
 * provides nestjs-cls's process-wide `ClsService` as `ClsModule` does, without `ClsModule.forRoot`:
 * that always adds a global guard and interceptor (no-ops unless mounted), and on Node 20 every
 * interceptor costs each request an `AsyncResource.bind`.
 */
@Module({})
export class HttpPlatformModule {
  static forRoot(config: StrataConfig): DynamicModule {
    const limit = rateLimit(config.http.rateLimitPerMinute);
    const context = { provide: ClsService, useValue: ClsServiceManager.getClsService() };
    return {
      module: HttpPlatformModule,
      global: true,
      imports: [...limit.imports],
      providers: [...limit.providers, context],
      exports: [context],
    };
  }
}
