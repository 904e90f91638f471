import { z } from 'zod';
import { asyncFields, storageRefSchema, unofferedField } from './common.ts';
import { pixelPng } from './example-files.ts';

/**
 * An image given inline (base64) or by storage reference: `{ storage_ref: { bucket_id, key } }`
 * as the reference documents it, or the reference's fields themselves.
 */
export const imageSourceSchema = z.union([
  z.strictObject({ storage_ref: storageRefSchema }),
  storageRefSchema,
  z.object({
    base64: z.string().min(1).regex(/^[A-Za-z0-9+/\s]*={0,2}\s*$/, 'must be base64'),
    content_type: z.string().max(255).optional(),
    name: z.string().max(255).optional(),
  }),
]);
export type ImageSource = z.infer<typeof imageSourceSchema>;

const commonFields = {
  model: z.string().min(1).optional(),
  n: z.int().min(1).max(4).default(1),
  size: z.string().regex(/^(\d+x\d+|auto)$/, 'must look like 1024x1024').optional(),
  response_format: z.enum(['b64_json', 'url']).default('b64_json').meta({ description: 'url answers a data: URL (nothing is hosted)' }),
  user: z.string().optional(),
  ...asyncFields,
};

/** OpenAI's image options for what no image model here offers: accepted at their neutral values only. */
const unofferedImageFields = {
  background: unofferedField(z.enum(['transparent', 'opaque', 'auto']), 'no image model here applies a background: auto only', (value) => value === 'auto'),
  output_format: unofferedField(z.enum(['png', 'jpeg', 'webp']), "images come in their model's own format (each item's content type says which): leave it out"),
  output_compression: unofferedField(z.int().min(0).max(100), "images come in their model's own format and compression: leave it out"),
  partial_images: unofferedField(z.int().min(0).max(3), 'image streams are not offered: 0 only', (value) => value === 0),
  stream: unofferedField(z.boolean(), 'image streams are not offered: false only', (value) => value === false),
};

const examplePixel = { base64: pixelPng, content_type: 'image/png', name: 'pixel.png' };

export const imageGenerationRequestSchema = z
  .strictObject({
    ...commonFields,
    prompt: z.string().min(1).max(32_000),
    steps: z.int().min(1).max(16).optional(),
    quality: unofferedField(z.string(), 'no image model here takes a quality setting: auto only (steps sets the effort of models that take it)', (value) => value === 'auto'),
    style: unofferedField(z.string(), 'no image model here takes a style setting: describe the style in the prompt'),
    moderation: unofferedField(z.enum(['low', 'auto']), 'no image model here applies a moderation level: auto only', (value) => value === 'auto'),
    ...unofferedImageFields,
  })
  .meta({ id: 'CreateImageRequest', examples: [{ prompt: 'A lighthouse at dusk, watercolour.', size: '512x512' }] });

export const imageEditRequestSchema = z
  .strictObject({
    ...commonFields,
    prompt: z.string().min(1).max(32_000),
    image: imageSourceSchema,
    mask: imageSourceSchema.optional(),
    input_fidelity: unofferedField(z.enum(['high', 'low']), 'no image model here applies input fidelity: leave it out'),
    ...unofferedImageFields,
  })
  .meta({ id: 'EditImageRequest', examples: [{ prompt: 'Make it blue.', image: examplePixel }] });

export const imageVariationRequestSchema = z.strictObject({ ...commonFields, image: imageSourceSchema }).meta({ id: 'ImageVariationRequest', examples: [{ image: examplePixel }] });

export type ImageRequestInput = z.output<typeof imageEditRequestSchema> | z.output<typeof imageGenerationRequestSchema> | z.output<typeof imageVariationRequestSchema>;

export const imagesResultSchema = z
  .object({
    object: z.literal('list'),
    model: z.string(),
    created: z.int(),
    data: z.array(z.object({ b64_json: z.string(), content_type: z.string(), revised_prompt: z.string().nullable() })),
  })
  .meta({ id: 'Images' });
export type ImagesResult = z.infer<typeof imagesResultSchema>;

export const openAiImagesResponseSchema = z
  .object({
    created: z.int(),
    data: z.array(z.object({ b64_json: z.string().optional(), url: z.string().optional(), revised_prompt: z.string().optional() })),
  })
  .meta({ id: 'OpenAIImagesResponse' });
