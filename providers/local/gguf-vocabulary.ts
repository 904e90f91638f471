import { getLlama, type LlamaModel } from 'node-llama-cpp';
import type { Token } from '../spec/tokenizer.ts';

/**
 * GGUF vocabularies, loaded alone (no weights) in the compute-pool thread that tokenizes: turning
 * 32,768 characters into tokens and back costs 40-65 ms of CPU, which the event loop must not pay.
 */
const vocabularies = new Map<string, Promise<LlamaModel>>();

function vocabularyOf(filePath: string): Promise<LlamaModel> {
  let vocabulary = vocabularies.get(filePath);
  if (!vocabulary) {
    vocabulary = getLlama({ gpu: false, build: 'never' }).then((llama) => llama.loadModel({ modelPath: filePath, vocabOnly: true }));
    vocabularies.set(filePath, vocabulary);
  }
  return vocabulary;
}

/** Special-token markup in the text counts as plain text, as in a prompt. */
export async function ggufTokens(filePath: string, text: string): Promise<Token[]> {
  const model = await vocabularyOf(filePath);
  const ids = model.tokenize(text);
  // The token before decides whether this one's leading space is text (` upon`) or not.
  return ids.map((id, index) => ({ id, text: model.detokenize([id], false, index === 0 ? undefined : ids.slice(index - 1, index)) }));
}
