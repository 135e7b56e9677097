import { Op, type Attributes, type Model, type ModelStatic, type WhereOptions } from 'sequelize';
import { z } from 'zod';
import { ApiError } from './api-error';

/**
 * Keyset pagination: the cursor is the last id of the previous page, opaque to clients.
 * Never OFFSET: its cost grows with the page number and it skips rows under concurrent writes.
 */
export const MAX_PAGE_SIZE = 100;
const MAX_BIGINT = 9223372036854775807n;

export const pageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(20)
    .meta({ description: `Items per page, 1 to ${MAX_PAGE_SIZE}` }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .meta({ description: 'The nextCursor of the previous page; absent for the first page' }),
});

/** A page of items as list routes answer it. */
export function pageOf(item: z.ZodType) {
  return z.object({
    data: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Give it as ?cursor= for the next page; null on the last page' }),
  });
}

/** One page of a table in id order: the rows after the cursor, and the next page's cursor. */
export async function findPage<M extends Model & { id: string }>(
  model: ModelStatic<M>,
  { limit, cursor }: { limit: number; cursor?: string },
): Promise<{ data: M[]; nextCursor: string | null }> {
  const where = cursor ? { id: { [Op.gt]: decodeCursor(cursor) } } : {};
  const rows = await model.findAll({
    where: where as WhereOptions<Attributes<M>>,
    order: [['id', 'ASC']],
    limit: limit + 1,
  });
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? encodeCursor(data[data.length - 1].id) : null };
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      after?: unknown;
    };
    // 19 digits may still exceed bigint, which PostgreSQL answers with an error (a 500).
    if (typeof after === 'string' && /^\d{1,19}$/.test(after) && BigInt(after) <= MAX_BIGINT) {
      return after;
    }
  } catch {
    // falls through to the error below
  }
  throw ApiError.validation([
    { field: 'query.cursor', message: 'cursor is not a cursor returned by this API' },
  ]);
}

const ID = /^[1-9]\d{0,18}$/;

export const idParams = z.object({
  id: z
    .string()
    // Only a 19-digit id can exceed bigint: the rest need no BigInt on every read.
    .refine((id) => ID.test(id) && (id.length < 19 || BigInt(id) <= MAX_BIGINT), {
      error: 'must be a whole number from 1 to 9223372036854775807',
    })
    .meta({ description: 'A whole number from 1 to 9223372036854775807', example: '1' }),
});
