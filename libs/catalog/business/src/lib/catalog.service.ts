import { Injectable } from '@nestjs/common';
import {
  CatalogPort,
  CreateProductDto,
  ListProductsQuery,
  ProductDto,
  ProductNotFoundError,
  ProductPageDto,
  ReleaseStockRequest,
  ReserveStockRequest,
  StockReservation,
} from '@strata/catalog/contracts';
import { InvalidInputError, runIdempotently } from '@strata/platform/ports';
import { CatalogIdempotency, ProductRepository } from '@strata/catalog/data-access';
import { toProductDto } from './product.mapper';
import { toStockReservation } from './stock-reservation.mapper';

@Injectable()
export class CatalogService extends CatalogPort {
  constructor(
    private readonly products: ProductRepository,
    private readonly idempotency: CatalogIdempotency,
  ) {
    super();
  }

  /** Honours the client's `Idempotency-Key`: a retry gets the first answer (ADR 0015). */
  createProduct(product: CreateProductDto): Promise<ProductDto> {
    const { sku, name, priceCents, stock } = product;
    return runIdempotently(this.idempotency, 'createProduct', product, async (productId) =>
      toProductDto(await this.products.insert({ id: productId, sku, name, priceCents, stock })),
    );
  }

  async getProduct(productId: string): Promise<ProductDto> {
    const product = await this.products.findById(productId);
    if (!product) throw new ProductNotFoundError(productId);
    return toProductDto(product);
  }

  async listProducts(query: ListProductsQuery): Promise<ProductPageDto> {
    const { items, total, limit, offset } = await this.products.findPage({ limit: query.limit, offset: query.offset });
    return { items: items.map(toProductDto), total, limit, offset };
  }

  async reserveStock(request: ReserveStockRequest): Promise<StockReservation> {
    if (request.lines.length === 0) {
      throw new InvalidInputError('catalog.empty_reservation', 'A reservation needs at least one line');
    }
    // Compared without case: 'A1…' and 'a1…' are one product to the database.
    const productIds = new Set(request.lines.map((line) => line.productId.toLowerCase()));
    if (productIds.size !== request.lines.length) {
      throw new InvalidInputError('catalog.repeated_product', 'A reservation may name each product once');
    }
    if (request.lines.some((line) => !Number.isInteger(line.quantity) || line.quantity < 1)) {
      throw new InvalidInputError('catalog.invalid_quantity', 'Every quantity must be a whole number of at least 1');
    }
    const lines = request.lines.map(({ productId, quantity }) => ({ productId, quantity }));
    return toStockReservation(await this.products.reserve({ reservationId: request.reservationId, lines }));
  }

  releaseStock({ reservationId }: ReleaseStockRequest): Promise<void> {
    return this.products.release(reservationId);
  }
}
