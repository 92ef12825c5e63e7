import { ConfigurationError, loadSettings } from '@strata/platform/config';
import { checkSettleDelay, OrdersSettings } from './orders.settings';

describe('OrdersSettings', () => {
  it('settles an order a minute after it was placed, unless SETTLE_AFTER_MS says otherwise', () => {
    expect(loadSettings(OrdersSettings, {}).SETTLE_AFTER_MS).toBe(60_000);
    expect(loadSettings(OrdersSettings, { SETTLE_AFTER_MS: '1500' }).SETTLE_AFTER_MS).toBe(1500);
  });

  it.each(['99', '86400001', 'soon', '1e3'])('refuses SETTLE_AFTER_MS=%s, naming the variable', (value) => {
    expect(() => loadSettings(OrdersSettings, { SETTLE_AFTER_MS: value })).toThrow(ConfigurationError);
    expect(() => loadSettings(OrdersSettings, { SETTLE_AFTER_MS: value })).toThrow(new RegExp(`SETTLE_AFTER_MS .*\\(got "?${value}"?\\)`));
  });

  it('holds nothing but its own variables (no secret of the process rides along)', () => {
    const settings = loadSettings(OrdersSettings, { INTERNAL_AUTH_SECRET: 's'.repeat(32), SETTLE_AFTER_MS: '500' });

    expect({ ...settings }).toEqual({ SETTLE_AFTER_MS: 500 });
  });

  it('accepts a settle delay of at least three call deadlines', () => {
    const settings = loadSettings(OrdersSettings, { SETTLE_AFTER_MS: '3000' });

    expect(checkSettleDelay(settings, { callTimeoutMs: 1000 })).toBe(settings);
  });

  it('refuses a settle delay shorter than three call deadlines, naming both variables', () => {
    const settings = loadSettings(OrdersSettings, { SETTLE_AFTER_MS: '1500' });

    expect(() => checkSettleDelay(settings, { callTimeoutMs: 1000 })).toThrow(ConfigurationError);
    expect(() => checkSettleDelay(settings, { callTimeoutMs: 1000 })).toThrow(
      'SETTLE_AFTER_MS must be at least 3 times CALL_TIMEOUT_MS, the deadline of a placement (got SETTLE_AFTER_MS=1500, CALL_TIMEOUT_MS=1000)',
    );
  });
});
