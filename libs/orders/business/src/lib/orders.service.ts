import { Injectable, Logger } from '@nestjs/common';
import { CatalogPort, ReservationReleasedError, type StockReservation } from '@strata/catalog/contracts';
import { CustomersPort } from '@strata/customers/contracts';
import {
  ListOrdersQuery,
  OrderAlreadyCancelledError,
  OrderDto,
  OrderNotFoundError,
  OrderPageDto,
  OrderPlacementExpiredError,
  OrdersPort,
  PlaceOrderDto,
  SettleOrderJob,
  settleJobId,
} from '@strata/orders/contracts';
import { OrderRepository, OrdersIdempotency } from '@strata/orders/data-access';
import { isDependencyUnavailable, runIdempotently, UnavailableError, type Attempt } from '@strata/platform/ports';
import { backendErrorLog, isNoAnswer, JobProducer } from '@strata/platform/queue';
import { toOrderDto } from './order.mapper';
import { totalCentsOf } from './order-pricing';
import { OrdersSettings } from './orders.settings';
import { failedForSure } from './failed-for-sure';

/**
 * Placing an order spans three modules with no shared transaction: each step is atomic on its own
 * side, a certain failure undoes the steps before it (brief, section 5), and a delayed settle job,
 * queued before anything is taken, finishes the work if the process running it dies half-way or a
 * call's outcome is unknown (see `failedForSure`). The jobs a recorded change implies (confirming
 * an order, releasing a cancelled order's stock) are written with the change itself, through the
 * orders outbox (ADR 0014), so they are never lost between the two. Placing and cancelling honour
 * the client's `Idempotency-Key` (ADR 0015): a retry gets the first answer, never a second order.
 * So it behaves the same whether catalog and customers run in this process or across the network.
 */
@Injectable()
export class OrdersService extends OrdersPort {
  private readonly logger = new Logger(OrdersService.name);
  /** With the queue down every order is refused: a line every 30 s, counting the others, not one per order. */
  private readonly warnQueueUnavailable = backendErrorLog((fields) => this.logger.warn(fields));

  constructor(
    private readonly orders: OrderRepository,
    private readonly catalog: CatalogPort,
    private readonly customers: CustomersPort,
    private readonly jobs: JobProducer,
    private readonly settings: OrdersSettings,
    private readonly idempotency: OrdersIdempotency,
  ) {
    super();
  }

  placeOrder(order: PlaceOrderDto): Promise<OrderDto> {
    return runIdempotently(this.idempotency, 'placeOrder', order, (orderId) => this.place(orderId, order), {
      // The settle job abandoned this order id: a retry places the order anew, under a new id.
      startsOver: (error) => error instanceof OrderPlacementExpiredError,
    });
  }

