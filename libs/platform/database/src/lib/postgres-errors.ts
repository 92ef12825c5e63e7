import { QueryFailedError } from 'typeorm';

/** What `pg` says of a failed statement, from its error or one TypeORM wrapped. */
function driverErrorOf(error: unknown): { code?: string; constraint?: string } | undefined {
  const driverError: unknown = error instanceof QueryFailedError ? error.driverError : error;
  return typeof driverError === 'object' && driverError !== null ? driverError : undefined;
}

/** True when `error` is PostgreSQL's unique_violation, on the named constraint or index if one is given. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = driverErrorOf(error);
  return driverError?.code === '23505' && (constraint === undefined || driverError.constraint === constraint);
}

/** True when PostgreSQL aborted the transaction to break a deadlock (deadlock_detected). */
export function isDeadlock(error: unknown): boolean {
  return driverErrorOf(error)?.code === '40P01';
}

/**
 * Runs `work` again when PostgreSQL chose it as a deadlock's victim, as its manual asks of
 * applications: the victim's transaction is rolled back whole, so running it again is safe, and
 * the other side has gone on. For work whose locks cannot always be taken in one global order.
 */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isDeadlock(error) || attempt >= attempts) throw error;
    }
  }
}
