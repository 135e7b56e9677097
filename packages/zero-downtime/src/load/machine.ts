import os from 'node:os';

/** One line naming the machine a measurement ran on, for reports. */
export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const memory = Math.round(os.totalmem() / 2 ** 30);
  return `${os.cpus().length} x ${cpu}, ${memory} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}
