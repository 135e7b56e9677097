import { GeneratorError, patternGenerators, type GeneratedFiles } from 'zero-downtime-toolkit';
import { generateResource } from './resource';

/**
 * `npm run generate -- <what> ...`. `resource` scaffolds a model, routes, migration and test;
 * the expand/contract patterns write the migrations of each step.
 */
export interface Generator {
  name: string;
  usage: string;
  run(args: string[], options: { projectRoot: string; now?: Date }): GeneratedFiles;
}

const resource: Generator = {
  name: 'resource',
  usage:
    'resource <name> <field:type[?]> ...   e.g. resource notes title:string body:text? done:boolean',
  run: ([name, ...fields], options) => generateResource(name, fields, options),
};

export function generators(): Generator[] {
  return [resource, ...patternGenerators];
}

export function runGenerator(
  what: string | undefined,
  args: string[],
  options: { projectRoot: string; now?: Date },
): GeneratedFiles {
  const all = generators();
  const generator = all.find((candidate) => candidate.name === what);
  if (!generator) {
    const usage = all.map((candidate) => `  npm run generate -- ${candidate.usage}`).join('\n');
    throw new GeneratorError(
      `${what ? `Unknown generator "${what}".` : 'Say what to generate.'} Available:\n${usage}`,
    );
  }
  return generator.run(args, options);
}
