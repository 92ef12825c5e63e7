import { Global, Injectable, Logger, Module, type INestMicroservice } from '@nestjs/common';
import { ClientTCP } from '@nestjs/microservices';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  ApplicationError,
  CALLER_KEY,
  DEADLINE_KEY,
  DeadlineExceededError,
  DependencyUnavailableError,
  IDEMPOTENCY_KEY,
  InvalidInputError,
  NotFoundError,
  PeerUnavailableError,
  Port,
  registerErrors,
  TransportError,
} from '@strata/platform/ports';
import { IsInt, IsString, Min } from 'class-validator';
import { ClsModule, ClsService, CLS_ID } from 'nestjs-cls';
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort } from '@strata/platform/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastValueFrom } from 'rxjs';

import { InternalListener } from './internal-listener';
import { AUTH_TIMEOUT_MS, HELLO_PATTERN, PRE_AUTH_MAX_BYTES } from './internal-socket';
import { CALLERS_QUIET_MS, CALLERS_WAIT_MS, PortServer } from './port-server';
import { CREDENTIAL_WINDOW_MS, ServiceCredentials } from './service-credentials';
import { TransportModule } from './transport.module';
import type { InternalTls } from './transport.options';
import { CALL_PATTERN, type CallMessage, type CallReply } from './wire';

/**
 * The remote binding end to end, over real TCP on loopback: a server unit hosting a port, a client
 * unit calling it through the binding business code would get, and raw clients for what a
 * well-behaved unit never sends.
 */

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const MAX_MESSAGE_BYTES = 64 * 1024;

class WidgetNotFoundError extends NotFoundError {
  static readonly code = 'widgets.widget_not_found';
  constructor(widgetId: string) {
    super(WidgetNotFoundError.code, `Widget ${widgetId} was not found`, { widgetId });
  }
}
registerErrors(WidgetNotFoundError);

class WidgetOrder {
  @IsString() widgetId!: string;
  @IsInt() @Min(1) quantity!: number;
}

interface SeenContext {
  requestId?: string;
  caller?: string;
  deadline?: number;
  idempotencyKey?: string;
}

@Port<WidgetsPort>('test.widgets', {
  name: 'idempotent',
  count: 'at-most-once',
  find: 'idempotent',
  explode: 'idempotent',
  lostDatabase: 'idempotent',
  wait: 'idempotent',
  nothing: 'idempotent',
  context: 'idempotent',
  contextOnce: 'at-most-once',
  relay: 'at-most-once',
  order: { call: 'at-most-once', args: [WidgetOrder] },
})
abstract class WidgetsPort {
  abstract name(id: string): Promise<string>;
  abstract count(): Promise<number>;
  abstract find(id: string): Promise<never>;
  abstract explode(): Promise<never>;
  /** Fails as a query does when the database cannot be reached. */
  abstract lostDatabase(): Promise<never>;
  abstract wait(ms: number): Promise<string>;
  abstract nothing(): Promise<void>;
  abstract context(): Promise<SeenContext>;
  abstract contextOnce(): Promise<SeenContext>;
  /** Fails as a call to a deeper unit that refused to run it does. */
  abstract relay(): Promise<never>;
  abstract order(order: WidgetOrder): Promise<string>;
}

@Injectable()
class LocalWidgets extends WidgetsPort {
  calls = 0;

  constructor(private readonly cls: ClsService) {
    super();
  }

  async name(id: string) {
    return `widget ${id}`;
  }
  async count() {
    return ++this.calls;
  }
  async find(id: string): Promise<never> {
    throw new WidgetNotFoundError(id);
  }
  async explode(): Promise<never> {
    throw new Error('a bug in the callee');
  }
  async lostDatabase(): Promise<never> {
    this.calls++;
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  }
  async wait(ms: number) {
    await sleep(ms);
    return 'done';
  }
  async nothing() {
    return undefined;
  }
  async relay(): Promise<never> {
    this.calls++;
    throw new PeerUnavailableError('deeper is unavailable (shutting down)', { peer: 'deeper', call: 'x.y', executed: false });
  }
  async order(order: WidgetOrder) {
    this.calls++;
    return `${order.quantity} of ${order.widgetId} (${order instanceof WidgetOrder ? 'validated' : 'as sent'})`;
  }
  async context() {
    const seen: SeenContext = { requestId: this.cls.getId(), caller: this.cls.get(CALLER_KEY), deadline: this.cls.get(DEADLINE_KEY) };
    return { ...seen, idempotencyKey: this.cls.get(IDEMPOTENCY_KEY) };
  }
  async contextOnce() {
    return this.context();
  }
}

