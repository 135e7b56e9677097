import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './project';

/**
 * A throw-away primary with a real streaming replica, built from Debian's PostgreSQL 15
 * binaries. The servers run as the `postgres` OS user (initdb refuses root) in a temporary
 * folder owned by it; `stop()` removes everything, and a failed start cleans up after itself.
 */

const execFile = promisify(execFileCallback);
export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';

export interface ReplicatedPair {
  primaryUrl: string;
  replicaUrl: string;
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Waits until the replica has replayed everything the primary has written so far. */
  waitForReplay(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startReplicatedPair(): Promise<ReplicatedPair> {
  requireBinaries();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-replica-'));
  const runner = new ServerRunner(dir);
  try {
    return await runner.start();
  } catch (error) {
    await runner.stop();
    throw error;
  }
}

function requireBinaries(): void {
  const missing = ['initdb', 'pg_ctl', 'pg_basebackup'].filter(
    (name) => !fs.existsSync(path.join(POSTGRES_BIN, name)),
  );
  if (missing.length > 0) {
    throw new Error(
      `The replication test needs PostgreSQL 15's server binaries in ${POSTGRES_BIN} ` +
        `(missing: ${missing.join(', ')}). Install them with: apt-get install postgresql-15`,
    );
  }
}

class ServerRunner {
  private readonly started: string[] = [];
  private readonly asPostgres = process.getuid?.() === 0;

  constructor(private readonly dir: string) {}

  async start(): Promise<ReplicatedPair> {
    this.handOverDirectory();
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    const primary = path.join(this.dir, 'primary');
    const replica = path.join(this.dir, 'replica');
    await this.run('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    this.appendConfig(primary, {
      port: primaryPort,
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${this.dir}'`,
      wal_level: 'replica',
      max_wal_senders: 5,
      hot_standby: 'on',
      fsync: 'off',
      wal_sender_timeout: "'10s'",
    });
    this.append(path.join(primary, 'pg_hba.conf'), 'host replication all 127.0.0.1/32 trust\n');
    await this.startServer(primary);
    await this.run('pg_basebackup', [
      ...['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres'],
      ...['-D', replica, '-R', '-X', 'stream', '--checkpoint=fast'],
    ]);
    this.appendConfig(replica, { port: replicaPort });
    await this.startServer(replica);
    const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/postgres`;
    const replicaUrl = `postgres://postgres@127.0.0.1:${replicaPort}/postgres`;
    await waitUntil(
      () =>
        queryOne(
          primaryUrl,
          "SELECT count(*) = 1 AS ok FROM pg_stat_replication WHERE state = 'streaming'",
        ),
      'the replica did not start streaming',
    );
    return {
      primaryUrl,
      replicaUrl,
      pauseReplay: () => execute(replicaUrl, 'SELECT pg_wal_replay_pause()'),
      resumeReplay: () => execute(replicaUrl, 'SELECT pg_wal_replay_resume()'),
      waitForReplay: (timeoutMs) =>
        waitUntil(
          () =>
            queryOne(
              primaryUrl,
              'SELECT coalesce(bool_and(replay_lsn >= pg_current_wal_lsn()), false) AS ok FROM pg_stat_replication',
            ),
          'the replica did not catch up',
          timeoutMs,
        ),
      stop: () => this.stop(),
    };
  }

  async stop(): Promise<void> {
    for (const dataDir of this.started.reverse()) {
      await this.run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(
        () => undefined,
      );
    }
    this.started.length = 0;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async startServer(dataDir: string): Promise<void> {
    const log = path.join(this.dir, `${path.basename(dataDir)}.log`);
    this.started.push(dataDir);
    await this.run('pg_ctl', ['-D', dataDir, '-l', log, '-w', '-t', '60', 'start']).catch(
      (error: Error) => {
        const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : '';
        throw new Error(`${error.message}\n${tail}`);
      },
    );
  }

  private handOverDirectory(): void {
    if (!this.asPostgres) return;
    const uid = Number(execFileSync('id', ['-u', OS_USER]).toString());
    const gid = Number(execFileSync('id', ['-g', OS_USER]).toString());
    fs.chownSync(this.dir, uid, gid);
  }

  private appendConfig(dataDir: string, settings: Record<string, string | number>): void {
    const lines = Object.entries(settings).map(([name, value]) => `${name} = ${value}`);
    this.append(path.join(dataDir, 'postgresql.conf'), `\n${lines.join('\n')}\n`);
  }

  private append(file: string, text: string): void {
    fs.appendFileSync(file, text);
  }

  private async run(binary: string, args: string[]): Promise<void> {
    const command = path.join(POSTGRES_BIN, binary);
    const [file, argv] = this.asPostgres
      ? ['runuser', ['-u', OS_USER, '--', command, ...args]]
      : [command, args];
    await execFile(file, argv, { cwd: this.dir, timeout: 120_000 });
  }
}

async function execute(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function queryOne(url: string, sql: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ ok: boolean }>(sql);
    return rows[0]?.ok === true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function waitUntil(
  check: () => Promise<boolean>,
  failure: string,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${failure} within ${timeoutMs} ms`);
}
