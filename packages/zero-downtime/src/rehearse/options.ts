/** Everything a rehearsal is told; scripts/rehearse.ts builds it from the command line. */
export interface RehearsalOptions {
  /** A directory inside the git checkout to rehearse. */
  source: string;
  /** What serves before the deploy; default: the merge base with the main branch, else HEAD~1. */
  base?: string;
  /** The commit deployed (default HEAD). */
  head: string;
  /** Rows seeded per table. */
  rows: number;
  /** Requests per second aimed at. */
  rate: number;
  /** Keep-alive connections of the load. */
  connections: number;
  /** PM2 cluster workers. */
  instances: number;
  /** Load before the deploy starts and after it ended. */
  beforeSeconds: number;
  afterSeconds: number;
  /** Load sent before measuring (connections opened, code warmed up), not reported. */
  warmupSeconds: number;
  /** p99 during the deploy may be this many times p99 before it. */
  budgetFactor: number;
  /** ... and never needs to be lower than this, so a 2 ms p99 does not make a 6 ms budget. */
  budgetFloorMs: number;
  /** How long a new instance may take to become ready (the deploy's --ready-timeout). */
  readyTimeoutMs: number;
  outDir: string;
  /** Keep the temporary deploy root, PM2 home and logs (their path is printed). */
  keep: boolean;
  /** Environment of the deploy and the instances (DATABASE_URL picks the server). */
  env: NodeJS.ProcessEnv;
  /** Progress lines for a person. */
  log: (line: string) => void;
  /** Also show the output of the commands the deploys run (npm, pm2). */
  verbose: boolean;
  /** Aborting stops the rehearsal at the next step and cleans up. */
  signal?: AbortSignal;
}

export const REHEARSAL_DEFAULTS = {
  head: 'HEAD',
  rows: 10_000,
  rate: 200,
  connections: 16,
  instances: 2,
  beforeSeconds: 10,
  afterSeconds: 10,
  warmupSeconds: 5,
  budgetFactor: 3,
  budgetFloorMs: 500,
  readyTimeoutMs: 60_000,
  outDir: 'reports/rehearsal',
} as const;
