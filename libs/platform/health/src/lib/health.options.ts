export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

/** Which dependencies this unit has, and so which ones `/health` checks. */
export interface HealthChecks {
  database: boolean;
  queue: boolean;
}
