/**
 * npm run deploy -- --target <local|ssh|kubernetes> [options]
 *
 * Steps: build, migrate-pre, rollout, verify, migrate-post (docs/deploying.md).
 * Exit codes: 0 deployed (or rolled back with --rollback), 1 failed (see the summary: what was
 * rolled back and how to resume), 2 bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { appContract } from '../core/config';
import { findProjectRoot } from '../core/project';
import { currentLink, releaseDir } from '../deploy/releases';
import { UsageError, type CliCommand, type CliOptions } from './run';
import {
  STEPS,
  TARGETS,
  consoleReporter,
  isStep,
  rollBackLastDeploy,
  runDeploy,
  type DeployOptions,
  type Step,
} from '../deploy';

const USAGE = `usage: zdm deploy (npm run deploy --) --target <${Object.keys(TARGETS).join('|')}> [options]
  --ref REF               commit to deploy (default HEAD of --source)
  --source DIR            git checkout to build from (default: this project)
  --deploy-root DIR       releases/, current, shared/, state and lock (default $DEPLOY_ROOT or .deploy)
                          (--release-dir is the same option)
  --from STEP             resume the last deploy at STEP: ${STEPS.join(', ')}
  --only STEP,...         run only these steps
  --release ID            deploy an already built release instead of building --ref
  --rollback              put back the release that served before the last deploy
  --previous ID|none      what served before the deploy on this host, when the caller knows
                          better than the state file (the ssh target passes it to each host)
  --instances K           workers per host (default: as running, else one per CPU)
  --ready-timeout MS      how long a new instance may take to become ready (default 60000)
  --port PORT             where instances listen, for /health/ready (default $PORT or 3000)
  --app-name NAME         PM2 app name (default $APP_NAME or the package name)
  --lock-wait MS          wait for another deploy this long instead of refusing (default 0)
  --no-database-lock      skip the database advisory lock (the ssh target's hosts use it)
  --keep-releases N       releases kept on disk (default 5)
ssh target:
  --hosts a,b             hosts, deployed one at a time
  --remote-root DIR       deploy root on the hosts (default "app", in the ssh user's home)
  --ssh "CMD"             ssh command and options (default "ssh")
  --remote-node PATH      node on the hosts (default "node")
Environment: DATABASE_URL (migrations, lock), PORT, DEPLOY_ROOT, APP_NAME, PM2_HOME, PM2_BIN;
<deploy root>/shared/.env is read when present.`;

/** Every option the command parses; the usage names each one. */
const OPTIONS = {
  target: { type: 'string' },
  ref: { type: 'string' },
  source: { type: 'string' },
  'deploy-root': { type: 'string' },
  'release-dir': { type: 'string' },
  from: { type: 'string' },
  only: { type: 'string' },
  release: { type: 'string' },
  rollback: { type: 'boolean', default: false },
  previous: { type: 'string' },
  instances: { type: 'string' },
  'ready-timeout': { type: 'string' },
  port: { type: 'string' },
  'app-name': { type: 'string' },
  'lock-wait': { type: 'string' },
  'no-database-lock': { type: 'boolean', default: false },
  'keep-releases': { type: 'string' },
  hosts: { type: 'string' },
  'remote-root': { type: 'string' },
  ssh: { type: 'string' },
  'remote-node': { type: 'string' },
  help: { type: 'boolean', default: false },
} satisfies CliOptions;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: OPTIONS,
  }).values;
}

type Args = ReturnType<typeof parse>;

function wholeNumber(
  name: string,
  value: string | undefined,
  fallback?: number,
): number | undefined {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) {
    throw new UsageError(`${name} must be a whole number, got "${value}"`);
  }
  return number;
}

function steps(value: string | undefined): Step[] | undefined {
  if (!value) return undefined;
  const names = value.split(',').map((name) => name.trim());
  const bad = names.find((name) => !isStep(name));
  if (bad) throw new UsageError(`--only: unknown step "${bad}"; steps are ${STEPS.join(', ')}`);
  return names as Step[];
}

function toOptions(args: Args): DeployOptions {
  if (!args.target) throw new UsageError('--target is required');
  if (args.from !== undefined && !isStep(args.from)) {
    throw new UsageError(`--from: unknown step "${args.from}"; steps are ${STEPS.join(', ')}`);
  }
  const root = path.resolve(
    args['deploy-root'] ??
      args['release-dir'] ??
      process.env.DEPLOY_ROOT ??
      path.join(findProjectRoot(), '.deploy'),
  );
  const env = withSharedEnv(root);
  const source = path.resolve(args.source ?? findProjectRoot());
  const app = appContract(contractDir(root, source, args.release));
  return {
    target: args.target,
    root,
    source,
    ref: args.ref ?? 'HEAD',
    from: args.from as Step | undefined,
    only: steps(args.only),
    release: args.release,
    previousRelease: previousRelease(args.previous),
    appName: args['app-name'] ?? env.APP_NAME ?? app.name,
    instances: wholeNumber('--instances', args.instances ?? env.APP_INSTANCES) || undefined,
    readyTimeoutMs: wholeNumber('--ready-timeout', args['ready-timeout'], 60_000)!,
    port: wholeNumber('--port', args.port ?? env.PORT, 3000)!,
    readyPath: app.health.ready,
    databaseUrl: env.DATABASE_URL || undefined,
    lockWaitMs: wholeNumber('--lock-wait', args['lock-wait'], 0)!,
    databaseLock: !args['no-database-lock'],
    keepReleases: wholeNumber('--keep-releases', args['keep-releases'], 5)!,
    env,
    pm2Bin: env.PM2_BIN,
    ssh: {
      hosts: (args.hosts ?? '')
        .split(',')
        .map((host) => host.trim())
        .filter(Boolean),
      remoteRoot: args['remote-root'] ?? 'app',
      command: args.ssh ?? 'ssh',
      node: args['remote-node'] ?? 'node',
    },
  };
}

/**
 * Where the app's contract is read: the checkout deployed from, or, for a host's own steps
 * (which run inside its deploy root, with no checkout), the release they run or the one that
 * serves.
 */
function contractDir(root: string, source: string, release: string | undefined): string {
  if (release) return releaseDir(root, release);
  if (fs.existsSync(path.join(source, 'package.json'))) return source;
  const current = currentLink(root);
  return fs.existsSync(path.join(current, 'package.json')) ? current : source;
}

function previousRelease(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  if (!/^[\w.-]+$/.test(value)) {
    throw new UsageError(`--previous must be a release id or "none", got "${value}"`);
  }
  return value;
}

/** The deploy root's shared/.env fills in what the environment does not set. */
function withSharedEnv(root: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const file = path.join(root, 'shared', '.env');
  if (fs.existsSync(file))
    dotenv.config({ path: file, processEnv: env as Record<string, string>, quiet: true });
  return env;
}

async function run(argv: string[]): Promise<number> {
  const args = parse(argv);
  const options = toOptions(args);
  const reporter = consoleReporter();
  const result = args.rollback
    ? await rollBackLastDeploy(options, reporter)
    : await runDeploy(options, reporter);
  process.stdout.write(`\n${result.summary}\n`);
  return result.ok ? 0 : 1;
}

export const command: CliCommand = {
  name: 'deploy',
  summary: 'pre-deploy migrations, rolling restart, post-deploy migrations, with rollback',
  usage: USAGE,
  options: OPTIONS,
  run,
};
