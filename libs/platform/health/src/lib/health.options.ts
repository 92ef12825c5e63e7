export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

/** Which dependencies this unit has, and so which ones `/health` checks. */
export interface HealthChecks {
  database: boolean;
  queue: boolean;
  /** The peer units this unit calls (a ping over the internal transport). */
  peers: boolean;
}
