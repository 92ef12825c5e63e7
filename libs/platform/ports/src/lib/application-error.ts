/**
 * The error categories a port may raise. Each maps to one HTTP status in the presentation tier
 * and crosses a network hop unchanged, so a caller sees the same failure in every topology.
 */
export type ErrorCategory = 'not_found' | 'conflict' | 'validation' | 'unavailable';

const STATUS_OF: Record<ErrorCategory, number> = {
  not_found: 404,
  conflict: 409,
  validation: 400,
  unavailable: 503,
};

/** The wire form of an {@link ApplicationError}: plain JSON, safe to serialise anywhere. */
export interface ErrorEnvelope {
  /** Stable, module-qualified code, e.g. `catalog.insufficient_stock`. */
  code: string;
  category: ErrorCategory;
  status: number;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Base class of every error a port is allowed to throw. Business code throws subclasses
 * declared in its module's `contracts`; only the presentation tier turns them into HTTP.
 *
 * @example
 * export class ProductNotFoundError extends NotFoundError {
 *   constructor(productId: string) {
 *     super('catalog.product_not_found', `Product ${productId} was not found`, { productId });
 *   }
 * }
 */
export abstract class ApplicationError extends Error {
  abstract readonly category: ErrorCategory;

  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return STATUS_OF[this.category];
  }

  toEnvelope(): ErrorEnvelope {
    return {
      code: this.code,
      category: this.category,
      status: this.status,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export class NotFoundError extends ApplicationError {
  readonly category = 'not_found';
}

export class ConflictError extends ApplicationError {
  readonly category = 'conflict';
}

export class InvalidInputError extends ApplicationError {
  readonly category = 'validation';
}

export class UnavailableError extends ApplicationError {
  readonly category = 'unavailable';
}

const CLASS_OF: Record<ErrorCategory, new (code: string, message: string, details?: Record<string, unknown>) => ApplicationError> = {
  not_found: NotFoundError,
  conflict: ConflictError,
  validation: InvalidInputError,
  unavailable: UnavailableError,
};

/** Revives an error received from another unit; the caller sees the same category, code and details. */
export function errorFromEnvelope(envelope: ErrorEnvelope): ApplicationError {
  const ErrorClass = CLASS_OF[envelope.category] ?? UnavailableError;
  return new ErrorClass(envelope.code, envelope.message, envelope.details);
}
