import { requirePortSpec, type PortClass } from '@strata/platform/ports';
import type { PeerClient } from './peer-client';

/**
 * A remote binding of a port: an object that is an instance of the port class (so it satisfies
 * the same DI token and `instanceof` checks) whose every declared method is a call to the peer
 * hosting the port. Made at run time from the `@Port` declaration: no generated code to keep.
 */
export function bindRemotePort<T>(port: PortClass<T>, peer: PeerClient): T {
  const spec = requirePortSpec(port);
  const binding = Object.create(port.prototype) as Record<string, unknown>;
  for (const method of spec.methods.keys()) {
    Object.defineProperty(binding, method, { value: (...args: unknown[]) => peer.call(spec, method, args), enumerable: true });
  }
  return binding as T;
}
