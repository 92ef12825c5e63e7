import { loadConfig } from '@strata/platform/config';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { durationMs, interpolate, readCompose, type ComposeFile, type ComposeService } from './support/compose';
import { readImageFacts } from './support/dockerfile';
import {
  apiUnits,
  EDGE,
  hostsDataAccess,
  isReadByTheApp,
  peerVariable,
  publicEntry,
  secretStandIns,
  secretVariables,
  splitUnits,
  upstreamVariable,
  webpackBuild,
  workspaceRoot,
} from './support/workspace';

/**
 * Checks docker/compose.yaml (the monolith) and docker/compose.split.yaml (the split topology)
 * against the image they run and the app it contains: the variables it reads and accepts, the
 * programs it carries, the ports it listens on, the units of the topology.
 */

const image = readImageFacts();
/** The image every service running the app uses, and the one the Kubernetes manifests name. */
const IMAGE = 'strata/server';
/** What compose waits for after SIGTERM, when a service does not say (then it sends SIGKILL). */
const COMPOSE_DEFAULT_STOP_GRACE = '10s';
/** The variables someone running a compose file exports, as its header says. */
const shellEnvironment = { INTERNAL_AUTH_SECRET: secretStandIns.INTERNAL_AUTH_SECRET };

/** A service's environment after compose's interpolation, with the shell environment above. */
const environmentOf = (service: ComposeService) =>
  Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), shellEnvironment)]),
  );

/** The program a service runs: its command, or the image's CMD; as the bundle file it came from. */
const programOf = (service: ComposeService) => {
  const command = service.command ?? image.cmd;
  expect(command[0]).toBe('node');
  return image.builtFileAt(posix.resolve(image.workdir, command[1]));
};

/** Checks every compose file must pass, for the services that run the app. */
function describeAppServices(appServices: () => Record<string, ComposeService>) {
  it('runs the app from the one image, built from docker/Dockerfile with the repository as context', () => {
    for (const [name, service] of Object.entries(appServices())) {
      // Each names how to build it: a service with an image and no build would be pulled instead.
      expect({ name, image: service.image, build: service.build }).toEqual({
        name,
        image: IMAGE,
        build: { context: '..', dockerfile: 'docker/Dockerfile' },
      });
      const context = join(workspaceRoot, 'docker', service.build!.context);
      expect(context).toBe(workspaceRoot);
      expect(existsSync(join(context, service.build!.dockerfile))).toBe(true);
    }
  });

  it('sets only variables the app reads, with values it accepts', () => {
    for (const [name, service] of Object.entries(appServices())) {
      const environment = environmentOf(service);
      Object.keys(environment).forEach((variable) =>
        expect({ name, variable, read: isReadByTheApp(variable) }).toEqual({ name, variable, read: true }),
      );
      expect(() => loadConfig(environment)).not.toThrow();
    }
  });

  it('runs programs the webpack build produces and the image carries', () => {
    for (const service of Object.values(appServices())) {
      expect(Object.values(webpackBuild.outputs)).toContain(programOf(service));
    }
  });

  it('commits no secret: credentials come from the shell, as `${NAME:?message}` or a development `${NAME:-default}`', () => {
    const interpolated = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*|:\?[^}]+)\}$/;
    for (const [name, service] of Object.entries(appServices())) {
      for (const variable of secretVariables.filter((secret) => service.environment?.[secret] !== undefined)) {
        const value = service.environment![variable];
        // A URL may be written out, but not its password; any other secret is interpolated whole.
        const secretPart = /^[a-z]+:\/\//.test(value)
          ? decodeURIComponent(new URL(value.replace(/\$\{[^}]*\}/g, encodeURIComponent)).password)
          : value;
        if (secretPart) expect({ name, variable, secretPart }).toEqual({ name, variable, secretPart: expect.stringMatching(interpolated) });
      }
    }
  });
}

