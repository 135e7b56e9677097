/**
 * `npm run test:infra`: the Docker image and the compose stack on a real (private) Docker
 * engine. Separate from the root config: no embedded PostgreSQL global setup, one file at a
 * time (one engine, one build at a time on a small machine), and timeouts sized for a cold
 * run that installs packages and builds base images.
 * @type {import('jest').Config}
 */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  maxWorkers: 1,
  testTimeout: 10 * 60_000,
  slowTestThreshold: 120,
  verbose: true,
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
};
