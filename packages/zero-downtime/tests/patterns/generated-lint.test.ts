import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { starterRoot } from '../support/project';
import { silentLogger } from '../../src/core/logger';
import { patterns } from '../../src/generate/patterns';
import { lintMigrations } from '../../src/runner/lint-migrations';
import { createEmptyDatabase } from '../../src/testing';

const ROOT = starterRoot;

/**
 * `migrate:lint` runs a `.ts` migration in a throw-away database and lints the SQL it sends:
 * the migrations the generators write must come out clean, helpers included.
 */
test('migrations written by the pattern generators pass migrate:lint', async () => {
  const database = await createEmptyDatabase();
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-generated-lint-'));
  try {
    // Generated migrations import the toolkit by name, as in a real project.
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
    fs.mkdirSync(path.join(project, 'migrations', 'pre-deploy'), { recursive: true });
    fs.copyFileSync(
      path.join(ROOT, 'migrations', 'pre-deploy', '20260101000000-create-users.sql'),
      path.join(project, 'migrations', 'pre-deploy', '20260101000000-create-users.sql'),
    );
    const run = (name: string, args: string[], at: string) =>
      patterns
        .find((candidate) => candidate.name === name)!
        .run(args, {
          projectRoot: project,
          now: new Date(at),
        });
    run('rename-column', ['users', 'name', 'full_name'], '2026-06-01T00:00:00Z');
    run('add-index', ['users', 'created_at'], '2026-06-02T00:00:00Z');
    run(
      'add-column',
      ['users', 'score', 'integer', '--not-null', '--backfill', '0'],
      '2026-06-03T00:00:00Z',
    );
    run('drop-column', ['users', 'updated_at'], '2026-06-04T00:00:00Z');
    run('rename-column', ['users', 'name', 'full_name', '--cleanup'], '2026-07-01T00:00:00Z');
    const report = await lintMigrations({
      logger: silentLogger,
      migrationsDir: path.join(project, 'migrations'),
      databaseUrl: database.url,
    });
    expect(report.linted).toHaveLength(9);
    expect(
      report.findings.map((finding) => `${path.basename(finding.file)}: ${finding.rule}`),
    ).toEqual([]);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
    await database.drop();
  }
});
