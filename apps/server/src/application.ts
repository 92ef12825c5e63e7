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
import type { StrataApplication } from '@strata/platform/runtime';
import { shippedTopologies } from '@strata/topologies';

/**
 * The sample application as the runtime sees it: its modules, each as three tiers (plus its job
 * handlers), and the topologies shipped with it. Where each tier runs is the topology's business;
 * nothing here says which tiers share a process.
 */
export const application: StrataApplication = {
  title: 'Strata sample: order management',
  description: 'Catalog, customers and orders, served by whichever units the topology places them in.',
  modules: {
    catalog: { presentation: CatalogPresentationModule, business: CatalogBusinessModule, 'data-access': CatalogDataAccessModule },
    customers: { presentation: CustomersPresentationModule, business: CustomersBusinessModule, 'data-access': CustomersDataAccessModule },
    orders: {
      presentation: OrdersPresentationModule,
      business: OrdersBusinessModule,
      'data-access': OrdersDataAccessModule,
      workers: OrdersWorkersModule,
    },
  },
  topologies: shippedTopologies,
  migrations,
};
