import { runCommand } from './processes';

/**
 * The git questions the toolkit asks of a checkout (the deploy's build, the compat gate, the
 * rehearsal). Each answers undefined when git says no; the caller knows what that means for
 * its user and says so in its own words.
 */
export async function git(dir: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  const result = await runCommand('git', ['-C', dir, ...args], { quietStdout: true });
  return { ok: result.code === 0, out: (result.code === 0 ? result.stdout : result.output).trim() };
}

export async function repositoryRoot(dir: string): Promise<string | undefined> {
  const result = await git(dir, ['rev-parse', '--show-toplevel']);
  return result.ok ? result.out : undefined;
}

/** The full commit id a ref names, or undefined when it names no commit here. */
export async function resolveCommit(dir: string, ref: string): Promise<string | undefined> {
  const result = await git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return result.ok && result.out ? result.out : undefined;
}
