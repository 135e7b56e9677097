/**
 * The expand/contract pattern generators of `npm run generate -- <pattern> ...`: each writes the
 * pre-deploy and post-deploy migrations of its pattern and returns the application change to
 * make between them.
 */
import { addColumnGenerator } from './add-column';
import { addForeignKeyGenerator } from './add-foreign-key';
import { addIndexGenerator } from './add-index';
import { addNotNullGenerator } from './add-not-null';
import { changeTypeGenerator } from './change-type';
import { dropColumnGenerator } from './drop-column';
import { renameColumnGenerator } from './rename-column';
import { renameTableGenerator } from './rename-table';
import { shadowTableGenerator } from './shadow-table';
import type { PatternGenerator } from './support';

export const patterns: PatternGenerator[] = [
  addColumnGenerator,
  addNotNullGenerator,
  dropColumnGenerator,
  renameColumnGenerator,
  changeTypeGenerator,
  addIndexGenerator,
  addForeignKeyGenerator,
  renameTableGenerator,
  shadowTableGenerator,
];

export type { PatternGenerator } from './support';
