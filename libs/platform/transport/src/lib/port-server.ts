import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { TcpContext } from '@nestjs/microservices';
import {
  ApplicationError,
  CALLER_KEY,
  DEADLINE_KEY,
  DependencyUnavailableError,
  IDEMPOTENCY_KEY,
  InvalidInputError,
  isDependencyUnavailable,
  requirePortSpec,
  validationMessages,
  type ArgumentClass,
  type PortSpec,
} from '@strata/platform/ports';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLS_ID, ClsService } from 'nestjs-cls';
import { ServiceCredentials } from './service-credentials';
import { TRANSPORT_OPTIONS, type TransportOptions } from './transport.options';
import type { CallMessage, CallReply } from './wire';

/**
 * A stopping unit keeps taking calls until its callers have closed their connections: the units
 * of a deployment stopped at once (Ctrl-C to `npm run start:split`, whose units share the
 * terminal's process group) then stop callers first, each finishing its requests with the calls
 * they still need. A caller that stays (an orchestrator stopping this replica alone) is served
 * until it has been quiet this long, or for {@link CALLERS_WAIT_MS} at most.
 */
export const CALLERS_QUIET_MS = 500;
/** The longest a stopping unit keeps taking calls from callers that go on calling (they are not stopping). */
export const CALLERS_WAIT_MS = 2000;

interface ServedPort {
  spec: PortSpec;
  instance: Record<string, (...args: unknown[]) => Promise<unknown>>;
}

/**
 * The server half of the remote binding: answers {@link CallMessage}s for every port this unit
 * hosts by calling the local implementation, the same object local callers get. Generic over all
 * ports; only methods declared with `@Port` can be called. The unit's `InternalListener` hands it
 * every call.
 *
 * Never throws back into the transport: every outcome is a {@link CallReply}, so a bad message
 * costs its sender an answer, not this unit its connection or its process.
 */