/** Checks of the PostgreSQL service and the URLs that point at it. */
function describePostgres(compose: ComposeFile, appServices: () => Record<string, ComposeService>) {
  const { postgres } = compose.services;

  it('keeps the database in a named volume', () => {
    const [volume] = postgres.volumes![0].split(':');
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
  });

  it('points DATABASE_URL at the postgres service, with its user, database and password', () => {
    const password = postgres.environment!.POSTGRES_PASSWORD;
    // A development default for a throwaway database; set POSTGRES_PASSWORD to choose another.
    expect(password).toMatch(/^\$\{POSTGRES_PASSWORD:-[^}]+\}$/);
    const withDatabase = Object.values(appServices()).filter((service) => service.environment?.DATABASE_URL);
    expect(withDatabase).not.toHaveLength(0);
    for (const service of withDatabase) {
      expect(service.environment!.DATABASE_URL).toContain(`:${password}@`);
      const database = new URL(environmentOf(service).DATABASE_URL);
      expect(database.protocol).toBe('postgres:');
      expect(database.hostname).toBe('postgres');
      expect(database.port).toBe('5432');
      expect(database.username).toBe(postgres.environment!.POSTGRES_USER);
      expect(database.pathname).toBe(`/${postgres.environment!.POSTGRES_DB}`);
      expect(service.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
    }
    expect(postgres.healthcheck!.test!.join(' ')).toContain('pg_isready');
  });

  it('points REDIS_URL at the redis service, once it answers', () => {
    const withRedis = Object.values(appServices()).filter((service) => service.environment?.REDIS_URL);
    expect(withRedis).not.toHaveLength(0);
    for (const service of withRedis) {
      const redis = new URL(environmentOf(service).REDIS_URL);
      expect(redis.protocol).toBe('redis:');
      expect(redis.hostname).toBe('redis');
      expect(service.depends_on?.redis).toEqual({ condition: 'service_healthy' });
    }
    expect(compose.services.redis.healthcheck!.test!.join(' ')).toContain('ping');
  });
}

/** Docker's SIGKILL must come after the unit's bounded shutdown (SHUTDOWN_TIMEOUT_MS counts from the signal, drain included). */
function expectStopGraceCoversShutdown(name: string, service: ComposeService) {
  const { shutdown } = loadConfig(environmentOf(service));
  const grace = durationMs(service.stop_grace_period ?? COMPOSE_DEFAULT_STOP_GRACE);
  expect({ name, graceCoversShutdown: grace > shutdown.timeoutMs }).toEqual({ name, graceCoversShutdown: true });
}

describe('docker/compose.yaml', () => {
  const compose = readCompose('docker/compose.yaml');
  const { monolith } = compose.services;

  it('runs the monolith with PostgreSQL and Redis', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['monolith', 'postgres', 'redis']);
    expect(monolith.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });

  describeAppServices(() => ({ monolith }));
  describePostgres(compose, () => ({ monolith }));

  it('publishes the port the app listens on, the one the image exposes and probes', () => {
    const listening = environmentOf(monolith).PORT ?? image.env.PORT;
    expect(listening).toBe(image.env.PORT);
    expect(monolith.ports!.map((port) => String(port).split(':').at(-1))).toEqual([listening]);
  });

  it('gives the monolith time to shut down in order', () => expectStopGraceCoversShutdown('monolith', monolith));
});

