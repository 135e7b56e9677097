import path from 'node:path';

export { freePort } from '../../src/db/free-port';

/**
 * Where the toolkit's tests find things. The toolkit is tested on the starter of this
 * repository: its migrations seed the test databases, and deploy and rehearsal tests build
 * releases of it. The toolkit's code itself never imports the starter.
 */
export const toolkitRoot = path.resolve(__dirname, '..', '..');
export const starterRoot = path.resolve(toolkitRoot, '..', '..');
/** Kept for the many tests that run commands in the starter's folder. */
export const projectRoot = starterRoot;
export const tsxCli = path.join(starterRoot, 'node_modules/tsx/dist/cli.mjs');
/** The `zdm` command line, from source. */
export const cliSource = path.join(toolkitRoot, 'src/cli/index.ts');
