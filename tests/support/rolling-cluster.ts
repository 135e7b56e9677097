import cluster, { type Worker } from 'node:cluster';
import path from 'node:path';
import readline from 'node:readline';

/**
 * A minimal stand-in for PM2 cluster mode, to test graceful shutdown on its own: workers run
 * app/server.ts on one shared port; on "restart" (a line on stdin) each worker in turn is
 * replaced: a new worker starts, once it says `ready` the old one gets SIGTERM and is awaited.
 * Events are JSON lines on stdout.
 */

const projectRoot = path.resolve(__dirname, '..', '..');
const instances = Number(process.env.CLUSTER_INSTANCES ?? 2);

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function startWorker(): Promise<Worker> {
  const worker = cluster.fork();
  return new Promise((resolve, reject) => {
    worker.on('message', (message) => {
      if (message === 'ready') resolve(worker);
    });
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before ready`)));
  });
}

function stopWorker(worker: Worker): Promise<number | null> {
  return new Promise((resolve) => {
    worker.once('exit', (code) => resolve(code));
    worker.process.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  cluster.setupPrimary({
    exec: path.join(projectRoot, 'app/server.ts'),
    execArgv: ['--import', 'tsx'],
    silent: false,
  });
  let workers = await Promise.all(Array.from({ length: instances }, () => startWorker()));
  emit({ event: 'ready', pids: workers.map((worker) => worker.process.pid) });

  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === 'restart') {
      const replaced: Worker[] = [];
      for (const old of workers) {
        const fresh = await startWorker();
        const exitCode = await stopWorker(old);
        emit({ event: 'replaced', old: old.process.pid, new: fresh.process.pid, exitCode });
        replaced.push(fresh);
      }
      workers = replaced;
      emit({ event: 'restarted', pids: workers.map((worker) => worker.process.pid) });
    }
    if (line === 'stop') break;
  }
  const codes = await Promise.all(workers.map(stopWorker));
  emit({ event: 'stopped', exitCodes: codes });
}

main().catch((error: unknown) => {
  emit({ event: 'failed', message: (error as Error).message });
  process.exit(1);
});
