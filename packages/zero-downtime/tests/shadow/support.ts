import { Client } from 'pg';
import { runShadowStep, type ShadowSession } from '../../src/shadow';
import type { ShadowOptions } from '../../src/shadow';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';

/** A fresh database, a session for the shadow steps, and clients closed at the end. */
export interface ShadowTestDatabase {
  database: TestDatabase;
  session: ShadowSession;
  logs: string[];
  connect(): Promise<Client>;
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  step(table: string, step: string, options?: ShadowOptions): Promise<string>;
  close(): Promise<void>;
}

export async function openShadowDatabase(): Promise<ShadowTestDatabase> {
  const database = await createEmptyDatabase();
  const clients: Client[] = [];
  const connect = async () => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    clients.push(client);
    return client;
  };
  const admin = await connect();
  const logs: string[] = [];
  const session: ShadowSession = {
    client: await connect(),
    log: (message) => logs.push(message),
  };
  return {
    database,
    session,
    logs,
    connect,
    async sql(text, params) {
      return (await admin.query(text, params)).rows as Record<string, unknown>[];
    },
    async step(table, step, options) {
      return (await runShadowStep(session, table, step, options)).join('\n');
    },
    async close() {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await database.drop();
    },
  };
}
