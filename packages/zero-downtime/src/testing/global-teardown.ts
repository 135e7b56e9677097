import type { EmbeddedServer } from '../db/embedded';
import { adminQuery } from './global-setup';
import { readTestServerState } from './server';

export async function globalTeardown(): Promise<void> {
  const { serverUrl, templateDatabase } = readTestServerState();
  // A template given by the compat gate belongs to the gate, which drops it itself.
  if (!(globalThis as { zdmTemplateGiven?: boolean }).zdmTemplateGiven) {
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
  }
  await (globalThis as { zdmEmbedded?: EmbeddedServer }).zdmEmbedded?.stop();
}
