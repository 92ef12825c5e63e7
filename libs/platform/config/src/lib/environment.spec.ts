import { loadConfig } from './environment';
import { ConfigurationError } from './variables';

describe('loadConfig', () => {
  it('needs nothing set: the monolith topology, its port, embedded PostgreSQL, queue on PostgreSQL', () => {
    const config = loadConfig({});

    expect(config.unit.topology).toBe('monolith');
    expect(config.unit.name).toBeUndefined();
    expect(config.http.port).toBeUndefined(); // the unit's httpPort in the topology: 3000 for the monolith
    expect(config.database.url).toBeUndefined();
    expect(config.queue.redisUrl).toBeUndefined();
    expect(config.database.runMigrations).toBe(true);
  });

  it('reads typed values from the environment', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://app:secret@db:5432/strata',
      REDIS_URL: 'redis://cache:6379',
      MIGRATIONS_RUN: 'false',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    });

    expect(config.http.port).toBe(8080);
    expect(config.database.url).toBe('postgres://app:secret@db:5432/strata');
    expect(config.queue.redisUrl).toBe('redis://cache:6379');
    expect(config.database.runMigrations).toBe(false);
    expect(config.log.level).toBe('warn');
    expect(config.log.format).toBe('json');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://db/strata'],
    ['REDIS_URL', 'not a url'],
    ['MIGRATIONS_RUN', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_FORMAT', 'xml'],
    ['UNIT', 'Gateway'],
    ['INTERNAL_PORT', '0'],
    ['CALL_TIMEOUT_MS', '5'],
    ['QUEUE_PREFIX', 'a b'],
    ['PEER_BUSINESS', 'business'],
    ['PEER_BUSINESS', 'business:99999'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigurationError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}.*${value}`));
  });

  it('gives one message per variable, the first rule it breaks', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(new ConfigurationError(['PORT must be an integer number (got "abc")']));
  });

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect((error as ConfigurationError).problems).toHaveLength(2);
    }
  });

  it('reads the placement of a unit and the addresses of its peers', () => {
    const config = loadConfig({
      TOPOLOGY: 'split',
      UNIT: 'gateway',
      PEER_BUSINESS: 'strata-business:4001',
      PEER_ORDERS_SERVICE: '[::1]:4100',
      INTERNAL_AUTH_SECRET: 'x'.repeat(32),
    });

    expect(config.unit).toEqual({ topology: 'split', name: 'gateway', internalPort: undefined });
    expect(config.transport.peers).toEqual({
      business: { host: 'strata-business', port: 4001 },
      'orders-service': { host: '::1', port: 4100 },
    });
    expect(config.transport.callTimeoutMs).toBe(5000);
  });

  it('rejects a short INTERNAL_AUTH_SECRET without repeating it', () => {
    expect(() => loadConfig({ INTERNAL_AUTH_SECRET: 'hunter2' })).toThrow(/INTERNAL_AUTH_SECRET must be at least 32 characters/);
    expect(() => loadConfig({ INTERNAL_AUTH_SECRET: 'hunter2' })).not.toThrow(/hunter2/);
  });
});
