import { z } from 'zod';

interface Parameter {
  name: string;
  in: string;
  example?: unknown;
}
interface Media {
  schema?: Record<string, unknown>;
  example?: unknown;
}
export interface ExampleSlots {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, Media> };
}

/** The first example a route's input schema carries (`.meta({ examples: [...] })`): the whole input, path and query included. */
export function inputExample(schema: unknown): Record<string, unknown> | undefined {
  if (!(schema instanceof z.ZodType)) return undefined;
  const [example] = (z.globalRegistry.get(schema)?.examples ?? []) as unknown[];
  return typeof example === 'object' && example !== null ? (example as Record<string, unknown>) : undefined;
}

/**
 * Puts an input example where OpenAPI readers look for it: each parameter's `example`, and the
 * body's, which is the example's other fields, or for a raw body route its `body`. The copy
 * trpc-to-openapi leaves on the body schema is dropped: one example per body.
 */
export function placeExample(operation: ExampleSlots, example: Record<string, unknown>, rawBody: boolean): void {
  const parameters = operation.parameters ?? [];
  for (const parameter of parameters) if (example[parameter.name] !== undefined) parameter.example = example[parameter.name];
  const content = operation.requestBody?.content ?? {};
  if (rawBody) {
    for (const media of Object.values(content)) if (example.body !== undefined) media.example = example.body;
    return;
  }
  const json = content['application/json'];
  if (!json) return;
  delete json.schema?.examples;
  const named = new Set(parameters.map((parameter) => parameter.name));
  json.example = Object.fromEntries(Object.entries(example).filter(([name]) => !named.has(name)));
}
