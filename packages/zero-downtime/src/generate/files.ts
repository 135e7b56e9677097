/** What every generator (the patterns here, the starter's resource generator) reports. */
export interface GeneratedFiles {
  written: string[];
  updated: string[];
  instructions: string[];
}

export function formatGenerated(result: GeneratedFiles): string {
  const lines = [
    ...result.written.map((file) => `created ${file}`),
    ...result.updated.map((file) => `updated ${file}`),
  ];
  if (result.instructions.length) {
    lines.push('', 'Next:', ...result.instructions.map((line) => `  - ${line}`));
  }
  return lines.join('\n');
}
