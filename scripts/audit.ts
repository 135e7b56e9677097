/**
 * npm run audit:prod
 *
 * `npm audit --omit=dev --json`, failing on any high or critical advisory in the production
 * dependencies (what ships in the Docker image and the releases).
 *
 * Exit codes: 0 no high or critical advisory, 1 high or critical advisories (listed),
 * 2 npm could not be run or answered something unreadable,
 * 3 the registry's audit endpoint could not be reached or refused the request: NOTHING WAS
 *   CHECKED (some registries and mirrors answer 405 to the bulk advisory request).
 */
import { spawnSync } from 'node:child_process';

const FAILING = ['high', 'critical'] as const;

interface Vulnerability {
  name: string;
  severity: string;
  via: unknown[];
  fixAvailable?: unknown;
}

interface AuditReport {
  vulnerabilities?: Record<string, Vulnerability>;
  metadata?: { vulnerabilities?: Record<string, number> };
}

interface AuditFailure {
  message?: string;
  statusCode?: number;
  error?: { code?: string; summary?: string; detail?: string };
}

export type Verdict =
  | { kind: 'clean'; counts: Record<string, number> }
  | { kind: 'vulnerable'; counts: Record<string, number>; failing: Vulnerability[] }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'unreadable'; reason: string };

/** What npm's JSON answer means. */
export function judge(stdout: string): Verdict {
  let parsed: AuditReport & AuditFailure;
  try {
    parsed = JSON.parse(stdout) as AuditReport & AuditFailure;
  } catch {
    return { kind: 'unreadable', reason: `npm audit printed no JSON: ${stdout.slice(0, 200)}` };
  }
  const counts = parsed.metadata?.vulnerabilities;
  if (!counts) {
    const reason =
      parsed.message ??
      [parsed.error?.code, parsed.error?.summary, parsed.error?.detail].filter(Boolean).join(' ');
    return { kind: 'unreachable', reason: reason || 'npm audit returned no report' };
  }
  const failing = Object.values(parsed.vulnerabilities ?? {}).filter((vulnerability) =>
    (FAILING as readonly string[]).includes(vulnerability.severity),
  );
  return failing.length > 0 ? { kind: 'vulnerable', counts, failing } : { kind: 'clean', counts };
}

function describeCounts(counts: Record<string, number>): string {
  return ['critical', 'high', 'moderate', 'low', 'info']
    .map((severity) => `${counts[severity] ?? 0} ${severity}`)
    .join(', ');
}

function advisoryTitles(vulnerability: Vulnerability): string {
  const titles = vulnerability.via
    .map((via) => (typeof via === 'object' && via ? (via as { title?: string }).title : via))
    .filter(Boolean);
  return titles.length > 0 ? titles.join('; ') : 'see npm audit';
}

function report(verdict: Verdict): number {
  switch (verdict.kind) {
    case 'clean':
      console.log(`audit: no high or critical advisory (${describeCounts(verdict.counts)}).`);
      return 0;
    case 'vulnerable':
      console.error(
        `audit: ${verdict.failing.length} production dependencies with high or critical advisories:`,
      );
      for (const vulnerability of verdict.failing) {
        const fix = vulnerability.fixAvailable
          ? 'fix available: npm audit fix --omit=dev'
          : 'no fix yet';
        console.error(
          `  ${vulnerability.name} (${vulnerability.severity}): ${advisoryTitles(vulnerability)} [${fix}]`,
        );
      }
      return 1;
    case 'unreachable':
      console.error(
        `audit: the registry's audit endpoint could not be used (${verdict.reason}). NOTHING WAS ` +
          'CHECKED. Run npm run audit:prod where the npm registry accepts audit requests (CI, a ' +
          'developer machine), or point npm at a registry that does (npm config get registry).',
      );
      return 3;
    case 'unreadable':
      console.error(`audit: ${verdict.reason}`);
      return 2;
  }
}

function main(): number {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['audit', '--omit=dev', '--json'], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) {
    console.error(`audit: could not run npm audit: ${run.error.message}`);
    return 2;
  }
  return report(judge(run.stdout));
}

if (require.main === module) process.exitCode = main();
