/**
 * A product as the data port stores and reads it back. The port's own type, not the HTTP DTO:
 * the business tier maps it (`toProductDto`), so storage and API can change independently.
 */
export interface ProductRecord {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
}

/** What `ProductRepository.insert` takes. */
export interface NewProductRecord {
  /** Chosen by the caller, so that inserting twice is harmless (see `ProductRepository.insert`). */
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
}
