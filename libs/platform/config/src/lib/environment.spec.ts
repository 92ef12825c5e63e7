import { ConfigurationError, loadConfig } from './environment';

describe('loadConfig', () => {
  it('needs nothing set: embedded PostgreSQL, queue on PostgreSQL, port 3000', () => {
    const config = loadConfig({});

    expect(config.http.port).toBe(3000);
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
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigurationError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}.*${value}`));
  });

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect((error as ConfigurationError).problems).toHaveLength(2);
    }
  });
});
