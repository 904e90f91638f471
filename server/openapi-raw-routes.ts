import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { storageObjectSchema } from '../schema/api/storage.ts';
import { nativeEnvelope } from '../router/twin-routes.ts';

const objectParameters = [
  { in: 'path' as const, name: 'bucket_id', required: true, schema: { type: 'string' as const } },
  {
    in: 'path' as const,
    name: 'key',
    required: true,
    description: 'Object key; may contain "/". No empty, "." or ".." segments.',
    schema: { type: 'string' as const },
  },
];

const errors = (statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: `Error (${status})`, content: { 'application/json': { schema: { $ref: '#/components/schemas/NativeError' } } } },
    ]),
  );

const security = (scope: string) => [{ ApiKey: [scope] }];

/**
 * Routes served by express rather than trpc-to-openapi (raw bytes in or out), documented by hand
 * beside the generated ones. Server-sent events are documented on the JSON routes they share.
 */
export const rawRoutePaths: ZodOpenApiPathsObject = {
  '/infra/storage/buckets/{bucket_id}/objects/{key}': {
    put: {
      operationId: 'infra-storage-objects-put',
      summary: 'Put object',
      description: 'The raw request body becomes the object; its Content-Type is kept. Requires scope `ai:generate`.',
      tags: ['Storage'],
      security: security('ai:generate'),
      parameters: objectParameters,
      requestBody: { required: true, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
      responses: {
        '200': { description: 'Stored', content: { 'application/json': { schema: nativeEnvelope(storageObjectSchema) } } },
        ...errors([400, 401, 403, 404, 413, 429]),
      },
    },
    get: {
      operationId: 'infra-storage-objects-get',
      summary: 'Get object',
      description: 'The object bytes with their Content-Type, ETag (sha256) and Last-Modified. Requires scope `ai:read`.',
      tags: ['Storage'],
      security: security('ai:read'),
      parameters: objectParameters,
      responses: {
        '200': { description: 'The object', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
        ...errors([400, 401, 403, 404, 429]),
      },
    },
    head: {
      operationId: 'infra-storage-objects-head',
      summary: 'Head object',
      description: 'The headers of a GET, without the body. Requires scope `ai:read`.',
      tags: ['Storage'],
      security: security('ai:read'),
      parameters: objectParameters,
      responses: { '200': { description: 'The object exists' }, ...errors([400, 401, 403, 404, 429]) },
    },
    delete: {
      operationId: 'infra-storage-objects-delete',
      summary: 'Delete object',
      description: 'Requires scope `ai:generate`.',
      tags: ['Storage'],
      security: security('ai:generate'),
      parameters: objectParameters,
      responses: {
        '200': { description: 'Deleted', content: { 'application/json': { schema: { type: 'object' } } } },
        ...errors([400, 401, 403, 404, 429]),
      },
    },
  },
};
