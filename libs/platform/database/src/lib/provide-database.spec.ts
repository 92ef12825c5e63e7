import { ConfigurationError, loadConfig } from '@strata/platform/config';
import { provideDatabase } from './provide-database';

describe('provideDatabase with DATABASE_URL', () => {
  it('stops with a message naming DATABASE_URL (its password hidden) when the server cannot be reached', async () => {
    // Port 1 (tcpmux): nothing listens there on a machine that runs tests.
    const config = loadConfig({ DATABASE_URL: 'postgres://app:s3cret@127.0.0.1:1/orders', LOG_LEVEL: 'silent' });

    const start = provideDatabase(config);

    await expect(start).rejects.toBeInstanceOf(ConfigurationError);
    await expect(start).rejects.toThrow('DATABASE_URL: cannot use postgres://app:***@127.0.0.1:1/orders (connect ECONNREFUSED 127.0.0.1:1)');
    await expect(start).rejects.not.toThrow('s3cret');
  });
});
