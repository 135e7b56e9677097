import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { silentLogger } from '../core/logger';
import { startEmbeddedPostgres, type EmbeddedServer } from '../db/embedded';
import { freePort } from '../db/free-port';
import { migrateDatabase } from '../runner';
import { databaseUrl, type TestServerState } from './server';

/**
 * One PostgreSQL server for the whole run: TEST_DATABASE_URL or DATABASE_URL when set, else an
 * embedded server in a temporary folder. A template database gets every migration once; each
 * test file clones it.
 */
export interface GlobalSetupOptions {
  /** The migrations the template database gets (default: the project's, per its contract). */
  migrationsDir?: string;
}

export async function globalSetup(options: GlobalSetupOptions = {}): Promise<void> {
  const givenTemplate = process.env.ZDM_TEST_TEMPLATE_URL;
  if (givenTemplate) return useGivenTemplate(givenTemplate);
  const configured = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  let embedded: EmbeddedServer | undefined;
  let serverUrl: string;
  if (configured) {
    serverUrl = databaseUrl(configured, 'postgres');
  } else {
    const port = await freePort();
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(os.tmpdir(), `zdm-test-postgres-${process.pid}`),
      port,
      persistent: false,
      database: 'postgres',
    });
    serverUrl = embedded.url;
  }
  (globalThis as { zdmEmbedded?: EmbeddedServer }).zdmEmbedded = embedded;

  const templateDatabase = `zdm_template_${process.pid}_${Date.now()}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${templateDatabase}`);
  const url = databaseUrl(serverUrl, templateDatabase);
  await migrateDatabase({
    databaseUrl: url,
    phases: ['pre', 'post'],
    logger: silentLogger,
    migrationsDir: options.migrationsDir,
  });

  const state: TestServerState = { serverUrl, templateDatabase };
  process.env.ZDM_TEST_STATE = JSON.stringify(state);
}

/**
 * The compat gate's contract (docs/compat-gate.md): ZDM_TEST_TEMPLATE_URL names a database
 * someone else already migrated (for example the base version's schema plus the head's
 * pre-deploy migrations). Tests clone it as it is: it is neither migrated here nor dropped.
 */
function useGivenTemplate(templateUrl: string): void {
  (globalThis as { zdmTemplateGiven?: boolean }).zdmTemplateGiven = true;
  // Consumed here: a jest run that a test starts (the generator's) migrates its own template.
  delete process.env.ZDM_TEST_TEMPLATE_URL;
  const state: TestServerState = {
    serverUrl: databaseUrl(templateUrl, 'postgres'),
    templateDatabase: decodeURIComponent(new URL(templateUrl).pathname.slice(1)),
  };
  process.env.ZDM_TEST_STATE = JSON.stringify(state);
}

export async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
