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
  /** Per method, the class of each argument a serving unit validates (null: not validated). */
  readonly argumentClasses: ReadonlyMap<string, readonly (ArgumentClass | null)[]>;
}

/** A class whose instances are a method's argument, e.g. `CreateProductDto`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ArgumentClass<A = any> = new (...args: never[]) => A;

/** One entry per parameter of `F`: the class its argument must be valid as, or null. */
export type ArgumentClasses<F> = F extends (...args: infer P) => unknown ? { [I in keyof P]: ArgumentClass<P[I]> | null } : never;

/**
 * How a port method is called: its semantics, and optionally the classes its arguments are
 * validated as (with their class-validator decorators) by the unit serving it, before the
 * implementation runs. The type checker matches each class to its parameter's type.
 */
export type MethodDeclaration<F> = CallSemantics | { call: CallSemantics; args: ArgumentClasses<F> };

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
 * abstract method leaves no trace at run time for a remote binding to find. For the same reason
 * a method whose argument a serving unit must validate names its class here.
 *
 * @example
 * @Port<CatalogPort>('catalog', { getProduct: 'idempotent', createProduct: { call: 'at-most-once', args: [CreateProductDto] } })
 * export abstract class CatalogPort {
 *   abstract getProduct(productId: string): Promise<ProductDto>;
 *   abstract createProduct(product: CreateProductDto): Promise<ProductDto>;
 * }
 */
export function Port<T>(name: string, methods: { [K in PortMethodNames<T>]: MethodDeclaration<T[K]> }) {
  return (port: PortClass<T>): void => {
    const existing = names.get(name);
    if (existing && existing !== port) {
      throw new Error(`Port name "${name}" is declared twice: by ${existing.name} and by ${port.name}`);
    }
    names.set(name, port);
    const entries = Object.entries(methods as Record<string, CallSemantics | { call: CallSemantics; args: (ArgumentClass | null)[] }>);
    specs.set(port, {
      name,
      methods: new Map(entries.map(([method, declared]) => [method, typeof declared === 'string' ? declared : declared.call])),
      argumentClasses: new Map(entries.map(([method, declared]) => [method, typeof declared === 'string' ? [] : declared.args])),
    });
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
