import 'reflect-metadata';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigModule, loadConfig } from '@strata/platform/config';
import { configureHttpApp, createHttpAdapter, HttpPlatformModule } from '@strata/platform/http';
import { InternalListener, TransportModule } from '@strata/platform/transport';
import { EchoPort, LocalEcho } from './echo.port';

/**
 * A unit that serves {@link EchoPort} with the same platform pieces as a real unit (pino logs,
 * request context, the port server behind the authenticated TCP listener): the far end of the
 * per-hop measurement. INTERNAL_PORT, INTERNAL_AUTH_SECRET and LOG_LEVEL come from the runner.
 */
async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, UNIT: 'echo' });

  @Global()
  @Module({ providers: [{ provide: EchoPort, useClass: LocalEcho }], exports: [EchoPort] })
  class EchoModule {}

  @Module({
    imports: [
      ConfigModule.forRoot(config),
      HttpPlatformModule.forRoot(config),
      EchoModule,
      TransportModule.forUnit({
        unit: 'echo',
        secret: config.transport.secret as string,
        serve: [EchoPort],
        listen: {
          address: { host: '127.0.0.1', port: config.unit.internalPort as number },
          maxConnections: config.transport.maxConnections,
        },
        // The bench's caller, the only unit allowed to call it.
        callers: [{ unit: 'bench', ports: [EchoPort] }],
        peers: [],
        callTimeoutMs: config.transport.callTimeoutMs,
        maxMessageBytes: config.transport.maxMessageBytes,
      }),
    ],
  })
  class EchoUnit {}

  // Built as `createUnitApp` builds a unit, its logger (and all else) set up by configureHttpApp.
  const app = await NestFactory.create<NestFastifyApplication>(EchoUnit, createHttpAdapter(config), {
    bufferLogs: true,
    autoFlushLogs: false,
    bodyParser: false,
  });
  app.connectMicroservice({ strategy: app.get(InternalListener) }, { inheritAppConfig: false });
  await configureHttpApp(app, { title: 'echo', api: false });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  console.log('echo unit ready');
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
