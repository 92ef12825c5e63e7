import { Transform } from 'class-transformer';
import { IsUUID } from 'class-validator';

/**
 * A field that names an entity by its UUID: any version, in either case, and lower-cased on the way
 * in, as PostgreSQL answers it. `A1…` and `a1…` are one id to the database; lower-cased, they are one
 * to everything else too: the answer to a request and a later read show the same id, and a retry with
 * an `Idempotency-Key` that spells it in the other case is the same request, not another.
 *
 * @example
 * @IsId() customerId!: string;
 */
export function IsId(): PropertyDecorator {
  const decorators: PropertyDecorator[] = [
    Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value)),
    IsUUID('all'),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}
