import { lintSql } from '../../src/lint';
import { splitSqlStatements } from '../../src/sql/split';
import { ruleCases } from './lint-cases';

/** Recipe lines that are SQL (not comments, not placeholders the user must fill in). */
function recipeSql(recipe: string): string | undefined {
  const sql = recipe
    .split('\n')
    .filter((line) => !line.trim().startsWith('--') && !line.startsWith('npm run '))
    .join('\n');
  return sql.includes('<') || !sql.trim() ? undefined : sql;
}

const unsafeSamples = ruleCases.flatMap(({ rule, unsafe }) =>
  unsafe.map((sample) => ({ rule, ...sample })),
);

describe('recipes', () => {
  it.each(unsafeSamples)(
    'are SQL PostgreSQL can parse: $rule for $sql',
    async ({ rule, sql, phase }) => {
      const findings = await lintSql(sql, { file: 'm.sql', phase });
      const recipe = findings.find((finding) => finding.rule === rule)?.recipe ?? '';
      const sqlPart = recipeSql(recipe);
      if (sqlPart !== undefined) await expect(splitSqlStatements(sqlPart)).resolves.toBeDefined();
    },
  );
});
