/**
 * Where the deploy tells what it does. The command line prints plain lines; tests collect them.
 * Output of the commands the deploy runs comes through `output`, prefixed by what produced it.
 */
export interface Reporter {
  step(name: string, message: string): void;
  info(message: string): void;
  warn(message: string): void;
  output(source: string, line: string): void;
}

export function consoleReporter(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Reporter {
  return {
    step: (name, message) => write(`deploy [${name}] ${message}`),
    info: (message) => write(`deploy: ${message}`),
    warn: (message) => write(`deploy: warning: ${message}`),
    output: (source, line) => write(`  ${source} | ${line}`),
  };
}

export const silentReporter: Reporter = {
  step: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  output: () => undefined,
};
