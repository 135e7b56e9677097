import http from 'node:http';
import { DeployError } from './errors';

/**
 * Asking every instance behind one port whether it is ready and which commit it runs. In PM2
 * cluster mode all workers share the port and the primary hands each new connection to the
 * next worker in turn, so probes on fresh connections reach every worker; the `pid` in each
 * answer says which one answered.
 */
export interface ReadyAnswer {
  pid: number;
  status: number;
  commit: string | null;
}

const PROBE_TIMEOUT_MS = 2_000;
const ROUND_PAUSE_MS = 200;

/** One GET of the readiness path on a new connection; undefined when nothing answered. */
export function probeReady(
  baseUrl: string,
  readyPath = '/health/ready',
): Promise<ReadyAnswer | undefined> {
  return new Promise((resolve) => {
    const req = http.get(new URL(readyPath, baseUrl), { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        try {
          const parsed = JSON.parse(body) as { pid: number; commit: string | null };
          resolve({ pid: parsed.pid, status: res.statusCode ?? 0, commit: parsed.commit });
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.setTimeout(PROBE_TIMEOUT_MS, () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

export interface InstanceCheck {
  baseUrl: string;
  /** The pids that must answer (PM2's list), read again each round. */
  pids: () => Promise<number[]>;
  commit: string;
  timeoutMs: number;
  /** The app's readiness path (its contract's health.ready). */
  readyPath?: string;
}

/**
 * Probes until every expected pid answered 200 with the commit, or throws VERIFY_FAILED
 * saying, pid by pid, what was last seen.
 */
export async function waitForInstances(check: InstanceCheck): Promise<Map<number, ReadyAnswer>> {
  const until = Date.now() + check.timeoutMs;
  const seen = new Map<number, ReadyAnswer>();
  let pids: number[];
  for (;;) {
    pids = await check.pids();
    for (let probe = 0; probe < Math.max(4, pids.length * 4); probe++) {
      const answer = await probeReady(check.baseUrl, check.readyPath);
      if (answer) seen.set(answer.pid, answer);
      if (pids.length > 0 && pids.every((pid) => isReady(seen.get(pid), check.commit))) {
        return seen;
      }
    }
    if (Date.now() >= until) break;
    await sleep(ROUND_PAUSE_MS);
  }
  const report = pids.length
    ? pids.map((pid) => `pid ${pid}: ${describe(seen.get(pid), check.commit)}`).join('; ')
    : 'no instance is running';
  throw new DeployError(
    'VERIFY_FAILED',
    `not every instance at ${check.baseUrl} answered ${check.readyPath ?? '/health/ready'} 200 ` +
      `with commit ` +
      `${check.commit.slice(0, 12)} within ${check.timeoutMs} ms: ${report}`,
  );
}

function isReady(answer: ReadyAnswer | undefined, commit: string): boolean {
  return answer?.status === 200 && answer.commit === commit;
}

function describe(answer: ReadyAnswer | undefined, commit: string): string {
  if (!answer) return 'never answered';
  if (answer.status !== 200) return `answered ${answer.status} (not ready)`;
  if (answer.commit !== commit) return `runs commit ${answer.commit?.slice(0, 12) ?? 'unknown'}`;
  return 'ready';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
