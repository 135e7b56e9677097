import type { EmbeddedServer } from '../../app/db/embedded';
import { adminQuery } from './global-setup';
import { readTestServerState } from './server';

export default async function globalTeardown(): Promise<void> {
  const { serverUrl, templateDatabase } = readTestServerState();
  await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
  await (globalThis as { zdmEmbedded?: EmbeddedServer }).zdmEmbedded?.stop();
}
