/** ATTACH PARTITION scans the partition unless a CHECK proves the bound; DETACH locks the parent. */
import type { AlterTableStmt, PartitionCmd, RangeVar } from 'libpg-query';
import { alterCommands, constraintOf, nodeOf, sqlText, tableText } from '../ast';
import type { AnalyzedStatement, Migration } from '../migration';
import { commandsOfType } from './alter-table';
import { hit, type Rule } from './rule';

/** A CHECK validated earlier in this file on the partition: the linter trusts it matches the bound. */
function validatedEarlier(
  partition: RangeVar,
  statement: AnalyzedStatement,
  migration: Migration,
): boolean {
  const name = (partition.relname ?? '').toLowerCase();
  return migration.statements.slice(0, statement.index).some((earlier) => {
    const alter = nodeOf<AlterTableStmt>(earlier.node, 'AlterTableStmt');
    if ((alter?.relation?.relname ?? '').toLowerCase() !== name) return false;
    return alterCommands(alter?.cmds).some(
      (command) =>
        command.subtype === 'AT_ValidateConstraint' ||
        (command.subtype === 'AT_AddConstraint' &&
          constraintOf(command)?.contype === 'CONSTR_CHECK' &&
          !constraintOf(command)?.skip_validation),
    );
  });
}

function partitionOf(command: { def?: unknown }): PartitionCmd | undefined {
  return nodeOf<PartitionCmd>(command.def, 'PartitionCmd');
}

export const attachPartitionScan: Rule = {
  id: 'attach-partition-scan',
  summary:
    'ATTACH PARTITION scans the partition under ACCESS EXCLUSIVE unless a valid CHECK constraint matches its bound.',
  check(statement, migration) {
    return commandsOfType(statement, migration, 'AT_AttachPartition').flatMap(
      ({ relation, command }) => {
        const partition = partitionOf(command);
        if (!partition?.name || migration.isNewTable(partition.name, statement.index)) return [];
        if (validatedEarlier(partition.name, statement, migration)) return [];
        const table = tableText(partition.name);
        const bound = partition.bound ? sqlText({ PartitionBoundSpec: partition.bound }) : '';
        return [
          hit(
            'warning',
            `Attaching ${table} to ${tableText(relation)} (SHARE UPDATE EXCLUSIVE on the parent, ` +
              `ACCESS EXCLUSIVE on ${table}) scans every row of ${table} to prove it fits ` +
              `${bound || 'the bound'}, unless a valid CHECK constraint on ${table} already ` +
              'implies the bound; a default partition is scanned too.',
            recipe(relation, partition.name, bound),
          ),
        ];
      },
    );
  },
};

function recipe(parent: RangeVar | undefined, partition: RangeVar, bound: string): string {
  const table = tableText(partition);
  const name = `${partition.relname ?? 'partition'}_bound`;
  return [
    '-- one migration: a CHECK matching the bound, without a scan',
    `ALTER TABLE ${table} ADD CONSTRAINT ${name} CHECK (<the bound as a condition>) NOT VALID;`,
    '-- next migration: validate (SHARE UPDATE EXCLUSIVE, reads and writes go on), then attach',
    `ALTER TABLE ${table} VALIDATE CONSTRAINT ${name};`,
    `ALTER TABLE ${tableText(parent)} ATTACH PARTITION ${table} ${bound};`,
    `ALTER TABLE ${table} DROP CONSTRAINT ${name};`,
  ].join('\n');
}

export const detachPartitionNonConcurrent: Rule = {
  id: 'detach-partition-non-concurrent',
  summary: 'DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the parent table.',
  check(statement, migration) {
    return commandsOfType(statement, migration, 'AT_DetachPartition').flatMap(
      ({ relation, command }) => {
        const partition = partitionOf(command);
        if (!partition?.name || partition.concurrent) return [];
        const parent = tableText(relation);
        return [
          hit(
            'error',
            `DETACH PARTITION without CONCURRENTLY holds an ACCESS EXCLUSIVE lock on ${parent}: ` +
              `every read and write of the whole partitioned table waits.`,
            [
              '-- its own migration (CONCURRENTLY cannot run in a transaction; SHARE UPDATE EXCLUSIVE):',
              `ALTER TABLE ${parent} DETACH PARTITION ${tableText(partition.name)} CONCURRENTLY;`,
            ].join('\n'),
          ),
        ];
      },
    );
  },
};
