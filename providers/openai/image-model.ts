import { z } from 'zod';
import { upstreamEndpoint, type OpenAiCompatibleUpstreamConfig } from './settings.ts';
import { buildMultipartBody, type MultipartFile } from '../http/multipart-body.ts';
import { exchangeJson, exchangeUpstreamJson } from '../http/upstream-fetch.ts';
import type { GeneratedImage, ImageModel, ImageRequest } from '../spec/images.ts';
import { ProviderError } from '../spec/provider-error.ts';

const imagesResponseSchema = z.object({ data: z.array(z.object({ b64_json: z.string(), revised_prompt: z.string().nullish() })) });

/** OpenAI images: generations (JSON), edits and variations (multipart), always asked for base64. */
export class OpenAiCompatibleImageModel implements ImageModel {
  readonly #options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { upstream: OpenAiCompatibleUpstreamConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  get #name() {
    return `Upstream "${this.#options.upstream.name}"`;
  }


  #toImages(body: unknown): GeneratedImage[] {
    const parsed = imagesResponseSchema.safeParse(body);
    if (!parsed.success) throw new ProviderError('bad_gateway', `${this.#name} sent unexpected images`);
    return parsed.data.data.map((image) => ({ bytes: Buffer.from(image.b64_json, 'base64'), contentType: 'image/png', revisedPrompt: image.revised_prompt ?? null }));
  }

  async generate(request: ImageRequest): Promise<GeneratedImage[]> {
    const { upstreamModel, timeoutMs } = this.#options;
    const call = {
      ...upstreamEndpoint(this.#options.upstream, 'images/generations'),
      body: {
        model: upstreamModel,
        prompt: request.prompt,
        n: request.n,
        response_format: 'b64_json',
        ...(request.size ? { size: request.size } : {}),
        ...(request.user ? { user: request.user } : {}),
      },
      signal: request.signal,
      timeoutMs,
      upstreamName: this.#name,
    };
    return this.#toImages(await exchangeJson(call));
  }

  async edit(request: ImageRequest): Promise<GeneratedImage[]> {
    return this.#multipart('edits', request, { prompt: request.prompt ?? '' });
  }

  async vary(request: ImageRequest): Promise<GeneratedImage[]> {
    return this.#multipart('variations', request, {});
  }

  async #multipart(path: string, request: ImageRequest, fields: Record<string, string>): Promise<GeneratedImage[]> {
    const { upstreamModel, timeoutMs } = this.#options;
    const files: MultipartFile[] = [{ field: 'image', filename: request.image!.filename, contentType: request.image!.contentType, data: request.image!.bytes }];
    if (request.mask) files.push({ field: 'mask', filename: request.mask.filename, contentType: request.mask.contentType, data: request.mask.bytes });
    const multipart = buildMultipartBody(
      {
        ...fields,
        model: upstreamModel,
        n: String(request.n),
        response_format: 'b64_json',
        ...(request.size ? { size: request.size } : {}),
        ...(request.user ? { user: request.user } : {}),
      },
      files,
    );
    const call = {
      ...upstreamEndpoint(this.#options.upstream, `images/${path}`),
      body: multipart.body,
      contentType: multipart.contentType,
      signal: request.signal,
      timeoutMs,
      upstreamName: this.#name,
    };
    return this.#toImages(await exchangeUpstreamJson(call));
  }
}
