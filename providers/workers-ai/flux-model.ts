import { z } from 'zod';
import { UpstreamModel } from '../http/upstream-model.ts';
import type { GeneratedImage, ImageModel, ImageRequest } from '../spec/images.ts';

const resultSchema = z.object({ result: z.object({ image: z.string() }) });

/** `@cf/black-forest-labs/flux-1-schnell`: `{prompt, steps}` → one base64 JPEG per call. */
export class WorkersAiFluxModel extends UpstreamModel implements ImageModel {
  readonly #run = this.endpoint(this.upstreamModel);

  async generate(request: ImageRequest): Promise<GeneratedImage[]> {
    const body = { prompt: request.prompt, ...(request.steps ? { steps: Math.min(8, request.steps) } : {}) };
    const one = async (): Promise<GeneratedImage> => {
      const { result } = await this.#run.exchange(body, request.signal, resultSchema, 'no image');
      return { bytes: Buffer.from(result.image, 'base64'), contentType: 'image/jpeg', revisedPrompt: null };
    };
    return Promise.all(Array.from({ length: request.n }, one));
  }
}
