/**
 * The error categories a port may raise. Each maps to one HTTP status in the presentation tier
 * and crosses a network hop unchanged, so a caller sees the same failure in every topology.
 */
export type ErrorCategory = 'not_found' | 'conflict' | 'validation' | 'unprocessable' | 'unavailable' | 'deadline_exceeded';

const STATUS_OF: Record<ErrorCategory, number> = {
  not_found: 404,
  conflict: 409,
  validation: 400,
  unprocessable: 422,
  unavailable: 503,
  deadline_exceeded: 504,
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

/** Well-formed, but contradicts what the server already holds for it (e.g. a reused idempotency key). */
export class UnprocessableError extends ApplicationError {
  readonly category = 'unprocessable';
}

export class UnavailableError extends ApplicationError {
  readonly category = 'unavailable';
}

/**
 * A call to another unit failed in the network, not in the code it called: the peer refused the
 * connection, dropped it, or did not answer before the deadline. Callers that care can tell it
 * from an application error by its class or by its `transport.` code; HTTP clients get 503 or 504.
 */
export abstract class TransportError extends ApplicationError {}

/** The peer could not be reached, or the connection dropped before it answered (503). */
export class PeerUnavailableError extends TransportError {
  static readonly code = 'transport.peer_unavailable';
  readonly category = 'unavailable';

  constructor(message: string, details?: Record<string, unknown>) {
    super(PeerUnavailableError.code, message, details);
  }
}

/** The peer did not answer before the call's deadline (504). */
export class DeadlineExceededError extends TransportError {
  static readonly code = 'transport.deadline_exceeded';
  readonly category = 'deadline_exceeded';

  constructor(message: string, details?: Record<string, unknown>) {
    super(DeadlineExceededError.code, message, details);
  }
}

type ErrorClass = new (code: string, message: string, details?: Record<string, unknown>) => ApplicationError;

class RevivedDeadlineExceededError extends ApplicationError {
  readonly category = 'deadline_exceeded';
}

const CLASS_OF: Record<ErrorCategory, ErrorClass> = {
  not_found: NotFoundError,
  conflict: ConflictError,
  validation: InvalidInputError,
  unprocessable: UnprocessableError,
  unavailable: UnavailableError,
  deadline_exceeded: RevivedDeadlineExceededError,
};

/** A declared error class: a subclass of a category, with its code as a static member. */
export type DeclaredErrorClass = (abstract new (...args: never[]) => ApplicationError) & { readonly code: string };

const declared = new Map<string, DeclaredErrorClass>();

/**
 * Registers the error classes a module's contracts declare, so that an error received from
 * another unit is revived as its own class: `instanceof ProductNotFoundError` holds in every
 * topology, not only where the error was thrown. Called once per `*.errors.ts`, beside the
 * classes; a code declared by two classes is a mistake and throws at load time.
 */
export function registerErrors(...classes: DeclaredErrorClass[]): void {
  for (const errorClass of classes) {
    const existing = declared.get(errorClass.code);
    if (existing && existing !== errorClass) {
      throw new Error(`Error code "${errorClass.code}" is declared twice: by ${existing.name} and by ${errorClass.name}`);
    }
    declared.set(errorClass.code, errorClass);
  }
}

/** The class registered for a code, if any. */
export function declaredErrorClass(code: string): DeclaredErrorClass | undefined {
  return declared.get(code);
}

/**
 * Revives an error received from another unit; the caller sees the same category, code, message
 * and details. An error whose class is registered (see {@link registerErrors}) comes back as an
 * instance of that class; an unknown code as an instance of its category. A transport failure
 * further down the chain stays a {@link TransportError}.
 */
export function errorFromEnvelope(envelope: ErrorEnvelope): ApplicationError {
  if (envelope.code === PeerUnavailableError.code) return new PeerUnavailableError(envelope.message, envelope.details);
  if (envelope.code === DeadlineExceededError.code) return new DeadlineExceededError(envelope.message, envelope.details);
  const ErrorClass = CLASS_OF[envelope.category] ?? UnavailableError;
  const args = [envelope.code, envelope.message, envelope.details] as const;
  const Declared = declared.get(envelope.code);
  // The category's constructor builds it (the declared one takes other arguments, e.g. an id),
  // with the declared class as `new.target`: its prototype, name and `instanceof` are the declared ones.
  if (Declared && Declared.prototype instanceof ErrorClass) return Reflect.construct(ErrorClass, args, Declared) as ApplicationError;
  return new ErrorClass(...args);
}
