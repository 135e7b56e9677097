/**
 * Tests on real infrastructure (a real OpenSSH server and local users as hosts, ...):
 * `npm run test:infra`. They need root and change the machine (users, packages), so they are
 * not part of `npm test`. One file at a time: each one starts servers of its own.
 *
 * @type {import('jest').Config}
 */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  maxWorkers: 1,
  testTimeout: 900_000,
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
};
