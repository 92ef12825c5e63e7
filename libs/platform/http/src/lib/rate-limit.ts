import { ExecutionContext, HttpException, HttpStatus, Injectable, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { errorResponseBody } from './application-error.filter';

/**
 * Requests per minute per client address on the public API (`RATE_LIMIT_PER_MINUTE`, 0 = off),
 * counted in this process: with N replicas a client gets up to N times the limit. `/health` and
 * internal calls are never limited. Over the limit: 429 in the kit's error body, with `Retry-After`.
 */
@Injectable()
export class ApiRateLimitGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const url: string = context.switchToHttp().getRequest<{ url: string }>().url ?? '';
    return !url.startsWith('/api/');
  }

  protected override async throwThrottlingException(): Promise<void> {
    throw new HttpException(
      errorResponseBody(HttpStatus.TOO_MANY_REQUESTS, 'Too many requests from this client; try again later', 'http.rate_limited'),
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/** The Nest module and global guard that limit the API to `perMinute` requests per client and minute; nothing when 0. */
export function rateLimit(perMinute: number): { imports: ReturnType<typeof ThrottlerModule.forRoot>[]; providers: Provider[] } {
  if (perMinute <= 0) return { imports: [], providers: [] };
  return {
    imports: [ThrottlerModule.forRoot({ throttlers: [{ name: 'default', ttl: 60_000, limit: perMinute }] })],
    providers: [{ provide: APP_GUARD, useClass: ApiRateLimitGuard }],
  };
}
