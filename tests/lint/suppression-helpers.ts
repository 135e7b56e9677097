export { lintSql, parseSuppressions } from '../../app/zero-downtime/lint';
export { loadSqlParser as loadSqlParserForTests } from '../../app/zero-downtime/sql/split';
