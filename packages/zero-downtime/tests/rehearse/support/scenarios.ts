import fs from 'node:fs';
import path from 'node:path';
import { addColumnGenerator } from '../../../src/generate/patterns/add-column';
import { createSourceRepo, type SourceRepo } from '../../deploy/support/fixture';

/**
 * The two changes a rehearsal must tell apart, each one commit on top of a throw-away copy of
 * this repository (the base):
 * - good: users.nickname, added the expand/contract way with the toolkit's generator (pre-deploy
 *   nullable column; post-deploy backfill and NOT NULL), the model writing it on every insert;
 * - bad: a pre-deploy migration dropping users.name, which the base version still reads.
 * A third change is refused before it migrates anything: a unique index the seeded rows break.
 */
export function repositoryWithBase(): SourceRepo {
  return createSourceRepo();
}

export function commitGoodChange(repo: SourceRepo): string {
  addColumnGenerator.run(['users', 'nickname', 'text', '--not-null', '--backfill', 'name'], {
    projectRoot: repo.dir,
    now: new Date(Date.UTC(2027, 0, 1)),
  });
  const model = edit(repo, 'app/models/user.ts', [
    [
      '  declare name: string;\n',
      '  declare name: string;\n  declare nickname: CreationOptional<string>;\n',
    ],
    [
      '        name: { type: DataTypes.TEXT, allowNull: false },\n',
      '        name: { type: DataTypes.TEXT, allowNull: false },\n' +
        '        nickname: { type: DataTypes.TEXT, allowNull: true },\n',
    ],
    [
      "{ sequelize, tableName: 'users', underscored: true },",
      "{\n        sequelize,\n        tableName: 'users',\n        underscored: true,\n" +
        '        // Every insert writes nickname, so post-deploy can make it NOT NULL.\n' +
        '        hooks: {\n          beforeCreate: (user) => {\n' +
        '            user.nickname ??= user.name;\n          },\n        },\n      },',
    ],
  ]);
  const routes = edit(repo, 'app/routes/users.ts', [
    [
      'const createBody = z.object({ email, name }).strict();',
      'const createBody = z.object({ email, name, nickname: name.optional() }).strict();',
    ],
    [
      '.object({ email: email.optional(), name: name.optional() })',
      '.object({ email: email.optional(), name: name.optional(), nickname: name.optional() })',
    ],
  ]);
  return repo.commit(
    'users.nickname: nullable in pre-deploy, backfilled and NOT NULL in post-deploy',
    {
      'app/models/user.ts': model,
      'app/routes/users.ts': routes,
    },
  );
}

export function commitBadChange(repo: SourceRepo): string {
  const model = edit(repo, 'app/models/user.ts', [
    ['  declare name: string;\n', ''],
    ['        name: { type: DataTypes.TEXT, allowNull: false },\n', ''],
  ]);
  return repo.commit('drop users.name in pre-deploy (breaks the version still serving)', {
    'app/models/user.ts': model,
    'migrations/pre-deploy/20270101000000-drop-users-name.sql':
      '-- zdm-ignore drop-column: deliberately unsafe, to prove the rehearsal catches it\n' +
      'ALTER TABLE users DROP COLUMN name;\n',
  });
}

/**
 * A pre-deploy unique index on users.created_at: the rehearsal seeds every row with the same
 * timestamp, so the deploy's data check finds the duplicates and refuses.
 */
export function commitChangeRefusedByDataCheck(repo: SourceRepo): string {
  return repo.commit('unique users.created_at in pre-deploy (the seeded rows share one)', {
    'migrations/pre-deploy/20270101000000-unique-users-created-at.sql':
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_key ON users (created_at);\n',
  });
}

/** The file with each replacement made; throws when a text to replace is not there. */
function edit(repo: SourceRepo, file: string, replacements: [string, string][]): string {
  let text = fs.readFileSync(path.join(repo.dir, file), 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return text;
}
