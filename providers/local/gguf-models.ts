import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import type { ModelEntry } from '../../schema/api/models.ts';
import { createModelEntry } from '../model-entry.ts';
import { localProviderName } from './catalog.ts';

export interface LocalGgufModel {
  entry: ModelEntry;
  filePath: string;
}

/**
 * Every GGUF file in the models folder becomes `local:<file name without .gguf>`, with the
 * context size its own metadata declares. Only the header is read; weights load on first use.
 */
export async function discoverGgufModels(modelsDir: string): Promise<LocalGgufModel[]> {
  let fileNames: string[];
  try {
    fileNames = (await readdir(modelsDir)).filter((name) => name.toLowerCase().endsWith('.gguf')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const models: LocalGgufModel[] = [];
  for (const fileName of fileNames) {
    const filePath = path.join(modelsDir, fileName);
    const info = await readGgufFileInfo(filePath, { readTensorInfo: false });
    const architecture = info.metadata.general.architecture;
    const contextLength = (info.architectureMetadata as { context_length?: number }).context_length ?? null;
    const name = fileName.slice(0, -'.gguf'.length);
    // A chat template is what lets node-llama-cpp render tool calls and results for the model.
    const hasChatTemplate = Boolean(info.metadata.tokenizer?.chat_template);
    models.push({
      filePath,
      entry: createModelEntry({
        provider: localProviderName,
        upstreamModel: fileName,
        name,
        displayName: `${info.metadata.general.name ?? name} (${architecture}, GGUF)`,
        capabilities: hasChatTemplate ? ['text_generation', 'tool_calling'] : ['text_generation'],
        contextWindow: contextLength,
        maxOutputTokens: contextLength,
      }),
    });
  }
  return models;
}
