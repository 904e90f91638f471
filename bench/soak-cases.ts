import { documentedRoutes, exampleRequest, fillPath, jsonBodyOf, resolveSchema, typesOf } from '../dashboard/examples.js';

/** One kind of request the soak sends over and over. */
export interface SoakCase {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer | (() => FormData);
  /** The statuses this request may get; anything else is reported, a 5xx fails the soak. */
  expect: number[];
  /** Also expected: a 4xx whose error names this field (`*`: any field). */
  orNaming?: string;
  /** The field an expected status must name: the one the request got wrong. */
  naming?: string;
}

type OpenApiDocument = Parameters<typeof documentedRoutes>[0];
type Route = ReturnType<typeof documentedRoutes>[number];
type Schema = Record<string, unknown>;

const succeeded = [200, 201, 202, 204];
const wrongValues = [
  { value: 12345, type: 'number' },
  { value: true, type: 'boolean' },
  { value: { unexpected: true }, type: 'object' },
  { value: 'text', type: 'string' },
];

/** A value of a JSON type the schema does not admit; none when it says nothing of its type. */
function wrongValueFor(document: OpenApiDocument, schema: Schema) {
  const types = typesOf(document, schema) as string[];
  if (types.length === 0) return undefined;
  const admitted = new Set(types.flatMap((type) => (type === 'integer' || type === 'number' ? ['integer', 'number'] : [type])));
  return wrongValues.find((candidate) => !admitted.has(candidate.type));
}

/** The multipart form of an example: file parts as a few bytes of text, the example's other fields as they are. */
function formOf(schema: Schema, example: Record<string, unknown>): () => FormData {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  return () => {
    const form = new FormData();
    for (const [name, property] of Object.entries(properties)) {
      const value = example[name];
      if (property.format === 'binary') form.append(name, new Blob(['The soak uploads this text.\n'], { type: 'text/plain' }), 'soak.txt');
      else if (value !== undefined && typeof value !== 'object') form.append(name, String(value));
    }
    return form;
  };
}

/** Another model the server has for what a model does (one of another provider), if any. */
export type ModelElsewhere = (model: string) => string | undefined;

interface Target {
  method: string;
  path: string;
}
type Expectation = Pick<SoakCase, 'expect' | 'orNaming'>;
const json = (value: Record<string, unknown>) => JSON.stringify(value);

/**
 * The example as the document carries it, also on the model `elsewhere` names for the example's,
 * and streamed and as multipart where the route documents those. In the background only on the
 * other provider's model: queued in a loop, work on this machine piles up faster than it runs,
 * and the soak would measure the local queue's limit (503) instead of the server.
 */
function validCases(document: OpenApiDocument, route: Route, at: Target, body: Record<string, unknown> | undefined, valid: Expectation, elsewhere: ModelElsewhere): SoakCase[] {
  const cases: SoakCase[] = [{ name: `${route.id} example`, ...at, ...(body ? { body: json(body) } : {}), ...valid }];
  if (!body) return cases;
  const responses = route.operation.responses ?? {};
  const otherModel = typeof body.model === 'string' ? elsewhere(body.model) : undefined;
  for (const model of [undefined, ...(otherModel ? [otherModel] : [])]) {
    const on = model ? { ...body, model } : body;
    const suffix = model ? ` on ${model}` : '';
    if (model) cases.push({ name: `${route.id} example${suffix}`, ...at, body: json(on), ...valid });
    if (responses['200']?.content?.['text/event-stream']) cases.push({ name: `${route.id} streamed${suffix}`, ...at, body: json({ ...on, stream: true }), ...valid });
    if (model && responses['202']) cases.push({ name: `${route.id} in the background${suffix}`, ...at, body: json({ ...on, async: true }), expect: [202], orNaming: 'model' });
  }
  const multipart = route.operation.requestBody?.content?.['multipart/form-data'];
  if (multipart) cases.push({ name: `${route.id} as multipart`, ...at, body: formOf(resolveSchema(document, multipart.schema), body), expect: valid.expect, orNaming: '*' });
  return cases;
}

