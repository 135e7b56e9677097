/** Resolves once `condition` holds, checked every `everyMs`: tests wait on a state, not a guess. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  everyMs = 5,
): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, everyMs));
}
