import type { ModelSpec } from './model-spec.ts';

/** The provider-side contract for image generation, editing and variation. */
export interface ImageInput {
  bytes: Uint8Array;
  contentType: string;
  filename: string;
}

export interface GeneratedImage {
  bytes: Uint8Array;
  contentType: string;
  revisedPrompt: string | null;
}

export interface ImageRequest {
  prompt?: string | undefined;
  n: number;
  size?: string | undefined;
  steps?: number | undefined;
  image?: ImageInput | undefined;
  mask?: ImageInput | undefined;
  /** The caller's end-user id, passed on to upstreams for their abuse monitoring. */
  user?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface ImageModel extends ModelSpec {
  generate(request: ImageRequest): Promise<GeneratedImage[]>;
  edit?(request: ImageRequest): Promise<GeneratedImage[]>;
  vary?(request: ImageRequest): Promise<GeneratedImage[]>;
}
