import { IsInt, IsOptional } from 'class-validator';
import { loadConfig } from './environment';
import { ConfigurationError, misspelledVariables, readVariables, redactCredentials } from './variables';

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

  it('reads LOG_LEVEL and LOG_FORMAT in any case, as other stacks spell them (LOG_LEVEL=DEBUG)', () => {
    const config = loadConfig({ LOG_LEVEL: 'DEBUG', LOG_FORMAT: 'Json' });

    expect(config.log).toEqual({ level: 'debug', format: 'json' });
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

  it.each([
    ['DATABASE_URL', 'mysql://db/strata', 'DATABASE_URL must be a postgres:// or postgresql:// URL'],
    ['REDIS_URL', 'http://cache:6379', 'REDIS_URL must be a redis:// or rediss:// URL'],
  ])('tells %s=%s which schemes it takes, not that it is no URL', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it.each([
    ['6000', '6001'],
    ['10080', '10081'],
    ['22', '24'],
  ])('refuses PORT=%s, a port browsers and fetch refuse to connect to (not %s)', async (port, allowed) => {
    expect(() => loadConfig({ PORT: port })).toThrow(
      new ConfigurationError([
        `PORT is a port browsers and fetch refuse to connect to (the Fetch standard blocks it): choose another (got ${port})`,
      ]),
    );
    // The list is the one Node's fetch keeps: it refuses to connect before trying.
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ cause: { message: 'bad port' } });
    expect(loadConfig({ PORT: allowed }).http.port).toBe(Number(allowed));
  });

  // An unencoded / or @ in a password made the URL invalid, and the message showed the password.
  it.each([
    ['DATABASE_URL', 'postgres://postgres:sec/ret@127.0.0.1:5432/db', 'sec'],
    ['DATABASE_URL', 'postgres://postgres:p@ss:w/rd#x%@127.0.0.1:5432/db', 'ss:w'],
    ['REDIS_URL', 'redis://:pa/ss@127.0.0.1:6379', 'pa/ss'],
  ])('never shows the password of an invalid %s (%s), and says to percent-encode it', (name, value, secret) => {
    const message = (() => {
      try {
        loadConfig({ [name]: value });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();

    expect(message).toContain('percent-encoded (%40 %3A %2F %23 %25)');
    expect(message).toContain('://***@127.0.0.1');
    expect(message).not.toContain(secret);
  });

  // Without one, PostgreSQL used the user's default database (postgres) and the kit created its schemas there.
  it.each(['postgres://postgres@127.0.0.1:5432', 'postgres://postgres@127.0.0.1:5432/', 'postgres://postgres@127.0.0.1:5432/strata/'])(
    'refuses DATABASE_URL=%s, which names no database (or a name with a /)',
    (url) => {
      expect(() => loadConfig({ DATABASE_URL: url })).toThrow(
        `DATABASE_URL must name its database, e.g. postgres://user:password@host:5432/strata (got ${JSON.stringify(url)})`,
      );
    },
  );

  it('takes a DATABASE_URL naming its database, with options', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://app:pw@db:5432/strata?sslmode=disable' }).database.url).toBe(
      'postgresql://app:pw@db:5432/strata?sslmode=disable',
    );
  });

  it('refuses a URL with a lone %, which the database driver could not decode', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://postgres:sec%ret@127.0.0.1:5432/db' })).toThrow(
      'DATABASE_URL has a % that is not a percent-escape (%25 is a literal %)',
    );
    expect(loadConfig({ DATABASE_URL: 'postgres://postgres:sec%25ret@127.0.0.1:5432/db' }).database.url).toContain('sec%25ret');
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

  it.each([
    ['DATABASE_URL', 'postgres://app:s3cret-pw@db:5432/strata x'],
    ['DATABASE_URL', 'mysql://app:s3cret-pw@db/strata'],
    ['REDIS_URL', 'redis://:s3cret-pw@cache:6379/x y'],
  ])('rejects a bad %s naming it, without its password', (name, value) => {
    const message = (() => {
      try {
        loadConfig({ [name]: value });
        return 'no error';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain(name);
    expect(message).toContain('://***@');
    expect(message).not.toContain('s3cret-pw');
  });

  it('has defaults for the timeouts, the pool, failed jobs, rate limit and docs, and reads them', () => {
    expect(loadConfig({})).toMatchObject({
      http: { requestTimeoutMs: 15_000, rateLimitPerMinute: 0, docsEnabled: true },
      database: { statementTimeoutMs: 10_000, connectTimeoutMs: 1500, poolSize: 10 },
      queue: { keepFailed: { hours: 168, count: 100_000 } },
    });
    const config = loadConfig({
      REQUEST_TIMEOUT_MS: '2000',
      RATE_LIMIT_PER_MINUTE: '600',
      DOCS_ENABLED: 'false',
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      DATABASE_POOL_SIZE: '4',
      FAILED_JOBS_KEEP_HOURS: '24',
      FAILED_JOBS_KEEP_COUNT: '10',
    });
    expect(config).toMatchObject({
      http: { requestTimeoutMs: 2000, rateLimitPerMinute: 600, docsEnabled: false },
      database: { statementTimeoutMs: 0, connectTimeoutMs: 500, poolSize: 4 },
      queue: { keepFailed: { hours: 24, count: 10 } },
    });
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '5', DOCS_ENABLED: 'nope', FAILED_JOBS_KEEP_COUNT: '0' })).toThrow(
      /REQUEST_TIMEOUT_MS[\s\S]*FAILED_JOBS_KEEP_COUNT[\s\S]*DOCS_ENABLED|REQUEST_TIMEOUT_MS/,
    );
  });
});

