/**
 * Whether a port method may safely run twice for one logical call. A remote binding retries an
 * `idempotent` method when the connection fails before an answer arrives; an `at-most-once`
 * method is never retried, because the first attempt may already have done its work.
 */
export type CallSemantics = 'idempotent' | 'at-most-once';

/** What the runtime knows of a port: its wire name and its methods. */
export interface PortSpec {
  /** Stable wire name, e.g. `catalog` or `catalog.products`; never derived from a class name. */
  readonly name: string;
  readonly methods: ReadonlyMap<string, CallSemantics>;
}

/** A port class: abstract, so `abstract new` rather than `new`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PortClass<T = any> = abstract new (...args: never[]) => T;

/** The names of a port's methods: every member that returns a promise. */
export type PortMethodNames<T> = {
  [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T] &
  string;

const specs = new WeakMap<PortClass, PortSpec>();
const names = new Map<string, PortClass>();

/**
 * Declares an abstract class as a port: a DI token that can be bound locally or remotely. The
 * method table must list every method of the class (the type checker enforces it), because an
 * abstract method leaves no trace at run time for a remote binding to find.
 *
 * @example
 * @Port<CatalogPort>('catalog', { getProduct: 'idempotent', createProduct: 'at-most-once' })
 * export abstract class CatalogPort {
 *   abstract getProduct(productId: string): Promise<ProductDto>;
 *   abstract createProduct(product: CreateProductDto): Promise<ProductDto>;
 * }
 */
export function Port<T>(name: string, methods: Record<PortMethodNames<T>, CallSemantics>) {
  return (port: PortClass<T>): void => {
    const existing = names.get(name);
    if (existing && existing !== port) {
      throw new Error(`Port name "${name}" is declared twice: by ${existing.name} and by ${port.name}`);
    }
    names.set(name, port);
    specs.set(port, { name, methods: new Map(Object.entries<CallSemantics>(methods)) });
  };
}

/** The declaration of a port class, or undefined for any other class. */
export function portSpecOf(candidate: unknown): PortSpec | undefined {
  return typeof candidate === 'function' ? specs.get(candidate as PortClass) : undefined;
}

/** Like {@link portSpecOf}, for a class that must be a port. */
export function requirePortSpec(port: PortClass): PortSpec {
  const spec = specs.get(port);
  if (!spec) throw new Error(`${port.name} is not a port: declare it with @Port(...)`);
  return spec;
}
