import { Client } from 'pg';
import type { Phase } from '../../src/core/phase';
import { clientExecutor, type SqlExecutor } from '../../src/patterns';
import { createEmptyDatabase, type TestDatabase } from '../../src/testing';

/**
 * A fresh empty database per test file, connections that are closed at the end, and executors
 * shaped like the migration runner's context (one pinned connection, short lock timeout).
 */
export interface PatternTestDatabase {
  database: TestDatabase;
  connect(): Promise<Client>;
  executor(phase: Phase, options?: { inTransaction?: boolean }): Promise<SqlExecutor>;
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function openPatternDatabase(): Promise<PatternTestDatabase> {
  const database = await createEmptyDatabase();
  const clients: Client[] = [];
  const connect = async () => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    clients.push(client);
    return client;
  };
  const admin = await connect();
  return {
    database,
    connect,
    async executor(phase, options = {}) {
      const client = await connect();
      await client.query(`SET lock_timeout = '2s'; SET statement_timeout = '30s'`);
      return clientExecutor(client, { phase, inTransaction: options.inTransaction ?? false });
    },
    async sql(text, params) {
      return (await admin.query(text, params)).rows as Record<string, unknown>[];
    },
    async close() {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await database.drop();
    },
  };
}

/** The error a promise rejected with (fails the test when it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

/** An async loop run until stopped, like one application instance writing all the time. */
export interface WriterLoop {
  /** Stops after the iteration in flight; rethrows the first error the loop hit. */
  stop(): Promise<number>;
  iterations(): number;
}

export function startLoop(step: (iteration: number) => Promise<void>): WriterLoop {
  let running = true;
  let count = 0;
  let failure: unknown;
  const done = (async () => {
    while (running) {
      try {
        await step(count);
        count += 1;
      } catch (error) {
        failure = error;
        running = false;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    iterations: () => count,
    async stop() {
      running = false;
      await done;
      if (failure) throw failure;
      return count;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