describe('loadConfig: shutdown times', () => {
  it('gives a shutdown, by default, the drain, then a request its whole timeout, then 5 s to close', () => {
    expect(loadConfig({}).shutdown).toEqual({ drainMs: 1000, timeoutMs: 1000 + 15_000 + 5000 });
    expect(loadConfig({ SHUTDOWN_DRAIN_MS: '5000', REQUEST_TIMEOUT_MS: '2000' }).shutdown).toEqual({ drainMs: 5000, timeoutMs: 12_000 });
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '60000' }).shutdown).toEqual({ drainMs: 1000, timeoutMs: 60_000 });
  });

  // Past SHUTDOWN_TIMEOUT_MS the process exits: a request still waiting then (on a database that
  // hangs) would have its connection closed without an answer.
  it('refuses a SHUTDOWN_TIMEOUT_MS that would end the process before a request it took has timed out', () => {
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '10000' })).toThrow(
      'SHUTDOWN_TIMEOUT_MS (10000) must be at least SHUTDOWN_DRAIN_MS + REQUEST_TIMEOUT_MS (16000)',
    );
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '3000', SHUTDOWN_DRAIN_MS: '0', REQUEST_TIMEOUT_MS: '3000' })).not.toThrow();
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '2999', SHUTDOWN_DRAIN_MS: '0', REQUEST_TIMEOUT_MS: '3000' })).toThrow(
      'SHUTDOWN_TIMEOUT_MS (2999) must be at least',
    );
  });

  it('says nothing of it when one of the three is itself wrong', () => {
    let refusal = '';
    try {
      loadConfig({ SHUTDOWN_TIMEOUT_MS: '200', REQUEST_TIMEOUT_MS: 'soon' });
    } catch (error) {
      refusal = (error as Error).message;
    }
    expect(refusal).toContain('REQUEST_TIMEOUT_MS');
    expect(refusal).not.toContain('must be at least');
  });
});

describe('loadConfig: CORS_ORIGINS', () => {
  it('is none by default: same origin only', () => {
    expect(loadConfig({}).http.corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: ' ' }).http.corsOrigins).toEqual([]);
  });

  it('reads origins as a browser sends them: a trailing slash, a default port and upper case dropped', () => {
    expect(
      loadConfig({ CORS_ORIGINS: 'https://App.Example.com/, http://localhost:5173,https://b.example.com:443' }).http.corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:5173', 'https://b.example.com']);
    expect(loadConfig({ CORS_ORIGINS: '*' }).http.corsOrigins).toBe('*');
  });

  it.each([
    ['a path, which no Origin header holds', 'https://app.example.com/app', /CORS_ORIGINS.*"https:\/\/app.example.com\/app"/],
    ['a host without a scheme', 'app.example.com', /CORS_ORIGINS.*"app.example.com"/],
    ['another scheme', 'ftp://app.example.com', /CORS_ORIGINS.*"ftp:\/\/app.example.com"/],
    ['* beside an origin', '*,https://app.example.com', /CORS_ORIGINS must be \* alone/],
  ])('refuses %s, naming the variable and the entry', (_case, value, message) => {
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(message);
  });
});

