import type { Step } from './steps';

/** Everything a deploy is told; scripts/deploy.ts builds it from the command line. */
export interface DeployOptions {
  /** `local`, `ssh`, or any target registered in targets/index.ts. */
  target: string;
  /** The deploy root on this machine: releases/, current, shared/, state and lock. */
  root: string;
  /** The git checkout holding the commit to deploy. */
  source: string;
  /** The commit-ish to deploy (default HEAD). */
  ref: string;
  /** Resume the last deploy at this step. */
  from?: Step;
  /** Run only these steps (the ssh target runs `rollout,verify` on each host this way). */
  only?: Step[];
  /** Deploy this already built release id instead of building one. */
  release?: string;
  /**
   * What served on this host before the deploy, as the machine driving it recorded it: a
   * release id, or null for "nothing" (a first deploy). The ssh target passes it to each
   * host, so a host's rollback never depends on the host's own state file.
   */
  previousRelease?: string | null;
  /** The PM2 app name. */
  appName: string;
  /** Workers per host; default: what is running, or the ecosystem file's default (CPUs). */
  instances?: number;
  /** How long a new instance may take to become ready before the rollout is rolled back. */
  readyTimeoutMs: number;
  /** Where the instances listen on each host, for the readiness probe. */
  port: number;
  /** The app's readiness path (package.json zeroDowntime.health.ready). */
  readyPath: string;
  databaseUrl?: string;
  /** Wait this long for another deploy's lock; 0 refuses at once. */
  lockWaitMs: number;
  /** Take the database advisory lock (the ssh target's remote steps do not: it holds it). */
  databaseLock: boolean;
  /** Complete releases kept on disk (current and previous always are). */
  keepReleases: number;
  /** Environment for every command the deploy runs (npm, pm2, ssh). */
  env: NodeJS.ProcessEnv;
  pm2Bin?: string;
  ssh: SshOptions;
}

export interface SshOptions {
  hosts: string[];
  /** The deploy root on each host; relative paths start at the ssh user's home. */
  remoteRoot: string;
  /** The ssh program and its options, e.g. `ssh -p 2222 -o BatchMode=yes`. */
  command: string;
  /** `node` on the hosts. */
  node: string;
}
