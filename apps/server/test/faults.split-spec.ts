import { eventually } from '@strata/platform/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSplit, type ApiTarget } from './support/api-target';
import type { TopologyProcesses } from '@strata/platform/testing';

/**
 * Units of the split topology die or hang under load. What must hold: every request is answered
 * within the call deadline (never a hang), with a success or a 503/504, never a 500; once the
 * unit is back the API recovers by itself; and nothing is half-written: after the settle job has
 * run, every product's stock plus what its live orders hold is what it started with, and every
 * live order is confirmed.
 */

const CALL_TIMEOUT_MS = 1000;
/** The deadline, plus the gateway's own work and a loaded two-core machine's scheduling. */
const ANSWER_WITHIN_MS = CALL_TIMEOUT_MS + 750;
const INITIAL_STOCK = 10_000;

interface Outcome {
  status: number;
  ms: number;
  phase: string;
}

describe('the split topology under faults', () => {
  let split: ApiTarget & { deployment: TopologyProcesses };
  let customerId: string;
  let productIds: string[];
  const post = (path: string, body: unknown) =>
    fetch(`${split.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const getJson = async (path: string): Promise<any> => (await fetch(`${split.baseUrl}${path}`, { signal: AbortSignal.timeout(10_000) })).json();

  beforeAll(async () => {
    split = await startSplit({ CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS), SETTLE_AFTER_MS: '3000' });
    customerId = ((await (await post('/api/customers', { email: `faults-${Date.now()}@example.com`, name: 'Load' })).json()) as { id: string }).id;
    productIds = [];
    for (let i = 0; i < 3; i++) {
      const product = (await (await post('/api/products', { sku: `FAULT-${Date.now()}-${i}`, name: 'Widget', priceCents: 100, stock: INITIAL_STOCK })).json()) as { id: string };
      productIds.push(product.id);
    }
  }, 60_000);
  afterAll(() => split?.stop());

  /** Places orders from `clients` concurrent clients until `stop` resolves; records every answer. */
  async function load(clients: number, phase: () => string, stop: Promise<void>): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    let running = true;
    void stop.then(() => (running = false));
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let i = 0; running; i++) {
          const startedAt = Date.now();
          const productId = productIds[(client + i) % productIds.length];
          const current = phase();
          try {
            const response = await post('/api/orders', { customerId, lines: [{ productId, quantity: 1 + (i % 3) }] });
            await response.arrayBuffer();
            outcomes.push({ status: response.status, ms: Date.now() - startedAt, phase: current });
          } catch {
            outcomes.push({ status: 0, ms: Date.now() - startedAt, phase: current }); // no answer at all
          }
        }
      }),
    );
    return outcomes;
  }

  /** Every product's stock plus what its live orders hold adds up to its initial stock. */
  async function expectNothingHalfWritten(): Promise<void> {
    const orders: { status: string; lines: { productId: string; quantity: number }[] }[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await getJson(`/api/orders?customerId=${customerId}&limit=100&offset=${offset}`);
      orders.push(...page.items);
      if (offset + 100 >= page.total) break;
    }
    const live = orders.filter((order) => order.status !== 'cancelled');
    for (const productId of productIds) {
      const { stock } = await getJson(`/api/products/${productId}`);
      const held = live.flatMap((order) => order.lines).filter((line) => line.productId === productId).reduce((sum, line) => sum + line.quantity, 0);
      expect({ productId, accounted: stock + held }).toEqual({ productId, accounted: INITIAL_STOCK });
    }
    expect(live.filter((order) => order.status !== 'confirmed')).toEqual([]);
  }

  it.each(['data', 'business'])(
    'the %s unit killed mid-load: answers within the deadline, recovery on restart, nothing half-written',
    async (unit) => {
      let phase = 'before';
      let stop!: () => void;
      const loading = load(6, () => phase, new Promise<void>((resolve) => (stop = resolve)));

      await sleep(400);
      phase = 'down';
      await split.deployment.stopUnit(unit, 'SIGKILL');
      await sleep(1500);
      phase = 'restarting';
      await split.deployment.startUnit(unit);
      await split.deployment.ready();
      await sleep(200);
      phase = 'after';
      await sleep(600);
      stop();
      const outcomes = await loading;

      const byPhase = (name: string) => outcomes.filter((outcome) => outcome.phase === name);
      expect(byPhase('before').length).toBeGreaterThan(0);
      expect(byPhase('down').length).toBeGreaterThan(0);
      // Never a hang, never a 500: a success, or a 503/504 within the deadline.
      expect(outcomes.filter((outcome) => ![201, 503, 504].includes(outcome.status) || outcome.ms > ANSWER_WITHIN_MS)).toEqual([]);
      expect(byPhase('down').some((outcome) => outcome.status === 503 || outcome.status === 504)).toBe(true);
      // Recovered by itself: the gateway reconnects without a restart of its own.
      expect(byPhase('after').length).toBeGreaterThan(0);
      expect(byPhase('after').every((outcome) => outcome.status === 201)).toBe(true);

      await eventually(expectNothingHalfWritten, 30_000);
    },
    90_000,
  );

  it('the business unit hung (SIGSTOP): 504 within the deadline, recovery once it resumes, nothing half-written', async () => {
    split.deployment.pause('business');
    try {
      const startedAt = Date.now();
      const response = await post('/api/orders', { customerId, lines: [{ productId: productIds[0], quantity: 1 }] });

      expect(response.status).toBe(504);
      expect(await response.json()).toMatchObject({ statusCode: 504, code: 'transport.deadline_exceeded' });
      expect(Date.now() - startedAt).toBeLessThanOrEqual(ANSWER_WITHIN_MS);
    } finally {
      split.deployment.resume('business');
    }

    await eventually(async () => expect((await post('/api/orders', { customerId, lines: [{ productId: productIds[1], quantity: 1 }] })).status).toBe(201), 5000);
    await eventually(expectNothingHalfWritten, 30_000);
  }, 60_000);
});
