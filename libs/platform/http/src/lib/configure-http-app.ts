import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger, PinoLogger } from 'nestjs-pino';
import { StrataConfig } from '@strata/platform/config';
import { ApiValidationPipe } from './api-validation.pipe';
import { ApplicationErrorFilter, errorResponseBody } from './application-error.filter';
import { closeConnectionsAfterTheirAnswer, SERVE_WHILE_CLOSING } from './close-connections';
import { httpServerOptions } from './server-options';
import { allowCrossOriginCalls } from './cors';
import { FallbackErrorFilter } from './fallback-error.filter';
import { createLogger } from './logger';
import { requestIdOf } from './request-id';
import { installRequestPipeline, UNSUPPORTED_MEDIA_TYPE, unsupportedMediaType } from './request-pipeline';

/** The Fastify adapter every HTTP unit uses: body size limit and request ids set here. */
export function createHttpAdapter(config: StrataConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    // A client gets REQUEST_TIMEOUT_MS to send its request (the handler's own deadline is the request pipeline's).
    ...httpServerOptions(config.http.requestTimeoutMs),
    genReqId: (request: IncomingMessage) => requestIdOf(request),
    ...SERVE_WHILE_CLOSING,
  });
}

export interface HttpAppOptions {
  title: string;
  description?: string;
  /** Serves the public API: the `/api` prefix, validation and the OpenAPI document at `/docs`. */
  api: boolean;
}

/**
 * Everything a unit's HTTP server needs between `NestFactory.create` and `listen`: logs, security
 * headers, the `/api` prefix, validation, error mapping, the request deadline and, for a unit that
 * serves the public API, the OpenAPI document at `/docs` (unless `DOCS_ENABLED=false`). Units without an API serve only their health checks.
 */
export async function configureHttpApp(app: NestFastifyApplication, options: HttpAppOptions): Promise<void> {
  const config = app.get(StrataConfig, { strict: false });
  const logger = createLogger(config);
  // nestjs-pino as Nest's logger only: its request logging is a Nest middleware, the pipeline's is a hook.
  app.useLogger(new Logger(new PinoLogger({ pinoHttp: { logger } }), {}));
  app.flushLogs();

  const fastify = app.getHttpAdapter().getInstance();
  // The API speaks JSON only: any other body is 415, naming its type, not a string for validation
  // to trip over. An empty body is no body, whatever its stated type: a browser's
  // `fetch(url, { method: 'POST', body: '' })` says `text/plain` for it.
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) =>
    body.length === 0 ? done(null, undefined) : done(unsupportedMediaType(request.headers['content-type'])),
  );
  // Many HTTP clients send `Content-Type: application/json` on every POST, also on action endpoints
  // that take no body (`POST /api/orders/:id/cancel`). Fastify's own JSON parser refuses an empty
  // body then ("Body cannot be empty"); an empty body is no body, and validation decides.
  // JSON is UTF-8 (RFC 8259): a body declared in another charset is 415 naming it, not read as
  // UTF-8 regardless; one that is not UTF-8 is told so (read as a string, its replaced bytes made
  // Fastify answer "Request body size did not match Content-Length").
  // A `__proto__` key, or a `constructor` key holding `prototype`, is refused (prototype
  // poisoning), and said so: Fastify's parser calls such a body "not valid JSON", though it is.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    if (body.length === 0) return done(null, undefined);
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && !UTF_8.test(charset)) return done(unsupportedCharset(charset));
    if (!isUtf8(body)) return done(malformedJson(BODY_NOT_UTF_8));
    const text = body.toString('utf8');
    return parseJson(request, text, (error, value) => {
      if (!error) return done(null, value);
      done(
        isJson(text)
          ? new BadRequestException(errorResponseBody(400, FORBIDDEN_JSON_KEY, 'http.forbidden_json_key'))
          : malformedJson(error.message),
      );
    });
  });
  installRequestPipeline(fastify, { logger, timeoutMs: config.http.requestTimeoutMs });
  closeConnectionsAfterTheirAnswer(fastify);
  if (options.api) await allowCrossOriginCalls(fastify, config.http.corsOrigins);

  app.setGlobalPrefix('api', { exclude: ['health', 'health/ready', 'health/live'] });
  app.useGlobalPipes(new ApiValidationPipe());
  // The later filter is asked first: application errors, then every other error (FallbackErrorFilter).
  app.useGlobalFilters(new FallbackErrorFilter(app.getHttpAdapter(), config.http.bodyLimitBytes), new ApplicationErrorFilter());
  // DOCS_ENABLED=false: no Swagger UI and no document (404), e.g. in production.
  if (!options.api || !config.http.docsEnabled) return;

  // A factory: the document is built on the first request for it, not while the unit starts.
  const document = () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle(options.title)
        .setDescription(options.description ?? '')
        .setVersion('1.0')
        .build(),
    );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/** What a JSON body that is not UTF-8 is answered (400). */
export const BODY_NOT_UTF_8 = 'the body is not valid UTF-8: send JSON as UTF-8';

/** The charsets a JSON body may be declared in: UTF-8, and ASCII, which is UTF-8 too. */
const UTF_8 = /^(utf-?8|us-ascii)$/i;

/** The `charset` parameter of a Content-Type, unquoted; nothing if it has none. */
function charsetOf(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '')?.[1];
}

function unsupportedCharset(charset: string): UnsupportedMediaTypeException {
  return new UnsupportedMediaTypeException(
    errorResponseBody(
      415,
      `Content-Type charset ${charset} is not supported: send JSON as UTF-8 (no charset, or charset=utf-8)`,
      UNSUPPORTED_MEDIA_TYPE,
    ),
  );
}

/** A body that is not JSON (or not UTF-8, as JSON must be): 400 `http.malformed_json`. */
const malformedJson = (message: string) => new BadRequestException(errorResponseBody(400, message, 'http.malformed_json'));

/** What a JSON body with a key that would poison a prototype is answered (400). */
export const FORBIDDEN_JSON_KEY = 'the body must not hold a "__proto__" key, nor a "constructor" key holding "prototype"';

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
