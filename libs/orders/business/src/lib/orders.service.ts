import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CatalogPort } from '@strata/catalog/contracts';
import { CustomersPort } from '@strata/customers/contracts';
import {
  ListOrdersQuery,
  OrderAlreadyCancelledError,
  OrderDto,
  OrderNotFoundError,
  OrderPageDto,
  OrdersPort,
  PlaceOrderDto,
  SettleOrderJob,
} from '@strata/orders/contracts';
import { OrderRepository } from '@strata/orders/data-access';
import { UnavailableError } from '@strata/platform/ports';
import { JobProducer } from '@strata/platform/queue';
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
 * orders outbox (ADR 0014), so they are never lost between the two. So it
 * behaves the same whether catalog and customers run in this process or across the network.
 */
@Injectable()
export class OrdersService extends OrdersPort {
  private readonly logger = new Logger(OrdersService.name);

  constructor(
    private readonly orders: OrderRepository,
    private readonly catalog: CatalogPort,
    private readonly customers: CustomersPort,
    private readonly jobs: JobProducer,
    private readonly settings: OrdersSettings,
  ) {
    super();
  }

  async placeOrder({ customerId, lines }: PlaceOrderDto): Promise<OrderDto> {
    await this.customers.getCustomer(customerId);
    // The order id is chosen first and doubles as the reservation id, which makes both the
    // reservation and its release idempotent.
    const orderId = randomUUID();
    try {
      await this.jobs.enqueue(SettleOrderJob, { orderId }, { jobId: `settle-${orderId}`, delayMs: this.settings.SETTLE_AFTER_MS });
    } catch (error) {
      this.logger.error({ msg: 'could not enqueue the safety net; taking nothing', orderId, err: error });
      throw new UnavailableError('orders.queue_unavailable', 'The order could not be queued for confirmation; nothing was kept');
    }
    const reservation = await this.catalog.reserveStock({ reservationId: orderId, lines });

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

  async cancelOrder(orderId: string): Promise<OrderDto> {
    // The cancel writes the release of the stock as a job in its own transaction (the orders
    // outbox), so the stock goes back even if what follows fails or this unit dies now.
    const outcome = await this.orders.cancel(orderId);
    if (!outcome) throw new OrderNotFoundError(orderId);
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
