import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CatalogPort } from '@strata/catalog/contracts';
import { CustomersPort } from '@strata/customers/contracts';
import {
  ConfirmOrderJob,
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
 * call's outcome is unknown (see `failedForSure`). So it
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
    let order: OrderDto;
    try {
      order = toOrderDto(await this.orders.insert({ id: orderId, customerId, totalCents: totalCentsOf(orderLines), lines: orderLines }));
    } catch (error) {
      // Only a certain failure gives the stock back: an insert that may have committed leaves
      // both to the settle job, which confirms the order if it exists and releases it if not.
      if (failedForSure(error))
        await this.compensate(orderId, 'give back the stock', () => this.catalog.releaseStock({ reservationId: orderId }));
      else this.logger.warn({ msg: 'order may or may not be recorded; the settle job will decide', orderId, err: error });
      throw error;
    }

    try {
      await this.jobs.enqueue(ConfirmOrderJob, { orderId }, { jobId: `confirm-${orderId}` });
    } catch (error) {
      this.logger.error({ msg: 'could not enqueue the confirmation; undoing the order', orderId, err: error });
      // The stock goes back only once the order is certainly cancelled; otherwise the order may
      // still be pending, and the settle job confirms it with its stock.
      if (await this.compensate(orderId, 'cancel the order', () => this.orders.cancel(orderId))) {
        await this.compensate(orderId, 'give back the stock', () => this.catalog.releaseStock({ reservationId: orderId }));
      }
      throw new UnavailableError('orders.queue_unavailable', 'The order could not be queued for confirmation; nothing was kept');
    }
    return order;
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
    const outcome = await this.orders.cancel(orderId);
    if (!outcome) throw new OrderNotFoundError(orderId);
    // Released even when the order was already cancelled: the release is idempotent, so a retry
    // after a failed release still gives the stock back.
    await this.catalog.releaseStock({ reservationId: orderId });
    if (!outcome.changed) throw new OrderAlreadyCancelledError(orderId);
    return toOrderDto(outcome.order);
  }

  /**
   * Runs an undo step and tells whether it succeeded; its failure is logged, never allowed to hide
   * the error that caused it.
   */
  private async compensate(orderId: string, step: string, undo: () => Promise<unknown>): Promise<boolean> {
    try {
      await undo();
      return true;
    } catch (error) {
      this.logger.error({ msg: `compensation failed: could not ${step}`, orderId, err: error });
      return false;
    }
  }
}
