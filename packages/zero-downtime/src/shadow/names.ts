import { objectName, quoteIdent } from '../patterns/identifiers';

/**
 * Every object a rebuild creates, named from the table: the shadow `<table>_zdm_new`, the
 * original after the swap `<table>_zdm_old`, and the mirror triggers and their functions.
 */
export interface RebuildNames {
  schema: string;
  table: string;
  shadow: string;
  old: string;
  forwardFunction: string;
  reverseFunction: string;
  truncateFunction: string;
}

export const FORWARD_TRIGGER = 'zdm_shadow_forward';
export const FORWARD_TRUNCATE_TRIGGER = 'zdm_shadow_forward_truncate';
export const REVERSE_TRIGGER = 'zdm_shadow_reverse';
export const REVERSE_TRUNCATE_TRIGGER = 'zdm_shadow_reverse_truncate';

export function rebuildNames(schema: string, table: string): RebuildNames {
  return {
    schema,
    table,
    shadow: objectName(table, 'zdm_new'),
    old: objectName(table, 'zdm_old'),
    forwardFunction: objectName('zdm_shadow', table, 'forward'),
    reverseFunction: objectName('zdm_shadow', table, 'reverse'),
    truncateFunction: objectName('zdm_shadow', table, 'truncate'),
  };
}

/** `"schema"."name"`. */
export function qualify(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

export function shadowIndexName(index: string): string {
  return objectName(index, 'zdm_new');
}

export function oldIndexName(index: string): string {
  return objectName(index, 'zdm_old');
}
