/**
 * The toolkit's one answer to "does this DEFAULT rewrite the table?", used by the linter (on the
 * parse tree) and by the addColumn helper and its generator (on the expression's text):
 * a constant, a stable expression (one value for the whole statement, e.g. now(): PostgreSQL
 * evaluates it once for ADD COLUMN and stores it) or possibly volatile (a value per row).
 * PostgreSQL 11+ adds a column with a non-volatile default without rewriting the table; a
 * volatile one rewrites it.
 */
import type { FuncCall, Node } from 'libpg-query';
import { names, nodeKind, nodeOf } from './ast';

export type Volatility = 'constant' | 'stable' | 'volatile';

const rank: Record<Volatility, number> = { constant: 0, stable: 1, volatile: 2 };

/** Functions known not to be volatile; anything else is treated as possibly volatile. */
export const stableFunctions: ReadonlySet<string> = new Set([
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'current_setting',
  'to_timestamp',
  'to_date',
  'make_date',
  'make_interval',
  'lower',
  'upper',
  'btrim',
  'length',
  'jsonb_build_object',
  'jsonb_build_array',
  'json_build_object',
  'json_build_array',
]);

export const knownVolatileFunctions: ReadonlySet<string> = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'setseed',
]);

function strongest(levels: Volatility[]): Volatility {
  return levels.reduce<Volatility>((a, b) => (rank[b] > rank[a] ? b : a), 'constant');
}

export function functionName(call: FuncCall): string {
  return (names(call.funcname).at(-1) ?? '').toLowerCase();
}

function ofFunction(call: FuncCall): Volatility {
  const own: Volatility = stableFunctions.has(functionName(call)) ? 'stable' : 'volatile';
  return strongest([own, ...(call.args ?? []).map(volatilityOf)]);
}

function ofChildren(...children: (Node | Node[] | undefined)[]): Volatility {
  return strongest(
    children
      .flat()
      .filter(Boolean)
      .map((child) => volatilityOf(child as Node)),
  );
}

export function volatilityOf(node: Node | undefined): Volatility {
  const fields = (kind: string) => nodeOf<Record<string, Node & Node[]>>(node, kind) ?? {};
  switch (nodeKind(node)) {
    case 'A_Const':
      return 'constant';
    case 'SQLValueFunction':
      return 'stable';
    case 'TypeCast':
      return ofChildren(fields('TypeCast').arg);
    case 'A_Expr':
      return ofChildren(fields('A_Expr').lexpr, fields('A_Expr').rexpr);
    case 'A_ArrayExpr':
      return ofChildren(fields('A_ArrayExpr').elements);
    case 'CoalesceExpr':
      return ofChildren(fields('CoalesceExpr').args);
    case 'FuncCall':
      return ofFunction(nodeOf<FuncCall>(node, 'FuncCall') ?? {});
    default:
      return 'volatile';
  }
}

/** The volatile functions an expression calls by name, for the message. */
export function volatileCalls(node: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const call = nodeOf<FuncCall>(value, 'FuncCall');
      if (call && !stableFunctions.has(functionName(call))) found.add(`${functionName(call)}()`);
      Object.values(value).forEach(visit);
    }
  };
  visit(node);
  return [...found];
}

/** SQL keywords that read the clock or the session once per statement. */
const stableKeywords =
  /\b(current_timestamp|current_time|current_date|localtimestamp|localtime|current_user|session_user|current_role|current_catalog|current_schema)\b/i;

const functionCall = /([a-z_][a-z0-9_$]*)\s*\(/gi;

/**
 * The same classification for an expression written as text (a generator flag, a helper
 * option): by the names it calls, with the same lists. Functions the lists do not know are
 * returned in `unknown`, for a caller with a database to look up (pg_proc.provolatile).
 */
export function volatilityOfText(expression: string): {
  volatility: Volatility;
  unknown: string[];
} {
  const calls = [...expression.matchAll(functionCall)].map((match) => match[1].toLowerCase());
  if (calls.some((name) => knownVolatileFunctions.has(name))) {
    return { volatility: 'volatile', unknown: [] };
  }
  const unknown = [...new Set(calls.filter((name) => !stableFunctions.has(name)))];
  if (unknown.length > 0) return { volatility: 'volatile', unknown };
  const stable = calls.length > 0 || stableKeywords.test(expression);
  return { volatility: stable ? 'stable' : 'constant', unknown: [] };
}
