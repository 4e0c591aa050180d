import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ValidationError, type ValidationIssue } from './errors.js';

/**
 * Any schema that implements Standard Schema: zod, valibot, arktype and others.
 * Eventfold validates commands, event payloads and messages through it.
 */
export type Schema<Input = unknown, Output = Input> = StandardSchemaV1<Input, Output>;

/** The type a schema accepts. */
export type SchemaInput<S extends Schema> = StandardSchemaV1.InferInput<S>;
/** The type a schema produces. */
export type SchemaOutput<S extends Schema> = StandardSchemaV1.InferOutput<S>;

function toPath(path: StandardSchemaV1.Issue['path']): (string | number)[] {
  if (path === undefined) return [];
  return path.map((segment) => {
    const key = typeof segment === 'object' ? segment.key : segment;
    return typeof key === 'number' ? key : String(key);
  });
}

/**
 * Validates `value` with a Standard Schema and returns the schema's output.
 *
 * @param what - names the value in the error message, e.g. `'Command "register-user"'`.
 * @param pathPrefix - prepended to every issue path, e.g. `['data']` for an event payload.
 * @throws {@link ValidationError} listing every issue the schema found.
 */
export async function validate<S extends Schema>(
  schema: S,
  value: unknown,
  what: string,
  pathPrefix: readonly (string | number)[] = [],
): Promise<SchemaOutput<S>> {
  return validateSoon(schema, value, what, pathPrefix);
}

/**
 * Like {@link validate}, but synchronous when the schema is: hot loops (decoding a page of
 * events) then pay no promise per value. Throws synchronously or rejects, as the schema does.
 * @internal
 */
export function validateSoon<S extends Schema>(
  schema: S,
  value: unknown,
  what: string | (() => string),
  pathPrefix: readonly (string | number)[],
): SchemaOutput<S> | Promise<SchemaOutput<S>> {
  const result = schema['~standard'].validate(value);
  return result instanceof Promise
    ? result.then((settled) => outputOf<S>(settled, what, pathPrefix))
    : outputOf<S>(result, what, pathPrefix);
}

function outputOf<S extends Schema>(
  result: StandardSchemaV1.Result<unknown>,
  what: string | (() => string),
  pathPrefix: readonly (string | number)[],
): SchemaOutput<S> {
  if (result.issues === undefined) return result.value as SchemaOutput<S>;
  const issues: ValidationIssue[] = result.issues.map((issue) => ({
    message: issue.message,
    path: [...pathPrefix, ...toPath(issue.path)],
  }));
  throw new ValidationError(`${typeof what === 'function' ? what() : what} is invalid`, issues);
}
