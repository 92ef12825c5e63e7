import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, StrataConfig } from '@strata/platform/config';
import { DatabaseModule } from '@strata/platform/database';
import { HealthModule } from '@strata/platform/health';
import { HttpPlatformModule } from '@strata/platform/http';
import { QueueModule } from '@strata/platform/queue';
import { TransportModule, type TransportOptions } from '@strata/platform/transport';
import type { MixedList } from 'typeorm';
import type { UnitPlan } from '../topology/plan-topology';
import { readInternalTls } from './internal-tls';

export interface UnitModuleOptions {
  config: StrataConfig;
  plan: UnitPlan;
  /** The database, already resolved (embedded or `DATABASE_URL`); needed by data units and a queue on PostgreSQL. */
  databaseUrl?: string;
  /** The migration classes a data unit runs at start-up when `MIGRATIONS_RUN` is on. */
  migrations: MixedList<new () => unknown>;
}

/**
 * The root module of one unit, built from its plan: the platform pieces it needs (a database only
 * if it hosts data access, the queue only if it enqueues or handles jobs, the transport only if
 * it talks to other units) and the Nest modules of the tiers and workers it hosts. The same tier
 * modules make up every unit of every topology; only this composition changes.
 */
@Module({})
export class UnitModule {
  static forUnit({ config, plan, databaseUrl, migrations }: UnitModuleOptions): DynamicModule {
    const needsUrl = (what: string) => {
      if (!databaseUrl) throw new Error(`Unit ${plan.unit} needs a database for ${what}, and none was provided`);
      return databaseUrl;
    };
    const talksToPeers = plan.serves.length > 0 || plan.peers.length > 0;
    return {
      module: UnitModule,
      imports: [
        ConfigModule.forRoot(config),
        HttpPlatformModule.forRoot(config),
        ...(plan.database
          ? [
              DatabaseModule.forRoot({
                url: needsUrl('its data-access tiers'),
                migrations,
                runMigrations: config.database.runMigrations,
                poolSize: config.database.poolSize,
                statementTimeoutMs: config.database.statementTimeoutMs,
                connectTimeoutMs: config.database.connectTimeoutMs,
              }),
            ]
          : []),
        ...(plan.queue
          ? [
              QueueModule.forRoot(
                config.queue.redisUrl
                  ? { kind: 'redis', url: config.queue.redisUrl }
                  : { kind: 'postgres', url: needsUrl('the job queue') },
                { prefix: config.queue.prefix, keepFailed: config.queue.keepFailed },
              ),
            ]
          : []),
        ...(talksToPeers
          ? [
              TransportModule.forUnit({
                unit: plan.unit,
                secret: config.transport.secret as string,
                serve: plan.serves,
                listen: plan.serves.length > 0 ? internalListener(plan, config) : undefined,
                callers: plan.callers,
                peers: plan.peers.map((peer) => ({
                  unit: peer.unit,
                  address: config.transport.peers[peer.unit] ?? { host: '127.0.0.1', port: peer.internalPort },
                  ports: peer.ports,
                })),
                callTimeoutMs: config.transport.callTimeoutMs,
                maxMessageBytes: config.transport.maxMessageBytes,
                maxInFlight: config.transport.maxInFlight,
                tls: readInternalTls(config),
              }),
            ]
          : []),
        HealthModule.forRoot({ database: plan.database, queue: plan.queue }, { logFormat: config.log.format }),
        ...plan.tiers.map((tier) => tier.nestModule),
        ...plan.workers.map((workers) => workers.nestModule),
      ],
    };
  }
}

/** Where a unit that serves ports takes its calls: `INTERNAL_HOST` and its internal port. */
function internalListener(plan: UnitPlan, config: StrataConfig): NonNullable<TransportOptions['listen']> {
  const port = config.unit.internalPort;
  if (port === undefined) throw new Error(`Unit ${plan.unit} serves ports but has no internal port`);
  return { address: { host: config.transport.host, port }, maxConnections: config.transport.maxConnections };
}
