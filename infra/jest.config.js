/**
 * `npm run test:infra`: the deploy targets and the container files on real infrastructure: a
 * private OpenSSH server with local users as hosts, and a private Docker engine. Separate from
 * the root config: they need root and change the machine (users, packages), have no embedded
 * PostgreSQL global setup, run one file at a time (each starts servers of its own; one build
 * at a time on a small machine), and have timeouts sized for a cold run that installs packages
 * and builds base images.
 *
 * @type {import('jest').Config}
 */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  rootDir: __dirname,
  // The toolkit's own real-infrastructure tests (the ssh target on a real sshd) run here too.
  roots: ['<rootDir>', '<rootDir>/../packages/zero-downtime/tests/infra'],
  testMatch: ['**/*.test.ts'],
  maxWorkers: 1,
  testTimeout: 900_000,
  slowTestThreshold: 120,
  verbose: true,
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
};
