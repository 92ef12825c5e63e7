export default async function stopTestPostgres(): Promise<void> {
  await (globalThis as { __strataTestPostgres__?: { stop(): Promise<void> } }).__strataTestPostgres__?.stop();
}
