import monolith from './monolith.json';
import ordersService from './orders-service.json';
import split from './split.json';

/**
 * The topologies shipped with the sample application, by the name `TOPOLOGY` takes. A topology
 * of your own can live anywhere: `TOPOLOGY=path/to/file.json`.
 */
export const shippedTopologies: Record<string, unknown> = { monolith, split, 'orders-service': ordersService };
