import fs from 'node:fs';
import net from 'node:net';
import { isMap, isScalar, parseDocument, stringify } from 'yaml';
import { TEST_LABEL, type Docker } from './docker';
import { run } from './run';
import { readHostNetwork } from './stand-ins';

/**
 * The project's docker-compose.yml, run with Debian's docker-compose on the private engine.
 *
 * The engine has no bridge network (--bridge=none), so an override file, written by the test
 * in a folder of its own and never into the project, puts every service on the host's network
 * and moves it to free ports on 127.0.0.1: the database through PGPORT (which both the
 * server and the healthcheck's pg_isready read), the app through PORT, DATABASE_URL of
 * migrate and app to that database. Everything else comes from the project's file.
 */

export interface ComposeVersion {
  major: number;
  text: string;
}

export async function composeVersion(): Promise<ComposeVersion> {
  const result = await run('docker-compose', ['version', '--short'], { timeoutMs: 60_000 });
  const text = result.stdout.trim();
  return { major: Number(/^v?(\d+)/.exec(text)?.[1] ?? 0), text };
}

/**
 * A copy of docker-compose.yml (outside the build context), adapted to what runs here, and
 * nothing more (the rest is used as written, comments, anchors and all):
 * - `ports:` go: every service is on the host's network, where published ports mean nothing
 *   (Compose v2 drops them with a warning; v1 refuses "host" network_mode with port bindings,
 *   and an override file cannot remove a list in v1);
 * - with Compose v1 (what Debian bookworm ships), the top-level `name:` of the Compose
 *   Specification, which v1 predates and rejects, goes too; the project name is given with -p.
 * Returns what was dropped, as paths.
 */
export function adaptComposeFile(file: string, version: ComposeVersion): string[] {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  const dropped: string[] = [];
  if (version.major < 2 && doc.has('name')) {
    doc.delete('name');
    dropped.push('name');
  }
  const services = doc.get('services');
  if (!isMap(services)) throw new Error(`${file} has no services mapping`);
  for (const item of services.items) {
    const service = String(isScalar(item.key) ? item.key.value : item.key);
    if (doc.hasIn(['services', service, 'ports'])) {
      doc.deleteIn(['services', service, 'ports']);
      dropped.push(`services.${service}.ports`);
    }
  }
  fs.writeFileSync(file, String(doc));
  return dropped;
}

export interface StackPorts {
  app: number;
  db: number;
}

export function databaseUrl(ports: StackPorts): string {
  return `postgres://app:app@127.0.0.1:${ports.db}/app`;
}

/** A TCP connection to 127.0.0.1:port is accepted (and closed at once). */
export function acceptsTcp(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: timeoutMs });
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * `initdb` is a folder mounted as the db's /docker-entrypoint-initdb.d, which the official
 * image (and the stand-in) runs during the first start.
 */
export async function writeOverride(
  file: string,
  ports: StackPorts,
  options: { initdb?: string } = {},
): Promise<void> {
  const { proxies } = await readHostNetwork();
  const labels = { [TEST_LABEL]: 'compose' };
  const build = {
    network: 'host',
    ...(Object.keys(proxies).length > 0 ? { args: proxies } : {}),
  };
  const override = {
    services: {
      db: {
        network_mode: 'host',
        environment: { PGPORT: String(ports.db) },
        command: ['postgres', '-c', 'listen_addresses=127.0.0.1'],
        labels,
        ...(options.initdb
          ? { volumes: [`${options.initdb}:/docker-entrypoint-initdb.d:ro`] }
          : {}),
      },
      migrate: {
        network_mode: 'host',
        build,
        environment: { DATABASE_URL: databaseUrl(ports) },
        labels,
      },
      app: {
        network_mode: 'host',
        build,
        environment: {
          DATABASE_URL: databaseUrl(ports),
          PORT: String(ports.app),
          HOST: '127.0.0.1',
        },
        labels,
      },
    },
  };
  fs.writeFileSync(file, stringify(override));
}

export class ComposeStack {
  constructor(
    private readonly docker: Docker,
    readonly project: string,
    /** The project directory: relative paths (the build context) resolve from here. */
    private readonly projectDirectory: string,
    private readonly files: string[],
    private readonly env: Record<string, string>,
    private readonly logFile: string,
  ) {}

  run(args: string[], timeoutMs = 300_000) {
    return this.docker.compose(
      [
        '-p',
        this.project,
        '--project-directory',
        this.projectDirectory,
        ...this.files.flatMap((file) => ['-f', file]),
        ...args,
      ],
      { timeoutMs, logFile: this.logFile, env: this.env, cwd: this.projectDirectory },
    );
  }

  /** The service's containers (running or not), newest first. */
  async containers(service: string): Promise<string[]> {
    const result = await this.docker.docker([
      'ps',
      '-aq',
      '--filter',
      `label=com.docker.compose.project=${this.project}`,
      '--filter',
      `label=com.docker.compose.service=${service}`,
    ]);
    return result.stdout.split('\n').filter(Boolean);
  }

  async only(service: string): Promise<string> {
    const ids = await this.containers(service);
    if (ids.length !== 1) throw new Error(`${service}: ${ids.length} containers, expected 1`);
    return ids[0];
  }
}
