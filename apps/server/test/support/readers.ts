/**
 * Clients that read `url` over and over, each until the server closes its connection (a stop):
 * load that keeps every unit busy while it stops. `statuses` collects every answer's status;
 * `done` resolves once all have stopped reading.
 */
export function readUntilClosed(url: string, clients: number): { statuses: number[]; done: Promise<void> } {
  const statuses: number[] = [];
  const reader = async () => {
    for (;;) {
      const response = await fetch(url).catch(() => undefined);
      if (!response) return;
      statuses.push(response.status);
      await response.arrayBuffer();
    }
  };
  return { statuses, done: Promise.all(Array.from({ length: clients }, reader)).then(() => undefined) };
}
