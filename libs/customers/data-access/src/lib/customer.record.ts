/**
 * A customer as the data port stores and reads it back. The port's own type, not the HTTP DTO:
 * the business tier maps it (`toCustomerDto`), so storage and API can change independently.
 * Dates cross as ISO strings, because the port may be remote.
 */
export interface CustomerRecord {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

/** What `CustomerRepository.insert` takes; the database assigns the creation date. */
export interface NewCustomerRecord {
  /** Chosen by the caller, so that inserting twice is harmless (see `CustomerRepository.insert`). */
  id: string;
  email: string;
  name: string;
}
