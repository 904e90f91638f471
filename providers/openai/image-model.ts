import { z } from 'zod';
import { UpstreamModel } from '../http/upstream-model.ts';
import { buildMultipartBody, type MultipartFile } from '../http/multipart-body.ts';
import type { GeneratedImage, ImageModel, ImageRequest } from '../spec/images.ts';

const imagesResponseSchema = z.object({ data: z.array(z.object({ b64_json: z.string(), revised_prompt: z.string().nullish() })) });
const what = 'unexpected images';

function toImages(answer: z.infer<typeof imagesResponseSchema>): GeneratedImage[] {
  return answer.data.map((image) => ({ bytes: Buffer.from(image.b64_json, 'base64'), contentType: 'image/png', revisedPrompt: image.revised_prompt ?? null }));
}

/** The fields every images call sends beside its own: always asked for base64. */
const commonFields = (request: ImageRequest) => ({
  response_format: 'b64_json',
  ...(request.size ? { size: request.size } : {}),
  ...(request.user ? { user: request.user } : {}),
});

/** OpenAI images: generations (JSON), edits and variations (multipart). */
export class OpenAiCompatibleImageModel extends UpstreamModel implements ImageModel {
  readonly #generations = this.endpoint('images/generations');
  readonly #edits = this.endpoint('images/edits');
  readonly #variations = this.endpoint('images/variations');

  async generate(request: ImageRequest): Promise<GeneratedImage[]> {
    const body = { model: this.upstreamModel, prompt: request.prompt, n: request.n, ...commonFields(request) };
    return toImages(await this.#generations.exchange(body, request.signal, imagesResponseSchema, what));
  }

  async edit(request: ImageRequest): Promise<GeneratedImage[]> {
    return toImages(await this.#edits.exchangeEncoded(this.#form(request, { prompt: request.prompt ?? '' }), request.signal, imagesResponseSchema, what));
  }

  async vary(request: ImageRequest): Promise<GeneratedImage[]> {
    return toImages(await this.#variations.exchangeEncoded(this.#form(request, {}), request.signal, imagesResponseSchema, what));
  }

  #form(request: ImageRequest, fields: Record<string, string>) {
    const files: MultipartFile[] = [{ field: 'image', filename: request.image!.filename, contentType: request.image!.contentType, data: request.image!.bytes }];
    if (request.mask) files.push({ field: 'mask', filename: request.mask.filename, contentType: request.mask.contentType, data: request.mask.bytes });
    return buildMultipartBody({ ...fields, model: this.upstreamModel, n: String(request.n), ...commonFields(request) }, files);
  }
}
