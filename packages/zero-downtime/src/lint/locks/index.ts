/** Which lock each statement takes, on which relations, and what that lock stops. */
export { statementLock } from './statement-lock';
export { blockedBy, modeOfPgLocks, strongerMode } from './modes';
