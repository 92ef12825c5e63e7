import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { opened } from '@strata/platform/config';
import { configureHttpApp, createHttpAdapter } from '@strata/platform/http';
import { InternalListener } from '@strata/platform/transport';
import type { ResolvedUnit } from './resolve-unit';
import type { StrataApplication } from './strata-application';
import { UnitModule } from './unit.module';

/**
 * Builds a unit's Nest application, ready to start: HTTP on Fastify (health checks, and the API
 * if the unit hosts a presentation tier) and, if it serves ports to other units, the internal
 * TCP listener. `runUnit` and the tests both start units through it.
 */
export async function createUnitApp(
  { plan, config }: ResolvedUnit,
  application: StrataApplication,
  databaseUrl: string | undefined,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    UnitModule.forUnit({ config, plan, databaseUrl, migrations: application.migrations }),
    createHttpAdapter(config),
    // A module that cannot be built (a bad setting read by `loadSettings`, say) is thrown to the
    // caller, which says what is wrong in one message; by default Nest would log a stack trace and
    // exit by itself. Logs are buffered until the unit's logger takes over in configureHttpApp.
    // Body parsers are configureHttpApp's (Fastify's own JSON parser, accepting an empty body).
    { bufferLogs: true, autoFlushLogs: false, abortOnError: false, bodyParser: false },
  );
  if (plan.serves.length > 0) {
    app.connectMicroservice({ strategy: app.get(InternalListener) }, { inheritAppConfig: false });
  }
  await configureHttpApp(app, { title: application.title, description: application.description, api: plan.api });
  return app;
}

/** Opens the unit's listeners: internal first, so it can answer peers by the time it reports ready. */
export async function startUnitApp(app: NestFastifyApplication, { config, plan }: ResolvedUnit): Promise<void> {
  await opened(app.startAllMicroservices(), {
    what: `internal port of unit ${plan.unit}`,
    port: config.unit.internalPort as number,
    variable: 'INTERNAL_PORT',
    topologyProperty: 'internalPort',
    host: config.transport.host,
    hostVariable: 'INTERNAL_HOST',
  });
  await opened(app.listen(config.http.port as number, config.http.host), {
    what: `HTTP port of unit ${plan.unit}`,
    port: config.http.port as number,
    variable: 'PORT',
    topologyProperty: 'httpPort',
    host: config.http.host,
    hostVariable: 'HOST',
  });
}
