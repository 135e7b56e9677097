import fs from 'node:fs';
import path from 'node:path';

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

/**
 * Formats what a generator wrote with the project's own Prettier and configuration, so
 * generated code passes `npm run lint` as written. A project without Prettier keeps the files
 * as generated.
 */
export async function formatGeneratedFiles(root: string, result: GeneratedFiles): Promise<void> {
  let prettier: typeof import('prettier');
  try {
    prettier = require(require.resolve('prettier', { paths: [root] })) as typeof import('prettier');
  } catch {
    return;
  }
  for (const relative of [...result.written, ...result.updated]) {
    const file = path.join(root, relative);
    // Files Prettier has no parser for (SQL) stay as written.
    if (!(await prettier.getFileInfo(file)).inferredParser) continue;
    const options = await prettier.resolveConfig(file);
    const source = fs.readFileSync(file, 'utf8');
    const formatted = await prettier.format(source, { ...options, filepath: file });
    if (formatted !== source) fs.writeFileSync(file, formatted);
  }
}
