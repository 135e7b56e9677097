import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheRoot, logDir, type Docker } from './docker';
import { pipe, progress, run } from './run';

/**
 * No registry image can be pulled here, so the base images the project names (`node:20-slim`
 * in the Dockerfile, `postgres:15` in docker-compose.yml) are built locally under the same
 * names, from Debian's own packages:
 * - one `debootstrap --variant=minbase bookworm` root file system, from this machine's apt
 *   mirror, shared by both;
 * - node:20-slim: that root file system plus this machine's `node` binary and npm, a `node`
 *   user (uid/gid 1000, home /home/node) and this machine's CA bundle, `docker import`ed;
 * - postgres:15: Debian's postgresql-15 installed on that root file system (imported as
 *   zdm-infra/debian:bookworm-minbase), with an entrypoint that honours POSTGRES_USER,
 *   POSTGRES_PASSWORD and POSTGRES_DB and initialises like the official image's
 *   (infra/stand-ins/postgres/).
 * Each image carries a label with a hash of its recipe and inputs: an image whose label
 * matches is reused; one whose inputs changed (another node, another registry) is rebuilt.
 */

export const NODE_IMAGE = 'node:20-slim';
export const POSTGRES_IMAGE = 'postgres:15';
export const BASE_IMAGE = 'zdm-infra/debian:bookworm-minbase';
export const RECIPE_LABEL = 'org.zdm-infra.recipe';

const RELEASE = 'bookworm';
const RECIPE_VERSION = 1;
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY'];

function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

async function stdout(file: string, args: string[]): Promise<string> {
  return (await run(file, args, { timeoutMs: 60_000, cwd: os.tmpdir() })).stdout.trim();
}

async function npmConfig(key: string): Promise<string | undefined> {
  const value = await stdout('npm', ['config', 'get', key]);
  return value === '' || value === 'null' || value === 'undefined' ? undefined : value;
}

export interface HostNetwork {
  /** `npm config get registry` on this machine. */
  registry: string;
  /** Proxy variables (from the environment or npm's config) to hand to builds. */
  proxies: Record<string, string>;
}

let hostNetwork: Promise<HostNetwork> | undefined;

/**
 * How this machine reaches the npm registry, read at test time: the registry npm is set to
 * and any proxy, from the environment or from npm's own config.
 */
export function readHostNetwork(): Promise<HostNetwork> {
  hostNetwork ??= (async () => {
    const registry = await npmConfig('registry');
    if (!registry) throw new Error('`npm config get registry` printed nothing');
    const proxies: Record<string, string> = {};
    for (const name of PROXY_VARIABLES) {
      const value = process.env[name] ?? process.env[name.toLowerCase()];
      if (value) proxies[name] = value;
    }
    const httpsProxy = await npmConfig('https-proxy');
    const httpProxy = await npmConfig('proxy');
    const noProxy = await npmConfig('noproxy');
    if (httpsProxy && !proxies.HTTPS_PROXY) proxies.HTTPS_PROXY = httpsProxy;
    if (httpProxy && !proxies.HTTP_PROXY) proxies.HTTP_PROXY = httpProxy;
    if (noProxy && !proxies.NO_PROXY) proxies.NO_PROXY = noProxy;
    return { registry, proxies };
  })();
  return hostNetwork;
}

/**
 * `--build-arg`s for the proxies: docker passes HTTP_PROXY and friends to RUN steps without
 * an ARG in the Dockerfile, upper and lower case (npm reads one, apt the other).
 */
export async function proxyBuildArgs(): Promise<string[]> {
  const { proxies } = await readHostNetwork();
  return Object.entries(proxies).flatMap(([name, value]) => [
    '--build-arg',
    `${name}=${value}`,
    '--build-arg',
    `${name.toLowerCase()}=${value}`,
  ]);
}

