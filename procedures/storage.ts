import { z } from 'zod';
import { router } from '../router/trpc.ts';
import { scoped } from '../router/auth.ts';
import { baseProcedure } from '../router/trpc.ts';
import { defineNativeMutation, defineNativeQuery, nativeEnvelope } from '../router/primitive.ts';
import type { Scope } from '../accounts/scopes.ts';
import type { TransportDeclaration } from '../router/transport.ts';
import {
  bucketSchema,
  createBucketInputSchema,
  listObjectsInputSchema,
  objectRefInputSchema,
  putObjectExample,
  storageObjectSchema,
} from '../schema/api/storage.ts';
import type { StorageBucket } from '../schema/db/types.ts';
import { toObjectWire } from '../providers/storage/storage-service.ts';

const toBucketWire = (bucket: StorageBucket) => ({ id: bucket.id, name: bucket.name, created_at: bucket.created_at.toISOString() });

const createBucket = defineNativeMutation({
  scope: 'ai:generate',
  tag: 'Storage',
  errorStatuses: [400, 401, 403, 409, 429],
  run: async (name: string, ctx) => toBucketWire(await ctx.services.storage.createBucket(ctx.principal.projectId, name)),
  route: {
    path: '/infra/storage/buckets',
    summary: 'Create bucket',
    description: "A bucket of the caller's project, for storage_ref inputs and result_destination outputs.",
    input: createBucketInputSchema,
    toArgs: (input) => input.name,
    output: bucketSchema,
    toOutput: (bucket) => bucket,
  },
});

const listBuckets = defineNativeQuery({
  scope: 'ai:read',
  tag: 'Storage',
  errorStatuses: [401, 403, 429],
  run: async (_args: void, ctx) => (await ctx.services.storage.listBuckets(ctx.principal.projectId)).map(toBucketWire),
  route: {
    path: '/infra/storage/buckets',
    summary: 'List buckets',
    input: z.object({}),
    toArgs: () => undefined,
    output: z.array(bucketSchema),
    toOutput: (buckets) => buckets,
  },
});

const listObjects = defineNativeQuery({
  scope: 'ai:read',
  tag: 'Storage',
  errorStatuses: [400, 401, 403, 404, 429],
  run: async (query: z.output<typeof listObjectsInputSchema>, ctx) =>
    (
      await ctx.services.storage.listObjects(ctx.principal.projectId, {
        bucketId: query.bucket_id,
        prefix: query.prefix,
        after: query.after,
        limit: query.limit,
      })
    ).map(toObjectWire),
  route: {
    path: '/infra/storage/buckets/{bucket_id}/objects',
    summary: 'List objects',
    description: 'Objects in key order, optionally those starting with prefix; page with after.',
    input: listObjectsInputSchema,
    toArgs: (input) => input,
    output: z.array(storageObjectSchema),
    toOutput: (objects) => objects,
  },
});

/**
 * Object bytes travel as raw HTTP bodies, which trpc-to-openapi cannot carry: each procedure
 * declares its transport (raw body in, bytes out) and the generic transport layer serves it.
 */
const bytesSchema = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'must be the raw request body');
const objectPath = '/infra/storage/buckets/{bucket_id}/objects/{key}' as const;
const objectErrors = [400, 401, 403, 404, 429];

type ObjectWire = ReturnType<typeof toObjectWire>;

/** The object's bytes (or, for HEAD, none) with the headers of a GET. */
const objectAnswer = (withBody: boolean) => ({
  body: ({ object, bytes }: { object: ObjectWire; bytes?: Uint8Array }) => ({
    bytes: withBody && bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined,
    contentType: object.content_type,
    headers: {
      'Content-Length': String(object.size),
      ETag: `"${object.sha256}"`,
      'Last-Modified': new Date(object.updated_at).toUTCString(),
      // Served as stored, never reinterpreted: a stored HTML file stays inert bytes.
      'X-Content-Type-Options': 'nosniff',
    },
  }),
  contentTypes: ['*/*'],
});

function objectRoute<TInput extends z.ZodObject>(
  scope: Scope,
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE',
  input: TInput,
  transport: Partial<TransportDeclaration> & { docs: NonNullable<TransportDeclaration['docs']> },
) {
  return baseProcedure
    .meta({
      scope,
      errorStatuses: method === 'PUT' ? [...objectErrors, 413] : objectErrors,
      envelope: method === 'PUT' || method === 'DELETE' ? 'native' : 'none',
      transport: { method, path: objectPath, greedyParam: 'key', input, ...transport },
    })
    .input(input);
}

const putInput = objectRefInputSchema.extend({ content_type: z.string().min(1).max(255), body: bytesSchema }).meta({ examples: [putObjectExample] });

const objects = router({
  list: listObjects,
  put: objectRoute('ai:generate', 'PUT', putInput, {
    rawBody: { into: (body, contentType) => ({ body, content_type: contentType }), maxBytes: (config) => config.storage.maxObjectBytes },
    docs: { summary: 'Put object', description: 'The raw request body becomes the object; its Content-Type is kept.', tag: 'Storage', jsonOutput: nativeEnvelope(storageObjectSchema) },
  }).mutation(
    scoped('ai:generate', async ({ input, ctx }) => ({
      status: 'ok' as const,
      data: toObjectWire(await ctx.services.storage.putObject(ctx.principal.projectId, input, input.content_type, input.body)),
    })),
  ),
  head: objectRoute('ai:read', 'HEAD', objectRefInputSchema, {
    rawAnswer: objectAnswer(false),
    docs: { summary: 'Head object', description: 'The headers of a GET, without the body.', tag: 'Storage' },
  }).query(scoped('ai:read', async ({ input, ctx }) => ({ object: toObjectWire(await ctx.services.storage.headObject(ctx.principal.projectId, input)) }))),
  get: objectRoute('ai:read', 'GET', objectRefInputSchema, {
    rawAnswer: objectAnswer(true),
    docs: { summary: 'Get object', description: 'The object bytes with their Content-Type, ETag (sha256) and Last-Modified.', tag: 'Storage' },
  }).query(
    scoped('ai:read', async ({ input, ctx }) => {
      const { object, bytes } = await ctx.services.storage.getObject(ctx.principal.projectId, input);
      return { object: toObjectWire(object), bytes };
    }),
  ),
  delete: objectRoute('ai:generate', 'DELETE', objectRefInputSchema, {
    docs: { summary: 'Delete object', tag: 'Storage', jsonOutput: nativeEnvelope(z.object({ deleted: z.literal(true) })) },
  }).mutation(
    scoped('ai:generate', async ({ input, ctx }) => {
      await ctx.services.storage.deleteObject(ctx.principal.projectId, input);
      return { status: 'ok' as const, data: { deleted: true as const } };
    }),
  ),
});

export const storageRouter = router({ buckets: router({ create: createBucket, list: listBuckets }), objects });
