// Example requests for the routes of /openapi.json, read from the document itself: each
// parameter's and body's `example` (from the input schema's metadata), or, where a route carries
// none, a value built from its schema. The API Console prefills its forms with them and the soak
// benchmark sends them; test/dashboard/console-examples.test.ts sends each one to the server.

const methods = ['get', 'post', 'put', 'delete', 'head'];

/** Every documented route in document order: `{ id: 'POST /path', method, path, operation, tag }`. */
export function documentedRoutes(document) {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const operation = item[method];
      return operation ? [{ id: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, operation, tag: operation.tags?.[0] ?? 'Other' }] : [];
    }),
  );
}

/** A schema with its `$ref` followed into the document's components. */
export function resolveSchema(document, schema) {
  let resolved = schema ?? {};
  while (typeof resolved.$ref === 'string') {
    resolved = resolved.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node, key) => node?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], document) ?? {};
  }
  return resolved;
}

/** The JSON types a schema admits: its `type`, or its members' for anyOf/oneOf; empty when it says nothing. */
export function typesOf(document, schema) {
  const resolved = resolveSchema(document, schema);
  if (resolved.type) return [resolved.type].flat();
  if (resolved.const !== undefined) return [resolved.const === null ? 'null' : Array.isArray(resolved.const) ? 'array' : typeof resolved.const];
  const members = resolved.anyOf ?? resolved.oneOf;
  return members ? [...new Set(members.flatMap((member) => typesOf(document, member)))] : [];
}

function sampleString(schema) {
  if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com/';
  if (schema.format === 'date-time') return new Date(0).toISOString();
  if (schema.format === 'email') return 'someone@example.com';
  return 'example'.padEnd(schema.minLength ?? 0, 'x');
}

/** A value the schema accepts, from what it says of itself: its example, default, const or first enum value, else built by type. */
export function sampleOf(document, schema, depth = 0) {
  const resolved = resolveSchema(document, schema);
  if (resolved.examples?.length) return resolved.examples[0];
  for (const key of ['example', 'default', 'const']) if (resolved[key] !== undefined) return resolved[key];
  if (resolved.enum?.length) return resolved.enum[0];
  const members = resolved.anyOf ?? resolved.oneOf;
  if (members) return sampleOf(document, members.find((member) => !typesOf(document, member).includes('null')) ?? members[0], depth + 1);
  if (resolved.allOf) return Object.assign({}, ...resolved.allOf.map((member) => sampleOf(document, member, depth + 1)));
  const type = [resolved.type].flat().find((candidate) => candidate !== 'null');
  if (depth > 8) return undefined;
  switch (type) {
    case 'object':
      return Object.fromEntries((resolved.required ?? []).map((name) => [name, sampleOf(document, resolved.properties?.[name], depth + 1)]));
    case 'array':
      return Array.from({ length: resolved.minItems ?? 0 }, () => sampleOf(document, resolved.items, depth + 1));
    case 'string':
      return sampleString(resolved);
    case 'integer':
    case 'number':
      return resolved.minimum ?? (resolved.exclusiveMinimum === undefined ? 1 : resolved.exclusiveMinimum + 1);
    case 'boolean':
      return false;
    default:
      return resolved.type === 'null' ? null : undefined;
  }
}

/** The JSON body a route documents, if it takes one. */
export function jsonBodyOf(route) {
  return route.operation.requestBody?.content?.['application/json'];
}

/**
 * A working request for a route: `{ path, query, body }`, or for a raw upload `{ path, query,
 * raw, contentType }`. Path parameters named in `known` take those values (ids of things the
 * caller's project has); the others, and the query, take their documented examples.
 */
export function exampleRequest(document, route, known = {}) {
  const path = {};
  const query = {};
  for (const parameter of route.operation.parameters ?? []) {
    const documented = parameter.example ?? parameter.schema?.examples?.[0];
    if (parameter.in === 'path') path[parameter.name] = String(known[parameter.name] ?? documented ?? sampleOf(document, parameter.schema));
    else if (parameter.in === 'query' && documented !== undefined) query[parameter.name] = String(documented);
  }
  const json = jsonBodyOf(route);
  if (json) return { path, query, body: json.example ?? sampleOf(document, json.schema) ?? {} };
  const [raw] = Object.values(route.operation.requestBody?.content ?? {});
  if (raw) return { path, query, raw: typeof raw.example === 'string' ? raw.example : '', contentType: typeof raw.example === 'string' ? 'text/plain' : 'application/octet-stream' };
  return { path, query };
}

/** A path with its parameters filled in, each percent-encoded whole (a model id or object key may hold slashes). */
export function fillPath(path, values) {
  return path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(String(values[name])));
}
