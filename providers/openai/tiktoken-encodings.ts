import { Tiktoken, type getEncodingNameForModel } from 'js-tiktoken/lite';
import type { Token } from '../spec/tokenizer.ts';

export type EncodingName = ReturnType<typeof getEncodingNameForModel>;

/**
 * tiktoken's encodings, loaded on first use in the compute-pool thread that tokenizes (loading
 * o200k_base takes ~0.7 s of CPU, and byte-pair merging of one long run of letters grows with the
 * square of its length): never on the event loop. The rank tables ship inside the package.
 */
const ranksOf: Record<EncodingName, () => Promise<{ default: ConstructorParameters<typeof Tiktoken>[0] }>> = {
  o200k_base: () => import('js-tiktoken/ranks/o200k_base'),
  cl100k_base: () => import('js-tiktoken/ranks/cl100k_base'),
  p50k_base: () => import('js-tiktoken/ranks/p50k_base'),
  p50k_edit: () => import('js-tiktoken/ranks/p50k_edit'),
  r50k_base: () => import('js-tiktoken/ranks/r50k_base'),
  gpt2: () => import('js-tiktoken/ranks/gpt2'),
};

const encodings = new Map<EncodingName, Promise<Tiktoken>>();

function encodingNamed(name: EncodingName): Promise<Tiktoken> {
  let encoding = encodings.get(name);
  if (!encoding) {
    encoding = ranksOf[name]().then((ranks) => new Tiktoken(ranks.default));
    encodings.set(name, encoding);
  }
  return encoding;
}

export async function tiktokenTokens(encodingName: EncodingName, text: string): Promise<Token[]> {
  const encoding = await encodingNamed(encodingName);
  // Special-token markup (`<|endoftext|>`) is plain text here, as the API reads a prompt.
  return encoding.encode(text, [], []).map((id) => ({ id, text: encoding.decode([id]) }));
}
