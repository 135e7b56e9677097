/** The two migration phases of every deploy: pre (expand) and post (contract). */
export type Phase = 'pre' | 'post';

export const PHASES: readonly Phase[] = ['pre', 'post'];

export const PHASE_FOLDERS: Record<Phase, string> = {
  pre: 'pre-deploy',
  post: 'post-deploy',
};

export function isPhase(value: unknown): value is Phase {
  return value === 'pre' || value === 'post';
}
