import { rm } from 'node:fs/promises';
import type { TestPostgres } from './postgres.global-setup';

export default async function stopTestPostgres(): Promise<void> {
  const testPostgres = (globalThis as { __strataTestPostgres__?: TestPostgres }).__strataTestPostgres__;
  if (!testPostgres) return;
  await testPostgres.server.stop();
  // The server removes its data folder (not persistent); the folder made for it is left to remove.
  await rm(testPostgres.workDir, { recursive: true, force: true });
}