/** The first enabled `deb` source of this machine that carries the release's main. */
export function aptMirror(release = RELEASE): string {
  const sources: { uri: string; suites: string[]; components: string[] }[] = [];
  const files: string[] = [];
  if (fs.existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (fs.existsSync('/etc/apt/sources.list.d')) {
    for (const name of fs.readdirSync('/etc/apt/sources.list.d').sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources')) {
        files.push(path.join('/etc/apt/sources.list.d', name));
      }
    }
  }
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) =>
          stanza
            .split('\n')
            .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
            ?.slice(name.length + 1)
            .trim()
            .split(/\s+/) ?? [];
        if (!field('Types').includes('deb') || field('Enabled')[0] === 'no') continue;
        for (const uri of field('URIs')) {
          sources.push({ uri, suites: field('Suites'), components: field('Components') });
        }
      }
    } else {
      for (const raw of text.split('\n')) {
        const line = raw
          .replace(/#.*/, '')
          .replace(/\[[^\]]*\]/, '')
          .trim();
        const [type, uri, suite, ...components] = line.split(/\s+/);
        if (type === 'deb' && uri && suite) sources.push({ uri, suites: [suite], components });
      }
    }
  }
  const found = sources.find(
    (source) => source.suites.includes(release) && source.components.includes('main'),
  );
  if (!found) throw new Error(`no apt source of this machine carries ${release} main`);
  return found.uri;
}

function rootfsDir(name: string): string {
  return path.join(cacheRoot(), 'rootfs', name);
}

