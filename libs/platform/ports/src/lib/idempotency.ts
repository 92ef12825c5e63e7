import { Logger } from '@nestjs/common';
import { ClsServiceManager } from 'nestjs-cls';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApplicationError,
  ConflictError,
  errorFromEnvelope,
  InvalidInputError,
  registerErrors,
  TransportError,
  UnprocessableError,
  type ErrorEnvelope,
} from './application-error';
import { IDEMPOTENCY_KEY, inheritedDeadline, inheritedIdempotencyKey } from './call-context';
import { Port } from './port';

/** The HTTP header a client names a retryable request with (draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** How long a key is remembered after its first use: a retry later than this runs as a new request. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** A key is 1 to 255 printable ASCII characters (a random UUID is the usual choice). */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/** What a finished request answered: its value, or the typed client error it failed with. */
export type StoredAnswer = { value?: unknown } | { error: ErrorEnvelope };

export interface BeginRequest {
  key: string;
  /** A hash of the operation and its input: the same key with another request is refused. */
  fingerprint: string;
  /** This attempt; asking twice with the same attempt answers the same, so `begin` may be retried. */
  attemptId: string;
  /** The resource id the request is given if it is the first with its key. */
  resourceId: string;
  /** How long the attempt holds the key before another may take it over (it is presumed dead). */
  leaseMs: number;
}

/**
 * What `begin` found: `run` (this attempt holds the key; do the work with `resourceId`, which every
 * attempt with this key gets; `resumed` if it took the key over from an earlier one), `done` (answer with the first attempt's answer) or `in_flight`
 * (another attempt holds the key; ask again shortly).
 */
export type BeginOutcome =
  { state: 'run'; resourceId: string; resumed: boolean } | { state: 'done'; answer: StoredAnswer } | { state: 'in_flight' };

/** What the work is told about its attempt: `resumed` when an earlier attempt with the key may have done part of it. */
export interface Attempt {
  resumed: boolean;
}

/**
 * A module's record of the idempotency keys its at-most-once operations were called with, kept
 * where its data is (`<schema>.idempotency_keys`, see `TypeOrmIdempotencyStore`). The business
 * tier uses it through {@link runIdempotently}. Every method may safely run twice, so a remote
 * binding may retry them. Each module declares its own port, so the store follows its data:
 *
 * @example
 * @IdempotencyPort('orders.idempotency')
 * export abstract class OrdersIdempotency extends IdempotencyStore {}
 */
export abstract class IdempotencyStore {
  /** Claims the key for an attempt, or reports who holds it; @throws IdempotencyKeyReusedError */
  abstract begin(request: BeginRequest): Promise<BeginOutcome>;

  /** Records the answer; the first answer recorded for a key is the one every retry gets. */
  abstract finish(request: { key: string; answer: StoredAnswer }): Promise<void>;

  /**
   * Gives up an attempt's hold on the key without an answer, so the next retry runs at once: with
   * the same resource id, or, with `startOver`, as a new request.
   */
  abstract release(request: { key: string; attemptId: string; startOver: boolean }): Promise<void>;
}

/** Declares a module's {@link IdempotencyStore} port under its wire name, e.g. `orders.idempotency`. */
export function IdempotencyPort(name: string) {
  return Port<IdempotencyStore>(name, { begin: 'idempotent', finish: 'idempotent', release: 'idempotent' });
}

export class IdempotencyKeyReusedError extends UnprocessableError {
  static readonly code = 'idempotency.key_reused';

  constructor(key: string) {
    super(IdempotencyKeyReusedError.code, `Idempotency-Key ${key} was already used for another request`, { key });
  }
}

export class IdempotentRequestInProgressError extends ConflictError {
  static readonly code = 'idempotency.request_in_progress';

  constructor(key: string) {
    super(
      IdempotentRequestInProgressError.code,
      `A request with Idempotency-Key ${key} is still in progress; retry it with the same key for its answer`,
      { key },
    );
  }
}

registerErrors(IdempotencyKeyReusedError, IdempotentRequestInProgressError);

export interface RunIdempotentlyOptions {
  /**
   * Errors after which the resource id can never succeed (a safety net fenced it off, say): the
   * key is forgotten, so a retry runs as a new request with a new id instead of failing forever.
   */
  startsOver?: (error: unknown) => boolean;
}

/** How long an attempt is presumed alive when no deadline bounds it, and the margin past one. */
const UNBOUNDED_LEASE_MS = 30_000;
const LEASE_MARGIN_MS = 1_000;
/** Pause between looks at a key another attempt holds. */
const POLL_MS = 50;
/**
 * How long before its deadline a retry stops waiting for the attempt holding its key and answers
 * 409: time for its last look at the store and for the answer to reach the caller before the
 * deadline's own 503 does. With 50 ms, the monolith's request timeout answered first once in a
 * while on a loaded machine (a look at the store took longer than the margin).
 */
const ANSWER_MARGIN_MS = 250;

