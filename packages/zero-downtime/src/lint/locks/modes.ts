/** PostgreSQL's lock modes: their order, what each stops in live traffic, and their names in pg_locks. */
import { lockModes, type LockMode } from '../types';

/** What a lock of each mode on a table stops, in words (PostgreSQL 15, table 13.2). */
export const blockedBy: Readonly<Record<LockMode, string>> = {
  'ACCESS SHARE': 'nothing of normal traffic (only ACCESS EXCLUSIVE schema changes wait)',
  'ROW SHARE': 'nothing of normal traffic (only EXCLUSIVE and ACCESS EXCLUSIVE locks wait)',
  'ROW EXCLUSIVE': 'nothing of normal traffic (schema changes that block writes wait)',
  'SHARE UPDATE EXCLUSIVE': 'other schema changes and VACUUM (reads and writes go on)',
  SHARE: 'writes (reads go on)',
  'SHARE ROW EXCLUSIVE': 'writes and other schema changes (reads go on)',
  EXCLUSIVE: 'writes and SELECT ... FOR UPDATE (plain reads go on)',
  'ACCESS EXCLUSIVE': 'reads and writes',
};

export function strongerMode(a: LockMode, b: LockMode): LockMode {
  return lockModes.indexOf(a) >= lockModes.indexOf(b) ? a : b;
}

/** 'ShareRowExclusiveLock' (pg_locks.mode) → 'SHARE ROW EXCLUSIVE'. */
export function modeOfPgLocks(mode: string): LockMode | undefined {
  const words = mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
  return lockModes.find((known) => known === words);
}

/** LOCK TABLE's numeric mode (libpg-query: 1 = ACCESS SHARE ... 8 = ACCESS EXCLUSIVE). */
export function modeOfLockStatement(mode: number | undefined): LockMode {
  return lockModes[(mode ?? 8) - 1] ?? 'ACCESS EXCLUSIVE';
}
