import fs from 'node:fs';
import path from 'node:path';
import { appliedNames, eachTestDatabase, query, runMigrate } from './support';

/**
 * Formatting an applied migration is not a change (the canonical checksum: parsed statements
 * for .sql, esbuild's output for .ts); a real change makes migrate refuse, once, naming the
 * file, status fail, and migrate:accept (development only) record the file as it is.
 */
const each = eachTestDatabase('basic');

const SQL = 'pre-deploy/20260101000000-create-widgets.sql';
const TS = 'pre-deploy/20260101000100-add-widgets-colour.ts';

// CI unset (an empty value counts as unset) unless a test sets it: the suite may run on CI.
const migrate = (args: string[], env: Record<string, string> = {}) =>
  runMigrate([...args, '--migrations-dir', each.folder().dir], each.db().url, { CI: '', ...env });

const read = (relative: string) => fs.readFileSync(path.join(each.folder().dir, relative), 'utf8');

/** What Prettier or an editor might do: other whitespace, quotes, comments, keyword case. */
function reformat(): void {
  each
    .folder()
    .write(
      SQL,
      read(SQL)
        .replace('-- A .sql migration: plain PostgreSQL, run in one transaction.\n', '')
        .replace('CREATE TABLE widgets (\n  id', '/* widgets */\ncreate table widgets (\n\n    id')
        .replace('name text NOT NULL\n);', 'name text not null);'),
    );
  each
    .folder()
    .write(
      TS,
      read(TS)
        .replace(
          "await queryInterface.addColumn('widgets', 'colour', { type: 'text', allowNull: true });",
          'await queryInterface.addColumn("widgets", "colour", {\n    type: "text",\n    allowNull: true,\n  });',
        )
        .replace('/** A .ts migration', '// reformatted\n/** A .ts migration'),
    );
}

async function recorded(): Promise<Array<{ name: string; checksum: string; canonical: string }>> {
  return query(each.db().url, 'SELECT name, checksum, canonical FROM zdm_migrations ORDER BY name');
}

describe('migration checksums', () => {
  it('a reformatted .sql and .ts migration still count as applied: status exits 0, migrate runs', async () => {
    expect((await migrate(['pre'])).code).toBe(0);
    const before = await recorded();
    expect(before.every((row) => /^[0-9a-f]{64}$/.test(row.canonical))).toBe(true);
    reformat();

    const status = await migrate(['status']);
    expect(status.output).not.toContain('CHANGED');
    expect(status.output).not.toContain('refuse');
    expect(status.code).toBe(0);

    const post = await migrate(['post']);
    expect(post.output).toContain('post-deploy: applied 1 migration(s)');
    expect(post.code).toBe(0);
    // The records took the new raw checksums silently; the canonical ones did not move.
    const after = await recorded();
    expect(after.slice(0, 2).map((row) => row.canonical)).toEqual(
      before.map((row) => row.canonical),
    );
    expect(after[0].checksum).not.toBe(before[0].checksum);
    expect(after[1].checksum).not.toBe(before[1].checksum);
  });

  it('a database recorded before canonical checksums gets the column and then accepts formatting', async () => {
    expect((await migrate(['pre'])).code).toBe(0);
    await query(each.db().url, 'ALTER TABLE zdm_migrations DROP COLUMN canonical');
    // Status reads the old table as it is.
    expect((await migrate(['status'])).code).toBe(0);

    expect((await migrate(['pre'])).output).toContain('pre-deploy: nothing pending');
    expect((await recorded()).every((row) => /^[0-9a-f]{64}$/.test(row.canonical))).toBe(true);

    reformat();
    expect((await migrate(['status'])).code).toBe(0);
    expect((await migrate(['post'])).code).toBe(0);
  });

  it('a real change: migrate refuses once naming the file, status exits 1 saying why, accept records it and migrate runs', async () => {
    expect((await migrate(['pre'])).code).toBe(0);
    each
      .folder()
      .write(SQL, read(SQL).replace('name text NOT NULL', 'name text NOT NULL, size int'));

    const refused = await migrate(['post']);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(
      '20260101000000-create-widgets.sql changed after it was applied',
    );
    expect(refused.output).toContain('npm run migrate:accept -- 20260101000000-create-widgets');
    expect(refused.output.split('changed after it was applied').length - 1).toBe(1);
    expect(await appliedNames(each.db().url)).not.toContain(
      '20260101000200-create-widgets-archive',
    );

    const status = await migrate(['status']);
    expect(status.output).toMatch(/create-widgets +CHANGED/);
    expect(status.output).toContain(
      'migrate:pre and migrate:post will refuse to run: 20260101000000-create-widgets changed',
    );
    expect(status.output).toContain('npm run migrate:accept -- 20260101000000-create-widgets');
    expect(status.code).toBe(1);

    const accepted = await migrate(['accept', '20260101000000-create-widgets']);
    expect(accepted.output).toContain('recorded the file as it is now; nothing was run');
    expect(accepted.code).toBe(0);

    expect((await migrate(['status'])).code).toBe(0);
    const post = await migrate(['post']);
    expect(post.output).toContain('post-deploy: applied 1 migration(s)');
    expect(post.code).toBe(0);
  });

  it('accept is refused under CI and in production, and changes nothing', async () => {
    expect((await migrate(['pre'])).code).toBe(0);
    each.folder().write(TS, read(TS).replace("'second', 'blue'", "'second', 'green'"));
    const before = await recorded();

    const underCi = await migrate(['accept', '20260101000100-add-widgets-colour'], { CI: 'true' });
    expect(underCi.code).toBe(1);
    expect(underCi.output).toContain('refuses to run with CI set');
    expect(underCi.output).toContain('[ACCEPT_REFUSED]');

    const inProduction = await migrate(['accept', '20260101000100-add-widgets-colour'], {
      NODE_ENV: 'production',
    });
    expect(inProduction.code).toBe(1);
    expect(inProduction.output).toContain('refuses to run with NODE_ENV=production set');

    expect(await recorded()).toEqual(before);
    expect((await migrate(['status'])).code).toBe(1);
  });

  it('accept of a name that is not an applied migration says so', async () => {
    const unknown = await migrate(['accept', '20990101000000-nothing']);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('no migration file has that name');
    const pending = await migrate(['accept', '20260101000000-create-widgets']);
    expect(pending.code).toBe(1);
    expect(pending.output).toContain('never applied');
  });
});