@Injectable()
export class PortServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PortServer.name);
  private readonly ports = new Map<string, ServedPort>();
  /** Per calling unit, the names of the ports it may call. */
  private readonly allowed = new Map<string, Set<string>>();
  private inFlight = 0;
  /** When a call last arrived or finished (`performance.now()`). */
  private lastCallAt = -Infinity;
  /** The open connections calls came in on. */
  private readonly callerConnections = new Set<Socket>();
  private draining = false;
  private whenIdle?: () => void;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly cls: ClsService,
    private readonly credentials: ServiceCredentials,
    @Inject(TRANSPORT_OPTIONS) private readonly options: TransportOptions,
  ) {}

  onApplicationBootstrap(): void {
    for (const port of this.options.serve) {
      this.ports.set(requirePortSpec(port).name, { spec: requirePortSpec(port), instance: this.moduleRef.get(port, { strict: false }) });
    }
    for (const { unit, ports } of this.options.callers) {
      this.allowed.set(unit, new Set(ports.map((port) => requirePortSpec(port).name)));
    }
  }

  /**
   * Answers one call. Whatever goes wrong here is answered too: an error left to the transport
   * would reach the caller as no answer at all, to wait out its deadline.
   */
  async call(message: unknown, tcp: TcpContext): Promise<CallReply> {
    try {
      return await this.answer(message, tcp);
    } catch (error) {
      this.logger.error({ msg: 'an internal call failed before it could be answered', err: error });
      return { fault: 'internal', message: 'Internal server error' };
    }
  }

  private async answer(message: unknown, tcp: TcpContext): Promise<CallReply> {
    this.trackConnection(tcp.getSocketRef().netSocket);
    const caller = this.credentials.verify((message as { credential?: unknown } | null)?.credential);
    if (!caller) {
      this.logger.warn({ msg: 'refused an internal call without a valid credential' });
      return { fault: 'unauthenticated', message: 'A valid service credential is required' };
    }
    if (!isCallMessage(message)) return { fault: 'malformed', message: 'Expected {port, method, args: [], context: {}, credential}' };
    const served = this.ports.get(message.port);
    if (!served || !served.spec.methods.has(message.method)) {
      return { fault: 'unknown_method', message: `${this.options.unit} serves no method ${message.port}.${message.method}` };
    }
    if (!this.allowed.get(caller)?.has(message.port)) {
      // A valid credential from a unit the topology does not route this port from: a misconfigured
      // deployment or a compromised unit, worth a line in the logs either way.
      this.logger.warn({ msg: 'refused an internal call the topology does not allow', call: `${message.port}.${message.method}`, caller });
      return { fault: 'forbidden', message: `${this.options.unit} does not serve ${message.port} to ${caller}` };
    }
    // Refused before it ran, so the caller may safely try again elsewhere.
    if (this.draining) return { fault: 'unavailable', message: `${this.options.unit} is shutting down` };
    if (this.inFlight >= (this.options.maxInFlight ?? Infinity)) {
      this.logger.warn({ msg: 'refused an internal call: too many in flight', maxInFlight: this.options.maxInFlight, caller });
      return { fault: 'unavailable', message: `${this.options.unit} is busy (${this.options.maxInFlight} calls in flight)` };
    }
    const { requestId, deadline, idempotencyKey } = message.context;
    if (deadline !== undefined && Date.now() >= deadline) {
      return { fault: 'deadline_exceeded', message: 'The deadline passed before the call arrived' };
    }

    this.inFlight++;
    const startedAt = performance.now();
    this.lastCallAt = startedAt;
    try {
      const context = {
        [CLS_ID]: requestId ?? randomUUID(),
        [CALLER_KEY]: caller,
        [DEADLINE_KEY]: deadline,
        [IDEMPOTENCY_KEY]: idempotencyKey,
      };
      return await this.cls.runWith(context, async () => {
        const call = `${message.port}.${message.method}`;
        const took = () => Math.round((performance.now() - startedAt) * 1000) / 1000;
        try {
          const argumentClasses = served.spec.argumentClasses.get(message.method) ?? [];
          // Most methods declare no argument class (an id, a number): nothing to validate, and no promise to wait on.
          const args = argumentClasses.length > 0 ? await validArguments(argumentClasses, message.args, call) : message.args;
          const value = await served.instance[message.method](...args);
          // One line per call, as pino-http writes one per HTTP request: what, for whom, how long.
          this.logger.log({ msg: 'call completed', call, caller, outcome: 'ok', responseTime: took() });
          return { value };
        } catch (error) {
          if (error instanceof ApplicationError) {
            this.logger.log({ msg: 'call completed', call, caller, outcome: error.code, responseTime: took() });
            return { error: error.toEnvelope() };
          }
          // The database or Redis did not answer: the 503 the monolith's HTTP tier answers, not a 500.
          if (isDependencyUnavailable(error)) {
            this.logger.warn({ msg: `${call}: a backing service is unavailable`, caller, err: error, responseTime: took() });
            return { error: new DependencyUnavailableError().toEnvelope() };
          }
          this.logger.error({ msg: `${call} failed`, caller, err: error, responseTime: took() });
          return { fault: 'internal', message: 'Internal server error' };
        }
      });
    } finally {
      this.lastCallAt = performance.now();
      if (--this.inFlight === 0) this.whenIdle?.();
    }
  }

  /**
   * On shutdown: serve the callers until they have gone (they may be stopping too, finishing
   * requests that need this unit) or gone quiet, then refuse new calls as not run (safe to retry
   * elsewhere) and let the ones in flight finish. The process bounds the whole wait.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.untilCallersLeave();
    this.draining = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.whenIdle = resolve));
  }

  private async untilCallersLeave(): Promise<void> {
    const giveUpAt = performance.now() + CALLERS_WAIT_MS;
    for (;;) {
      const now = performance.now();
      const gone = this.callerConnections.size === 0;
      const quiet = this.inFlight === 0 && now - this.lastCallAt >= CALLERS_QUIET_MS;
      if (gone || quiet || now >= giveUpAt) return;
      await sleep(10);
    }
  }

  private trackConnection(connection: Socket): void {
    if (this.callerConnections.has(connection)) return;
    this.callerConnections.add(connection);
    connection.once('close', () => this.callerConnections.delete(connection));
  }
}

/**
 * The arguments as the declared classes, validated as the HTTP API validates its bodies (unknown
 * properties refused): a unit does not trust its callers' validation. Arguments without a declared
 * class pass unchanged.
 */
async function validArguments(classes: readonly (ArgumentClass | null)[], args: unknown[], call: string): Promise<unknown[]> {
  const problems: string[] = [];
  const valid = await Promise.all(
    args.map(async (arg, index) => {
      const argumentClass: ArgumentClass | null | undefined = classes[index];
      if (!argumentClass) return arg;
      if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) {
        problems.push(`argument ${index + 1} must be an object`);
        return arg;
      }
      const instance = plainToInstance(argumentClass, arg) as object;
      const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
      problems.push(...validationMessages(errors));
      return instance;
    }),
  );
  if (problems.length > 0) throw new InvalidInputError(INVALID_ARGUMENT, `Invalid arguments to ${call}`, { call, problems });
  return valid;
}

/** The code of the error a serving unit answers arguments that fail their class's validation with. */
export const INVALID_ARGUMENT = 'transport.invalid_argument';

function isCallMessage(message: unknown): message is CallMessage {
  const candidate = message as Partial<CallMessage> | null;
  return (
    typeof candidate?.port === 'string' &&
    typeof candidate.method === 'string' &&
    Array.isArray(candidate.args) &&
    typeof candidate.context === 'object' &&
    candidate.context !== null &&
    (candidate.context.requestId === undefined || typeof candidate.context.requestId === 'string') &&
    (candidate.context.deadline === undefined || typeof candidate.context.deadline === 'number') &&
    (candidate.context.idempotencyKey === undefined || typeof candidate.context.idempotencyKey === 'string')
  );
}
