/**
 * A job as declared in a module's `contracts`: the queue it goes to, its name, and (as a type
 * parameter) its payload. Producers and handlers both refer to the same declaration.
 *
 * @example
 * export const ConfirmOrderJob = defineJob<{ orderId: string }>('orders', 'orders.confirm');
 */
export interface JobDefinition<Payload> {
  readonly queue: string;
  readonly name: string;
  /** How many times a failing job runs before it is kept as failed; default 5 (`QueueModule`). */
  readonly attempts?: number;
  /** Never set: carries the payload type. */
  readonly payloadType?: Payload;
}

export function defineJob<Payload extends object>(
  queue: string,
  name: string,
  options: { attempts?: number } = {},
): JobDefinition<Payload> {
  return { queue, name, ...options };
}

/** Request context serialised into every job, so a job's logs can be traced to its request. */
export interface JobContext {
  requestId?: string;
}

/** What BullMQ stores: the payload declared by the job (ids, never entities) and the context. */
export interface JobData<Payload> {
  payload: Payload;
  context: JobContext;
}
