import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Random } from './random';

/** How a careful client retries: bounded attempts, exponential backoff with full jitter. */
export interface RetryPolicy {
  /** Attempts per operation, the first one included. */
  attempts: number;
  /** How long one attempt may take before the client gives up on it (and retries). */
  timeoutMs: number;
  /** The wait before retry n is random in [0, min(maxBackoffMs, baseBackoffMs × 2^(n-1))]. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

/** Up to about 15 s of retries: long enough to outlast a unit's restart on a busy machine. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 20, timeoutMs: 4000, baseBackoffMs: 50, maxBackoffMs: 1000 };

/** One attempt's answer. Status 0: none (connection refused or reset, or the client timed out). */
export interface Answer {
  status: number;
  body?: { id?: string; code?: string; [field: string]: unknown };
}

/** A logical operation: one idempotency key, one body, and every answer its attempts got. */
export interface Operation {
  key: string;
  path: string;
  answers: Answer[];
}

/** The last answer: the operation's outcome, unless it is retryable (the client gave up). */
export function outcomeOf(operation: Operation): Answer {
  return operation.answers[operation.answers.length - 1];
}

/**
 * Whether the answer leaves the outcome unknown and the same request may be sent again: no
 * answer, the API's "unavailable" (503) and "deadline exceeded" (504), and the idempotency layer's
 * "the first request with this key is still running".
 */
export function isRetryable(answer: Answer): boolean {
  return (
    answer.status === 0 ||
    answer.status === 503 ||
    answer.status === 504 ||
    (answer.status === 409 && answer.body?.code === 'idempotency.request_in_progress')
  );
}

/**
 * An HTTP client that behaves as the API asks a careful client to: every POST carries an
 * `Idempotency-Key` (one per logical operation), and an unknown outcome is retried with the same
 * key and the same body, a bounded number of times.
 */
export class CarefulClient {
  /** Attempts beyond each operation's first. */
  retries = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly random: Random,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {}

  /**
   * Sends the operation until it gets an answer that is not retryable, or runs out of attempts.
   * `into` (an operation already sent) sends it once more with its key, as a client that lost
   * the answer would, and adds the answers to it.
   */
  async post(path: string, body?: unknown, into: Operation = { key: randomUUID(), path, answers: [] }): Promise<Operation> {
    const operation = into;
    const key = operation.key;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 1; attempt <= this.policy.attempts; attempt++) {
      if (attempt > 1) {
        this.retries++;
        const ceiling = Math.min(this.policy.maxBackoffMs, this.policy.baseBackoffMs * 2 ** (attempt - 2));
        await sleep(this.random.next() * ceiling);
      }
      const answer = await this.send(path, payload, key);
      operation.answers.push(answer);
      if (!isRetryable(answer)) break;
    }
    return operation;
  }

  private async send(path: string, payload: string | undefined, key: string): Promise<Answer> {
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        // No content type without a body: Fastify refuses an empty JSON body.
        headers: payload === undefined ? { 'idempotency-key': key } : { 'content-type': 'application/json', 'idempotency-key': key },
        body: payload,
        signal: AbortSignal.timeout(this.policy.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch {
      return { status: 0 };
    }
    try {
      return { status, body: text ? (JSON.parse(text) as Answer['body']) : undefined };
    } catch {
      return { status }; // not the API's JSON: the status alone says what happened
    }
  }
}
