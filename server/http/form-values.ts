import type { z } from 'zod';
import { ApiError } from '../../router/errors.ts';

interface ZodInternals {
  _zod: { def: { type: string; innerType?: ZodInternals; in?: ZodInternals; element?: ZodInternals; values?: unknown[] } };
}

/** The zod definition under optional, default, nullable and pipe wrappers. */
function baseDef(schema: z.ZodType): ZodInternals['_zod']['def'] {
  let current = schema as unknown as ZodInternals;
  for (;;) {
    const def = current._zod.def;
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return def;
  }
}

/**
 * A text value (a form field, a query parameter) as the JSON value its schema wants: booleans and
 * numbers from their text, objects, arrays and unions from JSON (falling back to the text, which
 * the schema then judges).
 */
function coerce(value: string, schema: z.ZodType): unknown {
  const def = baseDef(schema);
  // A literal is read as the kind of value it is: `stream=false` is the boolean false.
  const literalKind = def.type === 'literal' ? typeof def.values?.[0] : undefined;
  switch (literalKind === 'boolean' ? 'boolean' : literalKind === 'number' ? 'number' : def.type) {
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'number':
    case 'int':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    case 'string':
    case 'enum':
    case 'literal':
    case 'template_literal':
      return value;
    default:
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
  }
}

/**
 * Named text values (form fields, query parameters) as the fields of a procedure's JSON input,
 * each coerced to its type in the input schema; a name repeated, or written `name[]`, is a list.
 * A name the schema does not have is refused (`what` says where it was sent), never dropped.
 */
export function valuesAsInput(values: Iterable<[string, string[]]>, schema: z.ZodObject, what: string): Record<string, unknown> {
  const shape = schema.shape as Record<string, z.ZodType>;
  const input: Record<string, unknown> = {};
  for (const [sentName, texts] of values) {
    const listed = sentName.endsWith('[]');
    const name = listed ? sentName.slice(0, -2) : sentName;
    const fieldSchema = Object.hasOwn(shape, name) ? shape[name] : undefined;
    if (!fieldSchema) throw new ApiError('bad_request', `${name}: not a ${what} of this route`, { param: name });
    const element = baseDef(fieldSchema).element as z.ZodType | undefined;
    if (listed || texts.length > 1) input[name] = texts.map((text) => coerce(text, element ?? fieldSchema));
    else if (element) {
      // One value of a list field: a JSON list as sent (`["word"]`), else a list of that one value.
      const whole = coerce(texts[0]!, fieldSchema);
      input[name] = Array.isArray(whole) ? whole : [coerce(texts[0]!, element)];
    } else input[name] = coerce(texts[0]!, fieldSchema);
  }
  return input;
}
