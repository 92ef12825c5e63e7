import { QueryFailedError } from 'typeorm';
import { isUniqueViolation } from './postgres-errors';

/** A `pg` error as the driver raises it, with PostgreSQL's SQLSTATE and the constraint it names. */
const pgError = (code: string, constraint?: string) => Object.assign(new Error(`SQLSTATE ${code}`), { code, constraint });
const failed = (driverError: Error) => new QueryFailedError('INSERT …', [], driverError);

describe('isUniqueViolation', () => {
  it('recognises a unique violation TypeORM raised, on any constraint or on the one named', () => {
    const error = failed(pgError('23505', 'products_sku_key'));

    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(error, 'products_sku_key')).toBe(true);
    expect(isUniqueViolation(error, 'products_pkey')).toBe(false);
  });

  it('answers false for any other failure', () => {
    expect(isUniqueViolation(failed(pgError('23514', 'products_stock_check')))).toBe(false);
    expect(isUniqueViolation(new Error('connection terminated'))).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
  });
});
