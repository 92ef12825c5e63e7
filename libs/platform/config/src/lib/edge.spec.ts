import { loadEdgeConfig } from './edge';
import { ConfigurationError } from './variables';

describe('loadEdgeConfig', () => {
  it('needs nothing set: a timeout of twice the call deadline, every unit at its topology port', () => {
    expect(loadEdgeConfig({}, 5000)).toEqual({ timeoutMs: 10_000, upstreams: {} });
  });

  it('reads EDGE_TIMEOUT_MS and UPSTREAM_<UNIT>, unit names lower-cased with "_" as "-"', () => {
    const config = loadEdgeConfig(
      { EDGE_TIMEOUT_MS: '1500', UPSTREAM_ORDERS: 'http://orders:3000', UPSTREAM_BILLING_SERVICE: 'https://billing.internal/' },
      5000,
    );

    expect(config).toEqual({ timeoutMs: 1500, upstreams: { orders: 'http://orders:3000', 'billing-service': 'https://billing.internal' } });
  });

  it.each([
    ['EDGE_TIMEOUT_MS', 'soon'],
    ['EDGE_TIMEOUT_MS', '5'],
    ['UPSTREAM_ORDERS', 'orders:3000'],
    ['UPSTREAM_ORDERS', 'ftp://orders'],
    ['UPSTREAM_ORDERS', 'http://orders:3000/api'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadEdgeConfig({ [name]: value }, 5000)).toThrow(ConfigurationError);
    expect(() => loadEdgeConfig({ [name]: value }, 5000)).toThrow(new RegExp(`${name}.*${value.replace(/[/.]/g, '\\$&')}`));
  });
});