@Global()
@Module({ providers: [LocalWidgets, { provide: WidgetsPort, useExisting: LocalWidgets }], exports: [WidgetsPort, LocalWidgets] })
class WidgetsModule {}

interface ServerLimits {
  maxConnections?: number;
  maxInFlight?: number;
  tls?: InternalTls;
}

async function startServerUnit(port: number, { maxConnections = 32, maxInFlight, tls }: ServerLimits = {}): Promise<INestMicroservice> {
  const secret = SECRET;
  @Module({
    imports: [
      ClsModule.forRoot({ global: true }),
      WidgetsModule,
      TransportModule.forUnit({
        unit: 'server',
        secret,
        serve: [WidgetsPort],
        listen: { address: { host: '127.0.0.1', port }, maxConnections },
        callers: [
          { unit: 'client', ports: [WidgetsPort] },
          { unit: 'raw', ports: [WidgetsPort] },
        ],
        peers: [],
        callTimeoutMs: 1000,
        maxMessageBytes: MAX_MESSAGE_BYTES,
        maxInFlight,
        tls,
      }),
    ],
  })
  class ServerUnit {}
  const module = await Test.createTestingModule({ imports: [ServerUnit] }).compile();
  const app = module.createNestMicroservice({ strategy: module.get(InternalListener), logger: false });
  await app.listen();
  return app;
}

async function startClientUnit(
  port: number,
  options: { secret?: string; callTimeoutMs?: number; tls?: InternalTls } = {},
): Promise<TestingModule> {
  const module = await Test.createTestingModule({
    imports: [
      ClsModule.forRoot({ global: true }),
      TransportModule.forUnit({
        unit: 'client',
        secret: options.secret ?? SECRET,
        serve: [],
        callers: [],
        peers: [{ unit: 'server', address: { host: '127.0.0.1', port }, ports: [WidgetsPort] }],
        callTimeoutMs: options.callTimeoutMs ?? 1000,
        maxMessageBytes: MAX_MESSAGE_BYTES,
        tls: options.tls,
      }),
    ],
  })
    .setLogger({ log: () => undefined, error: () => undefined, warn: () => undefined })
    .compile();
  await module.init();
  return module;
}

/** A client that sends whatever it is given, as a unit that is not ours might. */
async function rawCall(port: number, message: unknown, after: unknown[] = []): Promise<CallReply> {
  const client = new ClientTCP({ host: '127.0.0.1', port });
  try {
    for (const earlier of after) await lastValueFrom(client.send<CallReply>(CALL_PATTERN, earlier));
    return await lastValueFrom(client.send<CallReply>(CALL_PATTERN, message));
  } finally {
    client.close();
  }
}

/** A frame of NestJS's TCP framing: `<length>#<json>`. */
const frame = (packet: object) => {
  const json = JSON.stringify(packet);
  return `${json.length}#${json}`;
};
const hello = (unit = 'raw') => frame({ pattern: HELLO_PATTERN, data: { credential: new ServiceCredentials(SECRET).issue(unit) } });

/** Writes raw bytes on a fresh connection and resolves with the first packet the server answers, parsed. */
function firstReply(port: number, bytes: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.on('error', reject);
    socket.on('data', (data) => {
      const reply = data.toString();
      resolve(JSON.parse(reply.slice(reply.indexOf('#') + 1)));
      socket.destroy();
    });
    socket.connect(port, '127.0.0.1', () => socket.write(bytes));
    setTimeout(() => reject(new Error('no reply')), 5000).unref();
  });
}

/** Opens a connection, and resolves with how long the server kept it open (or rejects after `limitMs`). */
function openUntilClosed(port: number, bytes = '', limitMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const socket = new Socket();
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Date.now() - startedAt));
    socket.connect(port, '127.0.0.1', () => bytes && socket.write(bytes));
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept the connection open'));
    }, limitMs).unref();
  });
}