describe('docker/compose.split.yaml', () => {
  const compose = readCompose('docker/compose.split.yaml');
  const { migrate } = compose.services;
  const unitNames = Object.keys(splitUnits);
  const units = () => Object.fromEntries(unitNames.map((unit) => [unit, compose.services[unit]]));
  /** With several API units, the edge publishes the public port and routes to them (ADR 0012). */
  const edge = (): Record<string, ComposeService> => (apiUnits.length > 1 ? { [EDGE]: compose.services[EDGE] } : {});
  const appServices = () => ({ migrate, ...units(), ...edge() });
  const servesInternalCalls = unitNames.filter((unit) => splitUnits[unit].internalPort !== undefined);

  it('runs PostgreSQL, Redis, a migration, one service per unit of the split topology, named after it, and the edge if several units serve the API', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['migrate', 'postgres', 'redis', ...unitNames, ...(apiUnits.length > 1 ? [EDGE] : [])].sort(),
    );
    for (const unit of unitNames)
      expect({ unit, environment: environmentOf(compose.services[unit]) }).toMatchObject({
        unit,
        environment: { TOPOLOGY: 'split', UNIT: unit },
      });
  });

  describeAppServices(appServices);
  describePostgres(compose, appServices);

  it('migrates once, with the migration program, and every unit waits until it has succeeded', () => {
    expect(programOf(migrate)).toBe(webpackBuild.outputs.migrate);
    expect(migrate.command).toHaveLength(2); // not --wait: this one applies them
    for (const unit of unitNames) {
      const service = compose.services[unit];
      expect({ unit, program: programOf(service) }).toEqual({ unit, program: webpackBuild.outputs.main });
      expect({ unit, migrate: service.depends_on?.migrate }).toEqual({ unit, migrate: { condition: 'service_completed_successfully' } });
      expect({ unit, migrationsRun: loadConfig(environmentOf(service)).database.runMigrations }).toEqual({ unit, migrationsRun: false });
    }
  });

  it('starts a unit after the units it depends on report healthy, which they can (no unit disables the health check)', () => {
    for (const unit of unitNames) {
      expect(compose.services[unit].healthcheck?.disable).not.toBe(true);
      for (const [dependency, { condition }] of Object.entries(compose.services[unit].depends_on ?? {})) {
        if (unitNames.includes(dependency))
          expect({ unit, dependency, condition }).toEqual({ unit, dependency, condition: 'service_healthy' });
      }
    }
  });

  it('has every unit listen on the ports the image exposes', () => {
    for (const unit of unitNames) {
      const { PORT, INTERNAL_PORT } = environmentOf(compose.services[unit]);
      expect({ unit, PORT, INTERNAL_PORT }).toEqual({ unit, PORT: image.env.PORT, INTERNAL_PORT: image.env.INTERNAL_PORT });
    }
  });

  it('tells every unit where each unit that serves internal calls listens: that service, on its INTERNAL_PORT', () => {
    expect(servesInternalCalls).not.toHaveLength(0);
    for (const unit of unitNames) {
      const environment = environmentOf(compose.services[unit]);
      for (const peer of servesInternalCalls)
        expect({ unit, has: Object.keys(environment) }).toEqual({ unit, has: expect.arrayContaining([peerVariable(peer)]) });
      for (const [variable, address] of Object.entries(environment).filter(([name]) => name.startsWith('PEER_'))) {
        const peer = unitNames.find((name) => peerVariable(name) === variable)!;
        expect({ unit, variable, address }).toEqual({
          unit,
          variable,
          address: `${peer}:${environmentOf(compose.services[peer]).INTERNAL_PORT}`,
        });
        expect(servesInternalCalls).toContain(peer);
      }
    }
  });

  it('gives the unit hosting data access the database, and units running workers a queue', () => {
    for (const unit of unitNames) {
      const environment = environmentOf(compose.services[unit]);
      if (hostsDataAccess(splitUnits[unit]))
        expect({ unit, has: Object.keys(environment) }).toEqual({ unit, has: expect.arrayContaining(['DATABASE_URL']) });
      if (splitUnits[unit].workers?.length)
        expect({ unit, queue: Boolean(environment.REDIS_URL || environment.DATABASE_URL) }).toEqual({ unit, queue: true });
    }
  });

  it('gives every unit the same INTERNAL_AUTH_SECRET, required from the shell: compose refuses to start without it', () => {
    const secrets = new Set(unitNames.map((unit) => compose.services[unit].environment?.INTERNAL_AUTH_SECRET));
    expect(secrets.size).toBe(1);
    const [secret] = secrets;
    expect(() => interpolate(secret!, {})).toThrow(/INTERNAL_AUTH_SECRET/);
  });

  it(`publishes a port for the public entry only (${publicEntry}: the one API unit, or the edge in front of several), the port it listens on`, () => {
    const publishing = Object.entries(compose.services).filter(([, service]) => service.ports?.length);
    expect(publishing.map(([name]) => name)).toEqual([publicEntry]);
    expect(compose.services[publicEntry].ports!.map((port) => String(port).split(':').at(-1))).toEqual([
      environmentOf(compose.services[publicEntry]).PORT,
    ]);
  });

  if (apiUnits.length > 1)
    it(`runs the edge (edge.js) with every API unit's address (${apiUnits.join(', ')}), once they are healthy`, () => {
      const service = compose.services[EDGE];
      expect(programOf(service)).toBe(webpackBuild.outputs.edge);
      const environment = environmentOf(service);
      expect(environment.TOPOLOGY).toBe('split');
      expect(environment.PORT).toBe(image.env.PORT);
      const upstreams = Object.fromEntries(Object.entries(environment).filter(([name]) => name.startsWith('UPSTREAM_')));
      expect(upstreams).toEqual(
        Object.fromEntries(
          apiUnits.map((unit) => [upstreamVariable(unit), `http://${unit}:${environmentOf(compose.services[unit]).PORT}`]),
        ),
      );
      expect(service.depends_on).toEqual(Object.fromEntries(apiUnits.map((unit) => [unit, { condition: 'service_healthy' }])));
      expect(service.healthcheck?.disable).not.toBe(true);
      expectStopGraceCoversShutdown(EDGE, service);
    });

  it('gives every unit time to shut down in order', () => {
    for (const unit of unitNames) expectStopGraceCoversShutdown(unit, compose.services[unit]);
  });
});
