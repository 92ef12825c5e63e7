import { QueryFailedError } from 'typeorm';

/** True when TypeORM failed on PostgreSQL's unique_violation, on the named constraint or index if one is given. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError: { code?: string; constraint?: string } = error.driverError;
  return driverError.code === '23505' && (constraint === undefined || driverError.constraint === constraint);
}
