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
import { InvalidInputError } from '@strata/platform/ports';
import { ProductRepository } from '@strata/catalog/data-access';

@Injectable()
export class CatalogService extends CatalogPort {
  constructor(private readonly products: ProductRepository) {
    super();
  }

  createProduct(product: CreateProductDto): Promise<ProductDto> {
    return this.products.insert(product);
  }

  async getProduct(productId: string): Promise<ProductDto> {
    const product = await this.products.findById(productId);
    if (!product) throw new ProductNotFoundError(productId);
    return product;
  }

  listProducts({ limit, offset }: ListProductsQuery): Promise<ProductPageDto> {
    return this.products.findPage({ limit, offset });
  }

  async reserveStock(request: ReserveStockRequest): Promise<StockReservation> {
    if (request.lines.length === 0) {
      throw new InvalidInputError('catalog.empty_reservation', 'A reservation needs at least one line');
    }
    const productIds = new Set(request.lines.map((line) => line.productId));
    if (productIds.size !== request.lines.length) {
      throw new InvalidInputError('catalog.repeated_product', 'A reservation may name each product once');
    }
    if (request.lines.some((line) => !Number.isInteger(line.quantity) || line.quantity < 1)) {
      throw new InvalidInputError('catalog.invalid_quantity', 'Every quantity must be a whole number of at least 1');
    }
    return this.products.reserve(request);
  }

  releaseStock(request: ReleaseStockRequest): Promise<void> {
    return this.products.release(request);
  }
}