/**
 * What the schema implies is invalid, each a 400 naming the field: the body without its first
 * required field, its first typed field as a value of another type, a numeric or enumerated
 * query parameter as text.
 */
function invalidCases(document: OpenApiDocument, route: Route, at: Target, body: Record<string, unknown> | undefined, withQuery: (name: string, value: string) => Target): SoakCase[] {
  const cases: SoakCase[] = [];
  const schema = resolveSchema(document, jsonBodyOf(route)?.schema) as Schema;
  const [required] = (schema.required ?? []) as string[];
  if (body && required) {
    const { [required]: _left, ...rest } = body;
    cases.push({ name: `${route.id} without ${required}`, ...at, body: json(rest), expect: [400], naming: required });
  }
  const typed = Object.entries((schema.properties ?? {}) as Record<string, Schema>)
    .map(([name, property]) => ({ name, wrong: wrongValueFor(document, property) }))
    .find((property) => property.wrong);
  if (body && typed?.wrong) cases.push({ name: `${route.id} with ${typed.name} as a ${typed.wrong.type}`, ...at, body: json({ ...body, [typed.name]: typed.wrong.value }), expect: [400], naming: typed.name });
  const checkedQuery = (route.operation.parameters ?? []).find(
    (parameter: { in: string; schema?: Schema }) =>
      parameter.in === 'query' && ((typesOf(document, parameter.schema) as string[]).some((type) => type === 'integer' || type === 'number') || resolveSchema(document, parameter.schema).enum),
  );
  if (checkedQuery) cases.push({ name: `${route.id} with ${checkedQuery.name} not valid`, ...withQuery(checkedQuery.name, 'not-valid'), expect: [400], naming: checkedQuery.name });
  return cases;
}

/**
 * The requests the soak derives from one documented route. A valid one may also meet a 404 (its
 * path names something the mix deleted or never made), a 409 (it made the same thing before),
 * or a 4xx naming `model` (no provider here serves it).
 */
function casesOf(document: OpenApiDocument, route: Route, known: Record<string, string>, elsewhere: ModelElsewhere): SoakCase[] {
  const example = exampleRequest(document, route, known) as { path: Record<string, string>; query: Record<string, string>; body?: Record<string, unknown>; raw?: string; contentType?: string };
  const url = (query: Record<string, string>) => fillPath(route.path, example.path) + (Object.keys(query).length ? `?${new URLSearchParams(query)}` : '');
  const at = { method: route.method, path: url(example.query) };
  const valid = { expect: [...succeeded, 409, ...(route.path.includes('{') ? [404] : [])], orNaming: 'model' };
  if (example.raw !== undefined) return [{ name: `${route.id} example`, ...at, headers: { 'content-type': example.contentType ?? 'application/octet-stream' }, body: Buffer.from(example.raw), ...valid }];
  const withQuery = (name: string, value: string) => ({ method: route.method, path: url({ ...example.query, [name]: value }) });
  return [...validCases(document, route, at, example.body, valid, elsewhere), ...invalidCases(document, route, at, example.body, withQuery)];
}

/** Every documented route's requests; `known` names the ids of things the soak made (by path parameter). */
export function derivedCases(document: OpenApiDocument, known: Record<string, string>, elsewhere: ModelElsewhere = () => undefined): SoakCase[] {
  return documentedRoutes(document).flatMap((route) => casesOf(document, route, known, elsewhere));
}

/** The field an error answer names, on either tree. */
function fieldNamed(text: string): string | undefined {
  try {
    const error = (JSON.parse(text) as { error?: { param?: string; details?: { param?: string; issues?: { field?: string }[] } } }).error;
    return error?.param ?? error?.details?.param ?? error?.details?.issues?.[0]?.field ?? undefined;
  } catch {
    return undefined;
  }
}

/** Whether an answer is one the case expects. */
export function answeredAsExpected(entry: SoakCase, status: number, text: string): boolean {
  if (entry.expect.includes(status)) return entry.naming === undefined || fieldNamed(text) === entry.naming;
  if (!entry.orNaming || status < 400 || status >= 500) return false;
  const field = fieldNamed(text);
  return entry.orNaming === '*' ? field !== undefined : field === entry.orNaming;
}