describe('loadConfig: the internal listener', () => {
  it('binds loopback, with caps, unless told otherwise', () => {
    expect(loadConfig({}).transport).toMatchObject({ host: '127.0.0.1', maxConnections: 256, maxInFlight: 512, tls: undefined });
    expect(loadConfig({ INTERNAL_HOST: '0.0.0.0', INTERNAL_MAX_CONNECTIONS: '10', INTERNAL_MAX_IN_FLIGHT: '20' }).transport).toMatchObject({
      host: '0.0.0.0',
      maxConnections: 10,
      maxInFlight: 20,
    });
  });

  it('reads the TLS files, certificate and key together', () => {
    expect(loadConfig({ INTERNAL_TLS_CERT: '/c.pem', INTERNAL_TLS_KEY: '/k.pem', INTERNAL_TLS_CA: '/ca.pem' }).transport.tls).toEqual({
      certFile: '/c.pem',
      keyFile: '/k.pem',
      caFile: '/ca.pem',
    });
    expect(() => loadConfig({ INTERNAL_TLS_CERT: '/c.pem' })).toThrow(/INTERNAL_TLS_CERT and INTERNAL_TLS_KEY must be set together/);
    expect(() => loadConfig({ INTERNAL_MAX_IN_FLIGHT: '0' })).toThrow(/INTERNAL_MAX_IN_FLIGHT must be at least 1/);
  });
});

describe('redactCredentials', () => {
  it("hides every URL's password, and keeps the rest", () => {
    expect(redactCredentials('at postgres://app:pw@db:5432/x and redis://:pw2@cache:6379')).toBe(
      'at postgres://app:***@db:5432/x and redis://:***@cache:6379',
    );
    expect(redactCredentials('redis://cache:6379 postgres://app@db/x')).toBe('redis://cache:6379 postgres://app@db/x');
  });
});

describe('misspelledVariables', () => {
  class ModuleSettings {
    @IsOptional() @IsInt() readonly SETTLE_AFTER_MS?: number;
  }

  it('names a set variable nothing read that is a typo or two from one read, with the one it meant', () => {
    loadConfig({});
    readVariables(ModuleSettings, {});

    expect(
      misspelledVariables({
        DATABSE_URL: 'postgres://db/x', // one letter left out
        REDIS_ULR: 'redis://cache', // two swapped
        SETTLE_AFTR_MS: '500', // a module's setting
        LOG_LEVLE: 'debug',
        DATABASE_URL: 'postgres://db/y', // read: never a typo, even beside its misspelling
      }),
    ).toEqual([
      { name: 'DATABSE_URL', meant: 'DATABASE_URL' },
      { name: 'REDIS_ULR', meant: 'REDIS_URL' },
      { name: 'SETTLE_AFTR_MS', meant: 'SETTLE_AFTER_MS' },
      { name: 'LOG_LEVLE', meant: 'LOG_LEVEL' },
    ]);
  });

  it("leaves alone the environment's own variables near a short name, and anything far from every name read", () => {
    loadConfig({});

    expect(
      misspelledVariables({
        HOME: '/root', // HOST, two letters away, but short names are never guessed at
        PORT0: '8080', // PORT plus one: under six characters
        HOSTNAME: 'vm',
        KUBERNETES_SERVICE_PORT: '443',
        REDIS_PORT: 'tcp://10.0.0.1:6379', // what Kubernetes sets for a Service named redis
        CORE_PORT: 'tcp://10.0.0.2:4000',
        DATA_PORT: 'tcp://10.0.0.3:4002',
        NODE_OPTIONS: '--enable-source-maps',
        npm_config_cache: '/root/.npm',
        DATABSE_URL: '', // empty is unset
      }),
    ).toEqual([]);
  });
});
