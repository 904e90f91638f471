import { z } from 'zod';
import { runCharged } from '../accounts/billing.ts';
import { ApiError } from '../router/errors.ts';
import { router } from '../router/trpc.ts';
import { defineTwinMutations, modelCallErrors } from '../router/primitive.ts';
import type { CallContext } from '../router/context.ts';
import type { Capability } from '../schema/api/models.ts';
import type { ImageInput } from '../providers/spec/images.ts';
import type { UploadedFile } from '../router/transport.ts';
import {
  imageEditRequestSchema,
  imageGenerationRequestSchema,
  imagesResultSchema,
  imageVariationRequestSchema,
  openAiImagesResponseSchema,
  type ImageRequestInput,
  type ImageSource,
  type ImagesResult,
} from '../schema/api/images.ts';
import { resolveModelFor } from './models.ts';

type Operation = 'generate' | 'edit' | 'vary';

const capabilityOf = { generate: 'image_generation', edit: 'image_edit', vary: 'image_variation' } as const satisfies Record<Operation, Capability>;

async function loadImage(source: ImageSource | undefined, param: string, ctx: CallContext): Promise<ImageInput | undefined> {
  if (!source) return undefined;
  if ('base64' in source) {
    return { bytes: Buffer.from(source.base64, 'base64'), contentType: source.content_type ?? 'image/png', filename: source.name ?? 'image.png' };
  }
  const wrapped = 'storage_ref' in source;
  const reference = wrapped ? source.storage_ref : source;
  const { object, bytes } = await ctx.services.storage.getObject(ctx.principal.projectId, reference, wrapped ? `${param}.storage_ref.key` : `${param}.key`);
  return { bytes, contentType: object.content_type, filename: object.key.split('/').at(-1) ?? 'image.png' };
}

function imagesFor(operation: Operation) {
  return async (request: ImageRequestInput, ctx: CallContext): Promise<ImagesResult> => {
    const entry = resolveModelFor(ctx.services.catalog, capabilityOf[operation], request.model, undefined);
    const model = ctx.services.providers.resolve(capabilityOf[operation], entry.id);
    const run = operation === 'generate' ? model.generate.bind(model) : operation === 'edit' ? model.edit?.bind(model) : model.vary?.bind(model);
    if (!run) throw new ApiError('bad_request', `model: ${entry.id} cannot ${operation} images`, { param: 'model' });
    const image = 'image' in request ? await loadImage(request.image, 'image', ctx) : undefined;
    const mask = 'mask' in request ? await loadImage(request.mask, 'mask', ctx) : undefined;
    const units = { input: entry.pricing.unit === 'image' ? request.n : 1, output: 0 };
    const images = await runCharged(
      ctx,
      { primitive: `images.${operation}`, model: entry, upperBound: units, rateEstimate: 0 },
      () =>
        run({
          prompt: 'prompt' in request ? request.prompt : undefined,
          n: request.n,
          size: request.size === 'auto' ? undefined : request.size,
          steps: 'steps' in request ? request.steps : undefined,
          image,
          mask,
          user: request.user,
          signal: ctx.signal,
        }),
      (generated) => ({ input: entry.pricing.unit === 'image' ? generated.length : 1, output: 0 }),
    );
    return {
      object: 'list',
      model: entry.id,
      created: Math.floor(Date.now() / 1000),
      data: images.map((generated) => ({ b64_json: Buffer.from(generated.bytes).toString('base64'), content_type: generated.contentType, revised_prompt: generated.revisedPrompt })),
    };
  };
}

/** OpenAI's answer: base64, or a data: URL for `url` (this service hosts nothing). */
function toOpenAiImages(result: ImagesResult, responseFormat: 'b64_json' | 'url') {
  return {
    created: result.created,
    data: result.data.map((image) => ({
      ...(responseFormat === 'url' ? { url: `data:${image.content_type};base64,${image.b64_json}` } : { b64_json: image.b64_json }),
      ...(image.revised_prompt ? { revised_prompt: image.revised_prompt } : {}),
    })),
  };
}

/** A single image is stored as itself; several as the JSON list. */
function storable(output: unknown) {
  const result = output as ImagesResult;
  return result.data.length === 1
    ? { bytes: Buffer.from(result.data[0]!.b64_json, 'base64'), contentType: result.data[0]!.content_type }
    : { json: result };
}

const asImageSource = (file: UploadedFile) => ({ base64: file.data.toString('base64'), content_type: file.contentType, name: file.filename });

/** How OpenAI clients send edits and variations: the image (and mask) as file parts. */
const imageUpload = (withMask: boolean) => ({
  files: {
    image: { required: true, into: (file: UploadedFile) => ({ image: asImageSource(file) }) },
    ...(withMask ? { mask: { required: false, into: (file: UploadedFile) => ({ mask: asImageSource(file) }) } } : {}),
  },
});

function defineImageRoutes<TIn extends z.ZodObject>(operation: Operation, noun: string, input: TIn, summary: string, description: string) {
  const multipart = operation === 'generate' ? {} : { multipart: imageUpload(operation === 'edit') };
  return defineTwinMutations({
    scope: 'ai:generate',
    tag: 'Images',
    errorStatuses: modelCallErrors,
    async: { kind: `images.${noun}` },
    storable,
    run: imagesFor(operation),
    canonical: {
      path: `/infra/ai/images/${noun}`,
      summary,
      description: `${description} Runs on an upstream (OpenAI, Workers AI FLUX): no image weights ship offline.`,
      input,
      toArgs: (value) => value as ImageRequestInput,
      output: imagesResultSchema,
      toOutput: (result) => result,
      ...multipart,
    },
    compat: {
      path: `/v1/images/${noun}`,
      summary: `${summary} (OpenAI-compatible)`,
      description: `${description} OpenAI clients send edits and variations as multipart.`,
      input,
      toArgs: (value) => value as ImageRequestInput,
      output: openAiImagesResponseSchema,
      toOutput: (result, value) => toOpenAiImages(result, (value as { response_format: 'b64_json' | 'url' }).response_format),
      ...multipart,
    },
  });
}

const generations = defineImageRoutes('generate', 'generations', imageGenerationRequestSchema, 'Generate images', 'Images from a prompt (n 1–4).');
const edits = defineImageRoutes('edit', 'edits', imageEditRequestSchema, 'Edit an image', 'An image changed as the prompt says, optionally within a mask.');
const variations = defineImageRoutes('vary', 'variations', imageVariationRequestSchema, 'Create image variations', 'Variations of an image.');

export const imagesRouter = router({ generations: router({ create: generations.canonical }), edits: router({ create: edits.canonical }), variations: router({ create: variations.canonical }) });
export const openAiImagesRouter = router({ generations: router({ create: generations.compat }), edits: router({ create: edits.compat }), variations: router({ create: variations.compat }) });
