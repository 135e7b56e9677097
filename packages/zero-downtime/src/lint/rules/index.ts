/**
 * Every rule of the migration linter, in the order docs/zero-downtime.md ("Dangerous operations") lists the
 * operations. Rule ids are stable: suppressions, CI logs and docs/migration-linter.md use them.
 */
import { addCheckValidated } from './add-check-validated';
import { addColumnNotNullWithoutDefault } from './add-column-not-null-without-default';
import { addColumnSerialOrIdentity } from './add-column-serial-or-identity';
import { addColumnStoredGenerated } from './add-column-stored-generated';
import { addColumnVolatileDefault } from './add-column-volatile-default';
import { addForeignKeyValidated } from './add-foreign-key-validated';
import { addPrimaryKey } from './add-primary-key';
import { addUniqueConstraint } from './add-unique-constraint';
import { alterColumnType } from './alter-column-type';
import { changeDefault } from './change-default';
import { concurrentIndexWithoutIfExists } from './concurrent-index-without-if-exists';
import { concurrentlyInTransaction } from './concurrently-in-transaction';
import { createIndexNonConcurrent } from './create-index-non-concurrent';
import { dropColumn } from './drop-column';
import { dropIndexNonConcurrent } from './drop-index-non-concurrent';
import { dropNotNull } from './drop-not-null';
import { dropTable } from './drop-table';
import { exclusiveTableOperation } from './exclusive-table-operation';
import { multipleLocksInTransaction } from './multiple-locks-in-transaction';
import { preferBigintKey } from './prefer-bigint-key';
import { preferJsonb } from './prefer-jsonb';
import { preferText } from './prefer-text';
import { preferTimestamptz } from './prefer-timestamptz';
import { renameColumn } from './rename-column';
import { renameTable } from './rename-table';
import { addExclusionConstraint } from './add-exclusion-constraint';
import { domainConstraintScan } from './domain-constraint-scan';
import { dropObject } from './drop-object';
import { endStateNotNullWithoutDefault } from './end-state-not-null-without-default';
import { enumValueUsedInTransaction } from './enum-value-used-in-transaction';
import { notJudged } from './not-judged';
import { attachPartitionScan, detachPartitionNonConcurrent } from './partitions';
import { changeOwner, revokePrivilege } from './privileges';
import { refreshMaterializedView } from './refresh-materialized-view';
import { renameObject } from './rename-object';
import type { Rule } from './rule';
import { setNotNull } from './set-not-null';
import { unbatchedDataChange } from './unbatched-data-change';
import { validateInSameTransaction } from './validate-in-same-transaction';

export type { Rule } from './rule';

export const rules: readonly Rule[] = [
  createIndexNonConcurrent,
  dropIndexNonConcurrent,
  concurrentIndexWithoutIfExists,
  concurrentlyInTransaction,
  addColumnNotNullWithoutDefault,
  addColumnVolatileDefault,
  addColumnSerialOrIdentity,
  addColumnStoredGenerated,
  alterColumnType,
  setNotNull,
  addForeignKeyValidated,
  addCheckValidated,
  validateInSameTransaction,
  addUniqueConstraint,
  addPrimaryKey,
  addExclusionConstraint,
  endStateNotNullWithoutDefault,
  renameColumn,
  renameTable,
  dropColumn,
  dropTable,
  dropObject,
  renameObject,
  dropNotNull,
  changeDefault,
  unbatchedDataChange,
  exclusiveTableOperation,
  multipleLocksInTransaction,
  refreshMaterializedView,
  attachPartitionScan,
  detachPartitionNonConcurrent,
  domainConstraintScan,
  enumValueUsedInTransaction,
  revokePrivilege,
  changeOwner,
  notJudged,
  preferJsonb,
  preferText,
  preferBigintKey,
  preferTimestamptz,
];

/** Findings the linter itself reports; they cannot be suppressed. */
export const linterRuleIds = ['sql-parse-error', 'suppression-without-reason', 'unknown-rule'];

export const ruleIds: ReadonlySet<string> = new Set(rules.map((rule) => rule.id));
