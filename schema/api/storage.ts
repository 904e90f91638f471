import { z } from 'zod';

export const bucketSchema = z
  .object({ id: z.string().meta({ example: 'sb_...' }), name: z.string(), created_at: z.iso.datetime() })
  .meta({ id: 'Bucket' });

export const createBucketInputSchema = z
  .strictObject({
    name: z.string().min(1).max(63).regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-", starting with a letter or digit'),
  })
  .meta({ examples: [{ name: 'uploads' }] });

export const storageObjectSchema = z
  .object({
    bucket_id: z.string(),
    key: z.string(),
    content_type: z.string(),
    size: z.int(),
    sha256: z.string(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'StorageObject' });

export const listObjectsInputSchema = z
  .object({
    bucket_id: z.string().min(1),
    prefix: z.string().max(1024).default(''),
    after: z.string().max(1024).optional().meta({ description: 'Return keys after this one (paging)' }),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .meta({ examples: [{ prefix: 'notes/', limit: 20 }] });

/** The key every object example names, so the examples of put, get and delete meet. */
const exampleKey = 'notes/hello.txt';

export const objectRefInputSchema = z.object({ bucket_id: z.string().min(1), key: z.string() }).meta({ examples: [{ key: exampleKey }] });

/** A raw upload: `body` is the request body itself. */
export const putObjectExample = { key: exampleKey, content_type: 'text/plain', body: 'Hello, stored.\n' };
