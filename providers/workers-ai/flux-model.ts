import { z } from 'zod';
import { workersAiRunEndpoint, type WorkersAiConfig } from './settings.ts';
import { exchangeJson } from '../http/upstream-fetch.ts';
import type { GeneratedImage, ImageModel, ImageRequest } from '../spec/images.ts';
import { ProviderError } from '../spec/provider-error.ts';

const resultSchema = z.object({ result: z.object({ image: z.string() }) });

/** `@cf/black-forest-labs/flux-1-schnell`: `{prompt, steps}` → one base64 JPEG per call. */
export class WorkersAiFluxModel implements ImageModel {
  readonly #options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number };

  constructor(options: { config: WorkersAiConfig; upstreamModel: string; timeoutMs: number }) {
    this.#options = options;
  }

  async generate(request: ImageRequest): Promise<GeneratedImage[]> {
    const { config, upstreamModel, timeoutMs } = this.#options;
    const one = async (): Promise<GeneratedImage> => {
      const call = {
        ...workersAiRunEndpoint(config, upstreamModel),
        body: { prompt: request.prompt, ...(request.steps ? { steps: Math.min(8, request.steps) } : {}) },
        signal: request.signal,
        timeoutMs,
        upstreamName: 'Workers AI',
      };
      const parsed = resultSchema.safeParse(await exchangeJson(call));
      if (!parsed.success) throw new ProviderError('bad_gateway', 'Workers AI sent no image');
      return { bytes: Buffer.from(parsed.data.result.image, 'base64'), contentType: 'image/jpeg', revisedPrompt: null };
    };
    return Promise.all(Array.from({ length: request.n }, one));
  }
}