  /**
   * The order id is chosen first (by `runIdempotently`: a retry that takes over a dead attempt gets
   * the same one) and doubles as the reservation id, which makes every step idempotent by it.
   */
  private async place(orderId: string, { customerId, lines }: PlaceOrderDto): Promise<OrderDto> {
    // Neither needs the other, and nothing is taken until both succeed: one round trip for the two.
    // `settled` never rejects, so the safety net's failure waits for the customer check unhandled-free.
    const safetyNet = settled(this.queueSafetyNet(orderId));
    try {
      await this.customers.getCustomer(customerId);
    } catch (error) {
      // The customer's error is the answer, without waiting for the queue. Once queued, the settle
      // job is withdrawn: it would find nothing to do.
      void safetyNet.then(({ failed }) =>
        failed
          ? undefined
          : this.compensate(orderId, 'withdraw the settle job', () => this.jobs.withdraw(SettleOrderJob, settleJobId(orderId))),
      );
      throw error;
    }
    const { failed } = await safetyNet;
    if (failed) throw failed.error;
    let reservation: StockReservation;
    try {
      reservation = await this.catalog.reserveStock({ reservationId: orderId, lines });
    } catch (error) {
      if (error instanceof ReservationReleasedError) return this.placedBefore(orderId);
      throw error;
    }

    const orderLines = reservation.lines.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents }));
    try {
      // Records the order and, in the same transaction, its confirmation job (the orders outbox).
      return toOrderDto(await this.orders.insert({ id: orderId, customerId, totalCents: totalCentsOf(orderLines), lines: orderLines }));
    } catch (error) {
      // Only a certain failure gives the stock back: an insert that may have committed leaves
      // both to the settle job, which confirms the order if it exists and releases it if not.
      if (failedForSure(error))
        await this.compensate(orderId, 'give back the stock', () => this.catalog.releaseStock({ reservationId: orderId }));
      else this.logger.warn({ msg: 'order may or may not be recorded; the settle job will decide', orderId, err: error });
      throw error;
    }
  }

  /** The settle job, queued before anything is taken: it finishes the placement if this attempt dies. */
  private async queueSafetyNet(orderId: string): Promise<void> {
    try {
      await this.jobs.enqueue(SettleOrderJob, { orderId }, { jobId: settleJobId(orderId), delayMs: this.settings.SETTLE_AFTER_MS });
    } catch (error) {
      const fields = { msg: 'could not enqueue the safety net; taking nothing', orderId };
      if (isDependencyUnavailable(error) || isNoAnswer(error)) this.warnQueueUnavailable({ ...fields, err: (error as Error).message });
      else this.logger.error({ ...fields, err: error });
      throw new UnavailableError('orders.queue_unavailable', 'The order could not be queued for confirmation; nothing was kept');
    }
  }

  async getOrder(orderId: string): Promise<OrderDto> {
    const order = await this.orders.findById(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return toOrderDto(order);
  }

  async listOrders(query: ListOrdersQuery): Promise<OrderPageDto> {
    const { customerId } = query;
    const { items, total, limit, offset } = await this.orders.findPageByCustomer({ customerId, limit: query.limit, offset: query.offset });
    return { items: items.map(toOrderDto), total, limit, offset };
  }

  /**
   * The reservation under this order id was given up before: by the settle job (this is a late
   * retry of a placement that died, which kept nothing) or by cancelling the order an earlier
   * attempt of this request placed (that order is then the answer).
   */
  private async placedBefore(orderId: string): Promise<OrderDto> {
    const recorded = await this.orders.findById(orderId);
    if (!recorded) throw new OrderPlacementExpiredError(orderId);
    return toOrderDto(recorded);
  }

  cancelOrder(orderId: string): Promise<OrderDto> {
    return runIdempotently(this.idempotency, 'cancelOrder', orderId, (_, attempt) => this.cancel(orderId, attempt));
  }

  private async cancel(orderId: string, { resumed }: Attempt): Promise<OrderDto> {
    // The cancel writes the release of the stock as a job in its own transaction (the orders
    // outbox), so the stock goes back even if what follows fails or this unit dies now.
    const outcome = await this.orders.cancel(orderId);
    if (!outcome) throw new OrderNotFoundError(orderId);
    // Found cancelled by a retry that resumed an attempt whose answer was lost: that cancel was this request's.
    if (!outcome.changed && resumed) return toOrderDto(outcome.order);
    if (!outcome.changed) throw new OrderAlreadyCancelledError(orderId);
    // Released at once too, so the answer finds the stock back; if this fails, the job does it.
    await this.compensate(orderId, 'give back the stock now (its job will)', () => this.catalog.releaseStock({ reservationId: orderId }));
    return toOrderDto(outcome.order);
  }

  /** Runs an undo step; its failure is logged, never allowed to hide the error that caused it. */
  private async compensate(orderId: string, step: string, undo: () => Promise<unknown>): Promise<void> {
    try {
      await undo();
    } catch (error) {
      this.logger.error({ msg: `compensation failed: could not ${step}`, orderId, err: error });
    }
  }
}

/** A promise's outcome as a value: it resolves either way, with the error if it failed. */
function settled(promise: Promise<unknown>): Promise<{ failed?: { error: unknown } }> {
  return promise.then(
    () => ({}),
    (error: unknown) => ({ failed: { error } }),
  );
}
