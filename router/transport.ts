import type { z } from 'zod';
import type { StorableResult } from '../providers/storage/storage-service.ts';
import type { CallContext, Services } from './context.ts';

/**
 * What a procedure declares about how it travels over HTTP beyond JSON in and JSON out.
 * The request pipeline (server/http/) serves JSON and every other declaration
 * generically, and server/openapi-document.ts documents them; no route is wired by hand.
 */

/** One uploaded file of a multipart body. */
export interface UploadedFile {
  data: Buffer;
  contentType: string;
  filename: string;
}

export interface MultipartDeclaration {
  /**
   * File parts by field name (`image[]` counts as `image`), each turned into fields of the JSON
   * input. Every other part is a field of the input schema, coerced to its type.
   */
  files: Record<string, { required: boolean; into: (file: UploadedFile) => Record<string, unknown> }>;
}

export interface RawAnswer<TOutput = never> {
  /**
   * Whether this request is answered with bytes rather than JSON, read from the request as sent
   * (body or query). Absent: always.
   */
  when?: (request: Record<string, unknown>) => boolean;
  /** The body and its headers, from the route's output (its native envelope removed). */
  body: (output: TOutput) => { bytes: Buffer | string | undefined; contentType: string; headers?: Record<string, string> };
  /** The answer's content types, for the OpenAPI document. */
  contentTypes: string[];
}

export interface RawBody {
  /** The request body as sent (any content type) turned into fields of the input. */
  into: (body: Buffer, contentType: string) => Record<string, unknown>;
  /** The largest body read, from configuration; larger ones answer 413 unread. */
  maxBytes: (config: Services['config']) => number;
}

export type Framing = 'named-events' | 'data-then-done';

export interface TransportDeclaration {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  path: `/${string}`;
  /** The path parameter that may contain `/` (it must be the last one). */
  greedyParam?: string;
  /** The procedure's input schema: multipart fields are coerced to it. */
  input: z.ZodObject;
  multipart?: MultipartDeclaration;
  rawBody?: RawBody;
  rawAnswer?: RawAnswer<any>;
  /** A subscription serving `stream: true` requests on this path as server-sent events. */
  sse?: { framing: Framing };
  /** For routes trpc-to-openapi does not document (no `openapi` meta): what OpenAPI shows. */
  docs?: { summary: string; description?: string; tag: string; jsonOutput?: z.ZodType };
}

/** How a primitive runs in the background when a request says `async: true`. */
export interface AsyncSupport {
  /** The operation's `kind`, e.g. `responses`. */
  kind: string;
  /** Usage and model to record on the operation, read from the route's output. */
  usageOf?: (output: unknown) => Record<string, unknown> | null;
  modelOf?: (output: unknown) => string | null;
  /** What must hold before the operation is accepted (model exists, the balance covers it): throws otherwise. */
  precheck?: (input: unknown, ctx: CallContext) => Promise<void>;
}

/** What the worker needs of a route beyond calling it: how it records and stores the result. */
export interface BackgroundRoute extends AsyncSupport {
  /** How a result is written to `result_destination` (binary results as their own bytes). */
  storable: (output: unknown) => StorableResult;
}

/**
 * A route that queues CPU-heavy local work (offline models, parsing, chunking) on the bounded
 * local pools, where each project has a bounded share of the line. `always`: the work is local
 * whatever the request, so the pipeline admits it before reading its body with
 * `services.providers.admitHeavyWork(projectId)` (a 503 with Retry-After past the project's share,
 * costing the headers only) and ends the admission when the answer ends. `local-model`: only
 * when the requested model is a local one, which is known only from the body; the pool refuses
 * past the share once the body is read (refusing before it would also refuse upstream calls).
 */
export type HeavyWork = 'always' | 'local-model';

/** Whether a procedure answers in the native envelope `{status:'ok',data}` or bare (OpenAI shapes). */
export type Envelope = 'native' | 'none';
