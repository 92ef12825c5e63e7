import type { MixedList } from 'typeorm';
import type { ApplicationModules } from '../topology/application-modules';

/** Everything the runtime needs to know of an application; its app declares it once. */
export interface StrataApplication {
  /** For the OpenAPI document. */
  title: string;
  description: string;
  modules: ApplicationModules;
  /** Topologies shipped with the application, by name (`TOPOLOGY=<name>`). */
  topologies: Record<string, unknown>;
  migrations: MixedList<new () => unknown>;
}