const logger = new Logger('Idempotency');

/**
 * Runs an at-most-once operation so that a client's retry is safe: with the `Idempotency-Key` the
 * client sent (read from the request context, where the HTTP layer and the transport put it), the
 * first request runs `work` and its answer is recorded; a retry with the same key and input gets
 * that answer without running anything, also while the first is still running (it waits for it);
 * the same key with another input is refused (422). Without a key, `work` just runs.
 *
 * `work` gets the resource id to create: the same for every attempt with one key, so if an attempt
 * dies half-way, the retry that takes over repeats its steps with the same id, and steps that are
 * idempotent by that id (an insert that finds its row, a reservation that finds itself) complete
 * the request instead of doing it twice (`attempt.resumed` tells it so, for a step whose repeat
 * answers differently, such as a cancel finding its order cancelled). Typed client errors (4xx)
 * are answers and are recorded too; any other failure leaves the key to the next retry.
 *
 * @example
 * placeOrder(order: PlaceOrderDto) {
 *   return runIdempotently(this.idempotency, 'placeOrder', order, (orderId) => this.place(orderId, order));
 * }
 */
export async function runIdempotently<T>(
  store: IdempotencyStore,
  operation: string,
  input: unknown,
  work: (resourceId: string, attempt: Attempt) => Promise<T>,
  options: RunIdempotentlyOptions = {},
): Promise<T> {
  const key = inheritedIdempotencyKey();
  if (key === undefined) return work(randomUUID(), { resumed: false });
  if (!VALID_KEY.test(key) || key.trim() === '') {
    throw new InvalidInputError('idempotency.invalid_key', `${IDEMPOTENCY_KEY_HEADER} must be 1 to 255 printable ASCII characters`, {
      field: IDEMPOTENCY_KEY_HEADER,
    });
  }
  // The key names this operation only: calls the work makes to other operations are not retries.
  const cls = ClsServiceManager.getClsService();
  return cls.run({ ifNested: 'inherit' }, async () => {
    cls.set(IDEMPOTENCY_KEY, undefined);
    const fingerprint = fingerprintOf(operation, input);
    const attemptId = randomUUID();
    const deadline = inheritedDeadline() ?? Date.now() + UNBOUNDED_LEASE_MS;
    for (;;) {
      const leaseMs = Math.max(deadline - Date.now(), 0) + LEASE_MARGIN_MS;
      const outcome = await store.begin({ key, fingerprint, attemptId, resourceId: randomUUID(), leaseMs });
      if (outcome.state === 'done') return replay<T>(outcome.answer);
      if (outcome.state === 'run') return runHolding(store, { key, attemptId }, outcome, work, options);
      if (Date.now() + POLL_MS + ANSWER_MARGIN_MS >= deadline) throw new IdempotentRequestInProgressError(key);
      await sleep(POLL_MS);
    }
  });
}

async function runHolding<T>(
  store: IdempotencyStore,
  { key, attemptId }: { key: string; attemptId: string },
  { resourceId, resumed }: { resourceId: string; resumed: boolean },
  work: (resourceId: string, attempt: Attempt) => Promise<T>,
  { startsOver }: RunIdempotentlyOptions,
): Promise<T> {
  let value: T;
  try {
    value = await work(resourceId, { resumed });
  } catch (error) {
    await settleFailure(store, { key, attemptId }, error, startsOver?.(error) ?? false);
    throw error;
  }
  try {
    await store.finish({ key, answer: { value } });
  } catch (error) {
    // The work is done; a retry that finds no answer takes the key over and redoes its idempotent
    // steps with the same resource id, which finds them done. Nothing to undo, so answer anyway.
    logger.warn({ msg: 'could not record the answer to an idempotent request', key, err: error });
  }
  return value;
}

async function settleFailure(store: IdempotencyStore, hold: { key: string; attemptId: string }, error: unknown, startOver: boolean) {
  try {
    if (isClientError(error) && !startOver) await store.finish({ key: hold.key, answer: { error: error.toEnvelope() } });
    else await store.release({ ...hold, startOver });
  } catch (storeError) {
    // The hold lapses with its lease; the client's error is the one to report.
    logger.warn({ msg: 'could not record the failure of an idempotent request', key: hold.key, err: storeError });
  }
}

/** A 4xx the operation answered (not a transport failure on the way): the same input gets it again. */
function isClientError(error: unknown): error is ApplicationError {
  return error instanceof ApplicationError && !(error instanceof TransportError) && error.status < 500;
}

function replay<T>(answer: StoredAnswer): T {
  if ('error' in answer) throw errorFromEnvelope(answer.error);
  return answer.value as T;
}

/** A hash of the operation and its input as JSON with sorted keys: the same request, however it was spelled. */
export function fingerprintOf(operation: string, input: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([operation, input], (_, value: unknown) => (isPlainObjectLike(value) ? sortedKeys(value) : value)))
    .digest('base64url');
}

function isPlainObjectLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortedKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, value[key]]),
  );
}