/** Sends raw bytes on a fresh connection and resolves when the server closes it. */
function sendBytesUntilClosed(port: number, bytes: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.connect(port, '127.0.0.1', () => socket.write(bytes));
    setTimeout(() => reject(new Error('the server kept the connection open')), 5000).unref();
  });
}

async function timed<T>(promise: Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; ms: number }> {
  const startedAt = Date.now();
  const [outcome] = await Promise.allSettled([promise]);
  return { outcome, ms: Date.now() - startedAt };
}

const reasonOf = (outcome: PromiseSettledResult<unknown>) => (outcome.status === 'rejected' ? outcome.reason : undefined);

describe('the remote binding over TCP', () => {
  let port: number;
  let server: INestMicroservice;
  let client: TestingModule;
  let widgets: WidgetsPort;
  const local = () => server.get(LocalWidgets);
  const validCall = (overrides: Partial<CallMessage> = {}): CallMessage => ({
    port: 'test.widgets',
    method: 'count',
    args: [],
    context: {},
    credential: new ServiceCredentials(SECRET).issue('raw'),
    ...overrides,
  });

  beforeAll(async () => {
    port = await freePort();
    server = await startServerUnit(port);
    client = await startClientUnit(port);
    widgets = client.get(WidgetsPort);
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  describe('to business code, a port like any other', () => {
    it('is an instance of the port and returns what the remote implementation returns', async () => {
      expect(widgets).toBeInstanceOf(WidgetsPort);
      await expect(widgets.name('w-1')).resolves.toBe('widget w-1');
    });

    it('returns undefined for a method that returns nothing', async () => {
      await expect(widgets.nothing()).resolves.toBeUndefined();
    });

    it('rejects with the typed error the callee threw: same category, code, message and details', async () => {
      const error = reasonOf((await timed(widgets.find('w-2'))).outcome);

      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toBeInstanceOf(WidgetNotFoundError);
      expect((error as Error).name).toBe('WidgetNotFoundError');
      expect(error).not.toBeInstanceOf(TransportError);
      expect((error as ApplicationError).toEnvelope()).toEqual(new WidgetNotFoundError('w-2').toEnvelope());
    });

    it("answers a database or Redis the callee cannot reach as the monolith's HTTP tier does: a 503 DependencyUnavailableError, not retried", async () => {
      const callsBefore = local().calls;
      const error = reasonOf((await timed(widgets.lostDatabase())).outcome);

      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect((error as ApplicationError).toEnvelope()).toEqual(new DependencyUnavailableError().toEnvelope());
      expect((error as ApplicationError).status).toBe(503);
      // An application error: the call ran, and may have done part of its work; not run again.
      expect(local().calls - callsBefore).toBe(1);
    });

    it('turns an unexpected error in the callee into a plain error, not an application error', async () => {
      const error = reasonOf((await timed(widgets.explode())).outcome);

      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(ApplicationError);
      expect((error as Error).message).toMatch(/internal/);
    });

    it('answers a call that fails before it reaches the implementation at once, rather than leaving it to its deadline', async () => {
      jest.spyOn(server.get(ServiceCredentials), 'verify').mockImplementationOnce(() => {
        throw new Error('a bug in the port server');
      });

      const error = reasonOf((await timed(widgets.count())).outcome);

      expect(error).not.toBeInstanceOf(DeadlineExceededError);
      expect((error as Error).message).toMatch(/internal/);
    });
  });

  describe('request context', () => {
    it('carries the request id, proves the caller, and passes the deadline on', async () => {
      const cls = client.get(ClsService);
      const before = Date.now();

      const seen = await cls.run(() => {
        cls.set(CLS_ID, 'request-7');
        return widgets.context();
      });

      expect(seen.requestId).toBe('request-7');
      expect(seen.caller).toBe('client');
      expect(seen.deadline).toBeGreaterThanOrEqual(before + 1000);
      expect(seen.deadline).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it("carries the client's idempotency key on at-most-once calls only", async () => {
      const cls = client.get(ClsService);
      const withKey = <T>(call: () => Promise<T>) =>
        cls.run(() => {
          cls.set(IDEMPOTENCY_KEY, 'key-1');
          return call();
        });

      await expect(withKey(() => widgets.contextOnce())).resolves.toMatchObject({ idempotencyKey: 'key-1' });
      expect((await withKey(() => widgets.context())).idempotencyKey).toBeUndefined();
    });

    it('keeps an earlier deadline inherited from the call being served', async () => {
      const cls = client.get(ClsService);
      const inherited = Date.now() + 150;

      const { outcome, ms } = await timed(
        cls.run(() => {
          cls.set(DEADLINE_KEY, inherited);
          return widgets.wait(1000);
        }),
      );

      expect(reasonOf(outcome)).toBeInstanceOf(DeadlineExceededError);
      expect(ms).toBeLessThan(600);
    });
  });

  describe('deadlines and failures', () => {
    it('rejects a call the peer does not answer in time with DeadlineExceededError (504), within the deadline', async () => {
      const { outcome, ms } = await timed(widgets.wait(3000));

      expect(reasonOf(outcome)).toBeInstanceOf(DeadlineExceededError);
      expect(reasonOf(outcome).status).toBe(504);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(1500);
    });

    it('does not run a call that arrives after its deadline', async () => {
      const before = local().calls;

      const reply = await rawCall(port, validCall({ context: { deadline: Date.now() - 1 } }));

      expect(reply).toEqual({ fault: 'deadline_exceeded', message: expect.any(String) });
      expect(local().calls).toBe(before);
    });

    it('rejects at once with PeerUnavailableError (503) when nothing listens at the peer address', async () => {
      const nobody = await startClientUnit(await freePort());
      try {
        const { outcome, ms } = await timed(nobody.get(WidgetsPort).count());

        expect(reasonOf(outcome)).toBeInstanceOf(PeerUnavailableError);
        expect(reasonOf(outcome).status).toBe(503);
        expect(ms).toBeLessThan(500);
      } finally {
        await nobody.close();
      }
    });

    it('recovers by itself when the peer comes back', async () => {
      const peerPort = await freePort();
      const caller = await startClientUnit(peerPort);
      try {
        let peer = await startServerUnit(peerPort);
        await expect(caller.get(WidgetsPort).name('a')).resolves.toBe('widget a');

        await peer.close();
        await expect(caller.get(WidgetsPort).count()).rejects.toBeInstanceOf(PeerUnavailableError);

        peer = await startServerUnit(peerPort);
        await expect(caller.get(WidgetsPort).name('b')).resolves.toBe('widget b');
        await peer.close();
      } finally {
        await caller.close();
      }
    });

    describe('against a peer that drops every connection as soon as a message arrives', () => {
      let dropper: Server;
      let messages = 0;
      let caller: TestingModule;

      beforeAll(async () => {
        const dropperPort = await freePort();
        dropper = createServer((socket) =>
          socket.on('data', () => {
            messages++;
            socket.destroy();
          }),
        );
        await new Promise<void>((resolve) => dropper.listen(dropperPort, '127.0.0.1', resolve));
        caller = await startClientUnit(dropperPort);
      });
      afterAll(async () => {
        await caller.close();
        await new Promise((resolve) => dropper.close(resolve));
      });
      beforeEach(() => (messages = 0));

      it('retries an idempotent call twice, then gives up with PeerUnavailableError', async () => {
        await expect(caller.get(WidgetsPort).name('x')).rejects.toBeInstanceOf(PeerUnavailableError);
        expect(messages).toBe(3);
      });

      it('never retries an at-most-once call: it may have run', async () => {
        await expect(caller.get(WidgetsPort).count()).rejects.toBeInstanceOf(PeerUnavailableError);
        expect(messages).toBe(1);
      });
    });
  });

  describe('what the server refuses, without running anything or dropping other callers', () => {
    it.each([
      ['no credential', { credential: undefined }],
      ['a forged credential', { credential: 'client.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
      ['a credential made with another secret', { credential: new ServiceCredentials('x'.repeat(40)).issue('client') }],
    ])('a call with %s, as the first message of a connection: the connection is closed', async (_, overrides) => {
      const before = local().calls;

      await expect(rawCall(port, { ...validCall(), ...overrides })).rejects.toBeDefined();

      expect(local().calls).toBe(before);
      await expect(widgets.name('still here')).resolves.toBe('widget still here');
    });

    it.each([
      ['no credential', { credential: undefined }],
      ['a forged credential', { credential: 'client.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ])('a call with %s on an authenticated connection: refused', async (_, overrides) => {
      const before = local().calls;

      const reply = await rawCall(port, { ...validCall(), ...overrides }, [validCall({ method: 'name', args: ['x'] })]);

      expect(reply).toEqual({ fault: 'unauthenticated', message: expect.any(String) });
      expect(local().calls).toBe(before);
    });

    it('a call from a unit the topology does not let call this port, even with a valid credential: refused and logged', async () => {
      const before = local().calls;

      const reply = await rawCall(port, validCall({ credential: new ServiceCredentials(SECRET).issue('stranger') }));

      expect(reply).toEqual({ fault: 'forbidden', message: expect.stringContaining('stranger') });
      expect(local().calls).toBe(before);
    });

    it.each([
      ['a port it does not serve', { port: 'test.gadgets' }, 'unknown_method'],
      ['a method the port does not declare', { method: 'constructor' }, 'unknown_method'],
      ['arguments that are not a list', { args: 'x' as unknown as unknown[] }, 'malformed'],
      ['a context that is not an object', { context: 7 as unknown as CallMessage['context'] }, 'malformed'],
    ])('a call to %s', async (_, overrides, fault) => {
      const before = local().calls;

      const reply = await rawCall(port, validCall(overrides));

      expect(reply).toEqual({ fault, message: expect.any(String) });
      expect(local().calls).toBe(before);
    });

    it.each([
      ['another pattern', { strata: 'other' }],
      ['the call pattern with more to it', { ...CALL_PATTERN, version: 2 }],
      ['a string pattern', 'strata.call'],
    ])('a message with %s: answered that nothing handles it, nothing run', async (_, pattern) => {
      const before = local().calls;

      const reply = await firstReply(port, `${hello()}${frame({ pattern, id: '7', data: validCall() })}`);

      expect(reply).toEqual({ id: '7', status: 'error', err: 'There is no matching message handler defined in the remote service.' });
      expect(local().calls).toBe(before);
    });

    it('a message larger than the limit: its connection is closed, the unit keeps serving', async () => {
      const huge = JSON.stringify({ pattern: CALL_PATTERN, id: '1', data: validCall({ args: ['x'.repeat(MAX_MESSAGE_BYTES)] }) });

      await sendBytesUntilClosed(port, `${hello()}${huge.length}#${huge}`);

      await expect(widgets.name('still here')).resolves.toBe('widget still here');
    });

    it('bytes that are not a message: the connection is closed, the unit keeps serving', async () => {
      await sendBytesUntilClosed(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n#{"not": json');

      await expect(widgets.name('still here')).resolves.toBe('widget still here');
    });
  });

  // A unit killed mid-call resets its connections. Nest logs every error of a connection as an
  // error with a stack (on the listener, "The invalid received message from tcp server").
  describe('a connection reset by the other side (a unit killed): a warning saying so, not an error', () => {
    let warn: jest.SpyInstance;
    let error: jest.SpyInstance;
    beforeEach(() => {
      warn = jest.spyOn(Logger.prototype, 'warn');
      error = jest.spyOn(Logger.prototype, 'error');
    });
    afterEach(() => jest.restoreAllMocks());
    const warned = (text: string) => warn.mock.calls.some(([message]) => JSON.stringify(message).includes(text));

    it('by a caller, on the listener', async () => {
      const socket = new Socket();
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
      socket.write(hello());
      await sleep(100);
      socket.resetAndDestroy();

      await eventually(() => expect(warned('reset by its peer')).toBe(true));
      expect(error).not.toHaveBeenCalled();
      await expect(widgets.name('still here')).resolves.toBe('widget still here');
    });

    it('by the peer, on the caller: the call is PeerUnavailableError', async () => {
      const resetter = createServer((socket) => socket.on('data', () => socket.resetAndDestroy()));
      const resetterPort = await freePort();
      await new Promise<void>((resolve) => resetter.listen(resetterPort, '127.0.0.1', resolve));
      const caller = await startClientUnit(resetterPort);
      try {
        await expect(caller.get(WidgetsPort).count()).rejects.toBeInstanceOf(PeerUnavailableError);

        expect(warned('a connection to a peer was reset')).toBe(true);
        expect(error).not.toHaveBeenCalled();
      } finally {
        await caller.close();
        await new Promise((resolve) => resetter.close(resolve));
      }
    });
  });

  describe('arguments, validated by the serving unit with the classes the port declares', () => {
    it('a valid argument reaches the implementation as an instance of its class', async () => {
      await expect(widgets.order({ widgetId: 'w-1', quantity: 2 })).resolves.toBe('2 of w-1 (validated)');
    });

    it.each([
      ['a negative quantity', { widgetId: 'w-1', quantity: -5 }, ['quantity must not be less than 1']],
      ['a quantity that is not a number', { widgetId: 'w-1', quantity: '2' }, ['quantity must be an integer number']],
      ['an unknown property', { widgetId: 'w-1', quantity: 1, price: 0 }, ['property price should not exist']],
      ['no object at all', 'w-1', ['argument 1 must be an object']],
    ])('%s: refused as invalid input, one problem per failure, before the implementation runs', async (_, order, problems) => {
      const before = local().calls;

      const error = reasonOf((await timed(widgets.order(order as unknown as WidgetOrder))).outcome);

      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.status).toBe(400);
      expect(error.code).toBe('transport.invalid_argument');
      expect(error.details?.problems).toEqual(problems);
      expect(local().calls).toBe(before);
    });
  });

  describe('a deeper hop', () => {
    it("its refusal to run a call is not this callee's: an at-most-once call that ran is not retried", async () => {
      const before = local().calls;

      const error = reasonOf((await timed(widgets.relay())).outcome);

      expect(error).toBeInstanceOf(PeerUnavailableError);
      expect(error.details?.executed).not.toBe(false);
      expect(local().calls).toBe(before + 1);
    });
  });

  describe('before a connection is authenticated, and beyond the caps', () => {
    it('a connection that sends nothing is closed after the short auth timeout', async () => {
      const openMs = await openUntilClosed(port);

      expect(openMs).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS - 100);
      expect(openMs).toBeLessThan(AUTH_TIMEOUT_MS + 1000);
    });

    it('a first message declared larger than the pre-authentication limit is refused as soon as its length is read', async () => {
      const openMs = await openUntilClosed(port, `${PRE_AUTH_MAX_BYTES + 1}#{"pattern":`);

      expect(openMs).toBeLessThan(500);
    });

    it('a first read of bytes that never declare a length is refused at once', async () => {
      const openMs = await openUntilClosed(port, 'x'.repeat(64 * 1024));

      expect(openMs).toBeLessThan(500);
    });

    it('a hello with a valid credential authenticates the connection for messages up to the full limit', async () => {
      const before = local().calls;
      const call = frame({
        pattern: CALL_PATTERN,
        id: '1',
        data: validCall({ args: [], context: { requestId: 'x'.repeat(PRE_AUTH_MAX_BYTES) } }),
      });

      const reply = await firstReply(port, `${hello()}${call}`);

      expect(reply).toMatchObject({ id: '1', response: { value: before + 1 } });
    });

    it('connections beyond INTERNAL_MAX_CONNECTIONS are closed at once; the others are served', async () => {
      const cappedPort = await freePort();
      const capped = await startServerUnit(cappedPort, { maxConnections: 1 });
      const caller = await startClientUnit(cappedPort);
      try {
        await expect(caller.get(WidgetsPort).name('first')).resolves.toBe('widget first');

        await expect(openUntilClosed(cappedPort, hello())).resolves.toBeLessThan(500);
        await expect(caller.get(WidgetsPort).name('still')).resolves.toBe('widget still');
      } finally {
        await caller.close();
        await capped.close();
      }
    });

    it('calls beyond INTERNAL_MAX_IN_FLIGHT are refused as not run, without running', async () => {
      const cappedPort = await freePort();
      const capped = await startServerUnit(cappedPort, { maxInFlight: 2 });
      const caller = await startClientUnit(cappedPort, { callTimeoutMs: 3000 });
      try {
        const running = [caller.get(WidgetsPort).wait(600), caller.get(WidgetsPort).wait(600)];
        await sleep(50);

        const refused = reasonOf((await timed(caller.get(WidgetsPort).count())).outcome);

        expect(refused).toBeInstanceOf(PeerUnavailableError);
        expect(refused.details).toMatchObject({ executed: false });
        expect(capped.get(LocalWidgets).calls).toBe(0);
        await expect(Promise.all(running)).resolves.toEqual(['done', 'done']);
      } finally {
        await caller.close();
        await capped.close();
      }
    });
  });

  describe('shutdown', () => {
    it('serves callers still calling, then, once they are quiet, refuses new calls as not run (safe to retry elsewhere) and finishes those in flight', async () => {
      const peerPort = await freePort();
      const peer = await startServerUnit(peerPort);
      const caller = await startClientUnit(peerPort, { callTimeoutMs: 2000 });
      try {
        const inFlight = caller.get(WidgetsPort).wait(300);
        await sleep(50);

        const draining = peer.get(PortServer).beforeApplicationShutdown();
        // The caller may be stopping too, and finishing a request that needs this call.
        await expect(caller.get(WidgetsPort).count()).resolves.toEqual(expect.any(Number));
        await expect(inFlight).resolves.toBe('done');
        const { ms } = await timed(draining);

        expect(ms).toBeGreaterThanOrEqual(CALLERS_QUIET_MS - 50);
        const refused = reasonOf((await timed(caller.get(WidgetsPort).count())).outcome);
        expect(refused).toBeInstanceOf(PeerUnavailableError);
        expect(refused.details).toMatchObject({ executed: false });
      } finally {
        await caller.close();
        await peer.close();
      }
    });

    it('stops taking calls as soon as its callers have closed their connections (they stopped first)', async () => {
      const peerPort = await freePort();
      const peer = await startServerUnit(peerPort);
      const caller = await startClientUnit(peerPort);
      try {
        await caller.get(WidgetsPort).count();
        const draining = timed(peer.get(PortServer).beforeApplicationShutdown());

        await caller.close();

        expect((await draining).ms).toBeLessThan(CALLERS_QUIET_MS - 200);
      } finally {
        await peer.close();
      }
    });

    it('serves callers that go on calling for CALLERS_WAIT_MS at most, then refuses them', async () => {
      const peerPort = await freePort();
      const peer = await startServerUnit(peerPort);
      const caller = await startClientUnit(peerPort);
      try {
        await caller.get(WidgetsPort).count();
        let drained = false;
        const draining = timed(peer.get(PortServer).beforeApplicationShutdown()).finally(() => (drained = true));
        // The answers that came back before the wait was over. (A call sent just before its end is
        // refused, and that answer always comes back after it: the server stops waiting first.)
        const answeredWhileWaiting: PromiseSettledResult<number>[] = [];
        while (!drained) {
          const { outcome } = await timed(caller.get(WidgetsPort).count());
          if (!drained) answeredWhileWaiting.push(outcome);
          await sleep(50);
        }

        const { ms } = await draining;
        expect(ms).toBeGreaterThanOrEqual(CALLERS_WAIT_MS - 50);
        expect(ms).toBeLessThan(CALLERS_WAIT_MS + 1000);
        expect(answeredWhileWaiting.length).toBeGreaterThan(10);
        expect(answeredWhileWaiting.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
        expect(reasonOf((await timed(caller.get(WidgetsPort).count())).outcome)).toBeInstanceOf(PeerUnavailableError);
      } finally {
        await caller.close();
        await peer.close();
      }
    });
  });
});

/** A throwaway CA and a certificate it signed for 127.0.0.1, made with openssl. */
function makeCertificates(dir: string, name: string): InternalTls {
  const run = (args: string) => execSync(`openssl ${args}`, { cwd: dir, stdio: 'pipe' });
  run(`req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=${name}-ca -keyout ${name}-ca.key -out ${name}-ca.pem`);
  run(`req -newkey rsa:2048 -nodes -subj /CN=unit -keyout ${name}.key -out ${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(`x509 -req -in ${name}.csr -CA ${name}-ca.pem -CAkey ${name}-ca.key -CAcreateserial -days 1 -extfile ${name}.ext -out ${name}.pem`);
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return { cert: read(`${name}.pem`), key: read(`${name}.key`), ca: read(`${name}-ca.pem`) };
}

describe('internal traffic over TLS', () => {
  let tls: InternalTls;
  let strangerTls: InternalTls;
  let tlsPort: number;
  let server: INestMicroservice;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-tls-'));
    tls = makeCertificates(dir, 'deployment');
    strangerTls = makeCertificates(dir, 'stranger');
    tlsPort = await freePort();
    server = await startServerUnit(tlsPort, { tls });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a unit holding a certificate of the deployment CA calls over TLS', async () => {
    const caller = await startClientUnit(tlsPort, { tls });
    try {
      await expect(caller.get(WidgetsPort).name('secure')).resolves.toBe('widget secure');
    } finally {
      await caller.close();
    }
  });

  it.each([
    ['without TLS', undefined],
    ['with a certificate of another CA', () => strangerTls],
  ])('a unit %s cannot call', async (_, tlsOf) => {
    const caller = await startClientUnit(tlsPort, { tls: tlsOf?.() });
    try {
      await expect(caller.get(WidgetsPort).count()).rejects.toBeInstanceOf(PeerUnavailableError);
      expect(server.get(LocalWidgets).calls).toBe(0);
    } finally {
      await caller.close();
    }
  });
});

describe('ServiceCredentials', () => {
  const credentials = new ServiceCredentials(SECRET);

  it('proves the unit that holds the secret', () => {
    expect(credentials.verify(credentials.issue('gateway'))).toBe('gateway');
  });

  it.each([
    ['another unit name on the same signature', credentials.issue('gateway').replace(/^gateway/, 'data')],
    ['a signature from another secret', new ServiceCredentials('y'.repeat(40)).issue('gateway')],
    ['a truncated signature', credentials.issue('gateway').slice(0, -2)],
    ['no signature', 'gateway'],
    ['not a string', 42],
  ])('rejects %s', (_, credential) => {
    expect(credentials.verify(credential)).toBeUndefined();
  });

  it('expires: a credential cannot be replayed outside a short window around the time it was issued', () => {
    const now = Date.now();
    const issuedAt = (ms: number) => credentials.issue('gateway', now + ms);

    expect(credentials.verify(issuedAt(-(CREDENTIAL_WINDOW_MS - 1000)))).toBe('gateway');
    expect(credentials.verify(issuedAt(CREDENTIAL_WINDOW_MS - 1000))).toBe('gateway');
    expect(credentials.verify(issuedAt(-(CREDENTIAL_WINDOW_MS + 1000)))).toBeUndefined();
    expect(credentials.verify(issuedAt(CREDENTIAL_WINDOW_MS + 1000))).toBeUndefined();
  });

  it('expires all the same once verified: the verifier remembers a credential, not that it is valid forever', () => {
    const now = Date.now();
    const credential = credentials.issue('gateway', now);

    expect(credentials.verify(credential, now)).toBe('gateway');
    expect(credentials.verify(credential, now + CREDENTIAL_WINDOW_MS - 1000)).toBe('gateway');
    expect(credentials.verify(credential, now + CREDENTIAL_WINDOW_MS + 1000)).toBeUndefined();
  });

  it('is handed out again for a second, then made anew', () => {
    const issuer = new ServiceCredentials(SECRET);
    const now = Date.now();
    const first = issuer.issue('gateway', now);

    expect(issuer.issue('gateway', now + 999)).toBe(first);
    expect(issuer.issue('data', now + 999)).not.toBe(first);
    const next = issuer.issue('gateway', now + 1000);
    expect(next).not.toBe(first);
    expect(next.split('.')[1]).toBe(String(now + 1000));
  });

  it('binds its time to its signature: a fresh time on an old signature is refused', () => {
    const old = credentials.issue('gateway', Date.now() - 10 * CREDENTIAL_WINDOW_MS);
    const [unit, , signature] = old.split('.');

    expect(credentials.verify(`${unit}.${Date.now()}.${signature}`)).toBeUndefined();
  });

  it('refuses a secret too short to be one', () => {
    expect(() => new ServiceCredentials('short')).toThrow(/at least 32 characters/);
  });
});