/** The shared debootstrapped root file system, made once and kept in the cache. */
async function ensureBaseRootfs(): Promise<string> {
  const dir = rootfsDir(`${RELEASE}-minbase`);
  const done = `${dir}.done`;
  if (fs.existsSync(done)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const mirror = aptMirror();
  progress(`debootstrap --variant=minbase ${RELEASE} (from this machine's apt mirror)`);
  await run('debootstrap', ['--variant=minbase', RELEASE, dir, mirror], {
    timeoutMs: 900_000,
    logFile: path.join(logDir(), 'debootstrap.log'),
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  for (const leftover of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    for (const entry of fs.readdirSync(path.join(dir, leftover))) {
      const file = path.join(dir, leftover, entry);
      if (fs.statSync(file).isFile()) fs.rmSync(file);
    }
  }
  fs.writeFileSync(done, `${new Date().toISOString()}\n`);
  return dir;
}

function baseRecipe(): string {
  return hash({ RECIPE_VERSION, release: RELEASE, variant: 'minbase' });
}

async function importRootfs(
  docker: Docker,
  dir: string,
  image: string,
  changes: string[],
): Promise<void> {
  await pipe(
    { file: 'tar', args: ['--numeric-owner', '-C', dir, '-c', '.'] },
    {
      file: 'docker',
      args: ['import', ...changes.flatMap((change) => ['--change', change]), '-', image],
      env: docker.env,
    },
    { timeoutMs: 600_000, logFile: path.join(logDir(), 'import.log') },
  );
}

async function ensureBaseImage(docker: Docker): Promise<void> {
  const recipe = baseRecipe();
  if ((await docker.imageLabel(BASE_IMAGE, RECIPE_LABEL)) === recipe) return;
  const dir = await ensureBaseRootfs();
  progress(`importing ${BASE_IMAGE}`);
  await importRootfs(docker, dir, BASE_IMAGE, [
    `ENV PATH=${IMAGE_PATH}`,
    `LABEL ${RECIPE_LABEL}=${recipe}`,
    'CMD ["bash"]',
  ]);
}

interface HostNode {
  binary: string;
  version: string;
  npmDir: string;
  npmVersion: string;
  caBundle: Buffer;
}

async function readHostNode(): Promise<HostNode> {
  const binary = fs.realpathSync(await stdout('sh', ['-c', 'command -v node']));
  const version = await stdout(binary, ['--version']);
  const npmDir = path.join(await stdout('npm', ['root', '-g']), 'npm');
  if (!fs.existsSync(path.join(npmDir, 'bin', 'npm-cli.js'))) {
    throw new Error(`npm is not where \`npm root -g\` says (${npmDir})`);
  }
  const npmVersion = await stdout('npm', ['--version']);
  // npm's own cafile (a corporate CA, say) goes into the image's bundle too.
  let caBundle = fs.readFileSync(CA_BUNDLE);
  const cafile = await npmConfig('cafile');
  if (cafile && path.resolve(cafile) !== CA_BUNDLE && fs.existsSync(cafile)) {
    caBundle = Buffer.concat([caBundle, Buffer.from('\n'), fs.readFileSync(cafile)]);
  }
  return { binary, version, npmDir, npmVersion, caBundle };
}

async function ensureNodeImage(docker: Docker): Promise<void> {
  const host = await readHostNode();
  const { registry } = await readHostNetwork();
  const caHash = createHash('sha256').update(host.caBundle).digest('hex');
  const config = [
    `ENV PATH=${IMAGE_PATH}`,
    `ENV NODE_VERSION=${host.version.replace(/^v/, '')}`,
    `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
    // npm in the image (the Dockerfile's `npm ci`) uses the registry npm uses here.
    `ENV npm_config_registry=${registry}`,
    'CMD ["node"]',
  ];
  const recipe = hash({
    RECIPE_VERSION,
    base: baseRecipe(),
    node: host.version,
    npm: host.npmVersion,
    caHash,
    config,
  });
  if ((await docker.imageLabel(NODE_IMAGE, RECIPE_LABEL)) === recipe) return;
  const base = await ensureBaseRootfs();
  const dir = rootfsDir('node-build');
  fs.rmSync(dir, { recursive: true, force: true });
  progress(`building the stand-in ${NODE_IMAGE} (node ${host.version}, npm ${host.npmVersion})`);
  try {
    await run('cp', ['-a', base, dir], { timeoutMs: 300_000 });
    const binDir = path.join(dir, 'usr/local/bin');
    const libDir = path.join(dir, 'usr/local/lib/node_modules');
    fs.mkdirSync(binDir, { recursive: true });
    fs.mkdirSync(libDir, { recursive: true });
    fs.copyFileSync(host.binary, path.join(binDir, 'node'));
    fs.chmodSync(path.join(binDir, 'node'), 0o755);
    await run('cp', ['-a', host.npmDir, path.join(libDir, 'npm')], { timeoutMs: 300_000 });
    fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(binDir, 'npm'));
    fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(binDir, 'npx'));
    // As in the official image: group and user `node`, 1000:1000, home /home/node.
    await run('chroot', [dir, 'groupadd', '--gid', '1000', 'node']);
    await run('chroot', [
      dir,
      'useradd',
      '--uid',
      '1000',
      '--gid',
      'node',
      '--shell',
      '/bin/bash',
      '--create-home',
      'node',
    ]);
    fs.mkdirSync(path.join(dir, path.dirname(CA_BUNDLE)), { recursive: true });
    fs.writeFileSync(path.join(dir, CA_BUNDLE), host.caBundle);
    await importRootfs(docker, dir, NODE_IMAGE, [...config, `LABEL ${RECIPE_LABEL}=${recipe}`]);
    // What `npm ci` in a `docker build --network host` will need: the registry, from inside.
    const ping = await docker.docker(
      ['run', '--rm', '--network', 'host', NODE_IMAGE, 'npm', 'ping', '--registry', registry],
      { allowFailure: true, timeoutMs: 120_000 },
    );
    if (ping.code !== 0) {
      await docker.docker(['rmi', NODE_IMAGE], { allowFailure: true });
      throw new Error(`npm inside ${NODE_IMAGE} does not reach ${registry}:\n${ping.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The stand-in postgres:15's build context: its Dockerfile and entrypoint, in this folder. */
const POSTGRES_CONTEXT = path.join(__dirname, '..', 'stand-ins', 'postgres');

async function ensurePostgresImage(docker: Docker): Promise<void> {
  const read = (name: string) => fs.readFileSync(path.join(POSTGRES_CONTEXT, name), 'utf8');
  const dockerfile = read('Dockerfile');
  if (!dockerfile.includes(`FROM ${BASE_IMAGE}`)) {
    throw new Error(`${POSTGRES_CONTEXT}/Dockerfile must build FROM ${BASE_IMAGE}`);
  }
  const recipe = hash({
    RECIPE_VERSION,
    base: baseRecipe(),
    dockerfile,
    entrypoint: read('docker-entrypoint.sh'),
  });
  if ((await docker.imageLabel(POSTGRES_IMAGE, RECIPE_LABEL)) === recipe) return;
  await ensureBaseImage(docker);
  progress(`building the stand-in ${POSTGRES_IMAGE} (Debian's postgresql-15)`);
  await docker.docker(
    [
      'build',
      '--network',
      'host',
      '--label',
      `${RECIPE_LABEL}=${recipe}`,
      ...(await proxyBuildArgs()),
      '-t',
      POSTGRES_IMAGE,
      POSTGRES_CONTEXT,
    ],
    { timeoutMs: 900_000, logFile: path.join(logDir(), 'postgres-build.log') },
  );
}

/** Builds whichever stand-ins are missing (or built from other inputs); one at a time. */
export async function ensureStandIns(
  docker: Docker,
  which: readonly ('node' | 'postgres')[],
): Promise<void> {
  if (which.includes('node')) await ensureNodeImage(docker);
  if (which.includes('postgres')) await ensurePostgresImage(docker);
}
