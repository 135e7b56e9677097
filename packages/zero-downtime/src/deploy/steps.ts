/** The steps of every deploy, in order. `--from <step>` resumes at one of them. */
export const STEPS = ['build', 'migrate-pre', 'rollout', 'verify', 'migrate-post'] as const;

export type Step = (typeof STEPS)[number];

export const STEP_DESCRIPTIONS: Record<Step, string> = {
  build: 'build the release: files of the commit, dependencies, npm run build, REVISION',
  'migrate-pre': 'pre-deploy migrations (expand), while only the old version serves',
  rollout: 'rolling restart onto the release, one instance at a time',
  verify: 'every instance answers /health/ready with the new version',
  'migrate-post': 'post-deploy migrations (contract), once every instance runs the release',
};

export function isStep(value: string | undefined): value is Step {
  return (STEPS as readonly string[]).includes(value ?? '');
}

/** Steps that change what serves traffic: a failure there rolls back. */
export function rollsBackOnFailure(step: Step): boolean {
  return step === 'rollout' || step === 'verify';
}
