import { InvalidInputError } from '@strata/platform/ports';
import { ProductNotFoundError, type ReserveStockRequest } from '@strata/catalog/contracts';
import type { CatalogIdempotency, ProductRepository } from '@strata/catalog/data-access';
import { CatalogService } from './catalog.service';

const PRODUCT_A = '00000000-0000-4000-8000-00000000000a';
const PRODUCT_B = '00000000-0000-4000-8000-00000000000b';

function serviceWith(repository: Partial<ProductRepository>) {
  // The idempotency store is unused without an Idempotency-Key in the request context, as here.
  return new CatalogService(repository as ProductRepository, {} as CatalogIdempotency);
}

describe('CatalogService', () => {
  it('answers ProductNotFoundError for an unknown product', async () => {
    const service = serviceWith({ findById: async () => null });

    await expect(service.getProduct(PRODUCT_A)).rejects.toBeInstanceOf(ProductNotFoundError);
  });

  it.each<[string, ReserveStockRequest['lines']]>([
    ['no lines', []],
    [
      'a product named twice',
      [
        { productId: PRODUCT_A, quantity: 1 },
        { productId: PRODUCT_A, quantity: 2 },
      ],
    ],
    [
      'a product named twice in different cases',
      [
        { productId: PRODUCT_A.toUpperCase(), quantity: 1 },
        { productId: PRODUCT_A.toLowerCase(), quantity: 2 },
      ],
    ],
    ['a zero quantity', [{ productId: PRODUCT_A, quantity: 0 }]],
    ['a fractional quantity', [{ productId: PRODUCT_B, quantity: 1.5 }]],
  ])('refuses a reservation with %s before touching storage', async (_, lines) => {
    const reserve = jest.fn();
    const service = serviceWith({ reserve });

    await expect(service.reserveStock({ reservationId: PRODUCT_B, lines })).rejects.toBeInstanceOf(InvalidInputError);
    expect(reserve).not.toHaveBeenCalled();
  });

  it('passes a valid reservation to storage', async () => {
    const reservation = { reservationId: PRODUCT_B, lines: [{ productId: PRODUCT_A, quantity: 2, unitPriceCents: 5 }] };
    const reserve = jest.fn(async () => reservation);
    const service = serviceWith({ reserve });

    await expect(service.reserveStock({ reservationId: PRODUCT_B, lines: [{ productId: PRODUCT_A, quantity: 2 }] })).resolves.toEqual(
      reservation,
    );
    expect(reserve).toHaveBeenCalledWith({ reservationId: PRODUCT_B, lines: [{ productId: PRODUCT_A, quantity: 2 }] });
  });

  it('releases a reservation by its id', async () => {
    const release = jest.fn(async () => undefined);
    const service = serviceWith({ release });

    await service.releaseStock({ reservationId: PRODUCT_B });

    expect(release).toHaveBeenCalledWith(PRODUCT_B);
  });
});
