import { z } from 'zod';
import { router } from '../router/trpc.ts';
import { scopedProcedure } from '../router/auth.ts';
import { defineNativeMutation, defineNativeQuery } from '../router/twin-routes.ts';
import {
  bucketSchema,
  createBucketInputSchema,
  listObjectsInputSchema,
  objectRefInputSchema,
  storageObjectSchema,
} from '../schema/api/storage.ts';
import type { StorageBucket } from '../schema/db/types.ts';
import { toObjectWire } from './storage/storage-service.ts';

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
 * Object bytes travel as raw HTTP bodies, which trpc-to-openapi cannot carry: server/storage-routes.ts
 * serves PUT/GET/HEAD/DELETE and calls these procedures (auth and scopes included) through a caller.
 */
const bytesSchema = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'must be the raw request body');

const objects = router({
  list: listObjects,
  put: scopedProcedure('ai:generate')
    .input(objectRefInputSchema.extend({ content_type: z.string().min(1).max(255), body: bytesSchema }))
    .mutation(async ({ input, ctx }) =>
      toObjectWire(await ctx.services.storage.putObject(ctx.principal.projectId, input, input.content_type, input.body)),
    ),
  head: scopedProcedure('ai:read')
    .input(objectRefInputSchema)
    .query(async ({ input, ctx }) => toObjectWire(await ctx.services.storage.headObject(ctx.principal.projectId, input))),
  get: scopedProcedure('ai:read')
    .input(objectRefInputSchema)
    .query(async ({ input, ctx }) => {
      const { object, bytes } = await ctx.services.storage.getObject(ctx.principal.projectId, input);
      return { object: toObjectWire(object), bytes };
    }),
  delete: scopedProcedure('ai:generate')
    .input(objectRefInputSchema)
    .mutation(async ({ input, ctx }) => {
      await ctx.services.storage.deleteObject(ctx.principal.projectId, input);
      return { deleted: true as const };
    }),
});

export const storageRouter = router({ buckets: router({ create: createBucket, list: listBuckets }), objects });
