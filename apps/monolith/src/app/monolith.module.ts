import { DynamicModule, Module } from '@nestjs/common';
import { CatalogBusinessModule } from '@strata/catalog/business';
import { CatalogDataAccessModule } from '@strata/catalog/data-access';
import { CatalogPresentationModule } from '@strata/catalog/presentation';
import { CustomersBusinessModule } from '@strata/customers/business';
import { CustomersDataAccessModule } from '@strata/customers/data-access';
import { CustomersPresentationModule } from '@strata/customers/presentation';
import { migrations } from '@strata/migrations';
import { OrdersBusinessModule, OrdersWorkersModule } from '@strata/orders/business';
import { OrdersDataAccessModule } from '@strata/orders/data-access';
import { OrdersPresentationModule } from '@strata/orders/presentation';
import { ConfigModule, StrataConfig } from '@strata/platform/config';
import { DatabaseModule } from '@strata/platform/database';
import { HealthModule } from '@strata/platform/health';
import { HttpPlatformModule } from '@strata/platform/http';
import { QueueModule } from '@strata/platform/queue';

export interface MonolithOptions {
  config: StrataConfig;
  /** The database to use, already resolved (embedded or `DATABASE_URL`). */
  databaseUrl: string;
}

/**
 * The whole application in one process: every tier of every module, and the job workers. Every
 * port is bound locally, so a call between tiers or modules is a plain method call.
 */
@Module({})
export class MonolithModule {
  static forRoot({ config, databaseUrl }: MonolithOptions): DynamicModule {
    return {
      module: MonolithModule,
      imports: [
        ConfigModule.forRoot(config),
        HttpPlatformModule.forRoot(config),
        DatabaseModule.forRoot({ url: databaseUrl, migrations, runMigrations: config.database.runMigrations }),
        QueueModule.forRoot(config.queue.redisUrl ? { kind: 'redis', url: config.queue.redisUrl } : { kind: 'postgres', url: databaseUrl }),
        HealthModule.forRoot({ database: true, queue: true }),

        CatalogDataAccessModule,
        CatalogBusinessModule,
        CatalogPresentationModule,

        CustomersDataAccessModule,
        CustomersBusinessModule,
        CustomersPresentationModule,

        OrdersDataAccessModule,
        OrdersBusinessModule,
        OrdersPresentationModule,
        OrdersWorkersModule,
      ],
    };
  }
}
