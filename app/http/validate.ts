import type { z } from 'zod';
import { ApiError, type FieldProblem } from './api-error';

/** Parses request input against a schema; failures become a 400 listing every failing field. */
export function validate<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  where: 'body' | 'query' | 'params',
): z.infer<Schema> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const details: FieldProblem[] = result.error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw ApiError.validation(details);
}
