/**
 * PM2 process file: the API in cluster mode on one host.
 *
 *   pm2 startOrReload deploy/ecosystem.config.js     (what `npm run deploy -- --target local` runs)
 *
 * Run by the deploy from inside a built release (`<root>/releases/<id>/deploy/`), with
 * DEPLOY_ROOT set: the script path goes through `<root>/current`, so every reload starts the
 * release `current` points to at that moment. Without DEPLOY_ROOT it runs this checkout's
 * dist/ (after `npm run build`).
 *
 * Environment read here: DEPLOY_ROOT, APP_NAME, APP_INSTANCES (default: one per CPU),
 * PM2_LISTEN_TIMEOUT_MS, and the app's own variables (config.ts), from which the shutdown
 * timings come, so PM2 never kills a worker that is still draining.
 */
const os = require('node:os');
const path = require('node:path');

const releaseDir = path.resolve(__dirname, '..');
const appDir = process.env.DEPLOY_ROOT
  ? path.join(path.resolve(process.env.DEPLOY_ROOT), 'current')
  : releaseDir;

process.env.NODE_ENV = process.env.NODE_ENV || 'production';
const config = loadReleaseConfig();

// Graceful shutdown takes at most the drain delay plus the in-flight deadline; the margin
// covers closing the database pool. PM2's own default (1.6 s) would cut requests off.
const killTimeoutMs = config.shutdown.drainDelayMs + config.shutdown.timeoutMs + 5_000;

// After listen_timeout without `ready`, PM2 stops the old worker even though its replacement
// is not ready. The deploy gives up (and rolls back) after its --ready-timeout, long before.
const listenTimeoutMs = Number(process.env.PM2_LISTEN_TIMEOUT_MS) || 60 * 60 * 1000;

module.exports = {
  apps: [
    {
      name: process.env.APP_NAME || require(path.join(releaseDir, 'package.json')).name,
      script: path.join(appDir, 'dist', 'app', 'server.js'),
      cwd: appDir,
      exec_mode: 'cluster',
      instances: Number(process.env.APP_INSTANCES) || availableCpus(),
      // app/server.ts sends `ready` once it listens and the database answers.
      wait_ready: true,
      listen_timeout: listenTimeoutMs,
      kill_timeout: killTimeoutMs,
      max_restarts: 10,
      min_uptime: 5_000,
      merge_logs: true,
      time: true,
      env: { NODE_ENV: config.env },
    },
  ],
};

function loadReleaseConfig() {
  const compiled = path.join(releaseDir, 'dist', 'app', 'config.js');
  let loadConfig;
  try {
    ({ loadConfig } = require(compiled));
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(`${compiled} is missing: build the release first (npm run build)`, {
      cause: error,
    });
  }
  return loadConfig();
}

function availableCpus() {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length;
}
