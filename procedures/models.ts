import { z } from 'zod';
import { ApiError } from '../router/errors.ts';
import { defineTwinQueries } from '../router/primitive.ts';
import { router } from '../router/trpc.ts';
import {
  getModelInputSchema,
  listModelsInputSchema,
  modelEntrySchema,
  openAiModelListSchema,
  openAiModelSchema,
  type Capability,
  type ModelEntry,
} from '../schema/api/models.ts';
import { normalizeModelId, type ModelCatalog, type ModelFilter } from '../providers/catalog.ts';

const catalogErrors = [401, 403, 429];

function toOpenAiModel(entry: ModelEntry, catalog: ModelCatalog): z.input<typeof openAiModelSchema> {
  return { ...entry, created: catalog.loadedAtSeconds, owned_by: entry.provider };
}

export function findModelOrThrow(catalog: ModelCatalog, modelId: string): ModelEntry {
  const found = catalog.lookup(modelId);
  if (found && 'ambiguous' in found) {
    throw new ApiError('bad_request', `model: "${normalizeModelId(modelId)}" is served by ${found.ambiguous.join(' and ')}: name one, or map it in MODEL_ALIASES`, {
      param: 'model',
    });
  }
  const entry = found?.entry;
  if (!entry) {
    throw new ApiError('not_found', `Model "${normalizeModelId(modelId)}" is not in this deployment's catalog`, {
      param: 'model',
      openAiCode: 'model_not_found',
    });
  }
  return entry;
}

/**
 * The model a request names, or the configured/first available one with the capability; checks
 * the model has it. `param` names the request field in errors.
 */
export function resolveModelFor(
  catalog: ModelCatalog,
  capability: Capability,
  requested: string | undefined,
  configuredDefault: string | undefined,
  param = 'model',
): ModelEntry {
  const id = requested ?? configuredDefault ?? catalog.list({ capability }).find((entry) => entry.available)?.id;
  if (!id) throw new ApiError('bad_request', `${param}: required, as this deployment has no default ${capability} model`, { param });
  const entry = findModelOrThrow(catalog, id);
  if (!entry.capabilities.includes(capability)) {
    throw new ApiError('bad_request', `${param}: ${entry.id} has no ${capability} capability (it has ${entry.capabilities.join(', ')})`, { param });
  }
  return entry;
}

const list = defineTwinQueries({
  scope: 'ai:read',
  tag: 'Model Catalog',
  errorStatuses: catalogErrors,
  run: (filter: ModelFilter, ctx) => ({ catalog: ctx.services.catalog, models: ctx.services.catalog.list(filter) }),
  canonical: {
    path: '/infra/ai/models',
    summary: 'List AI models',
    description: 'Models this deployment can serve, as normalized provider:model ids. Filter by capability or provider.',
    input: listModelsInputSchema,
    toArgs: (input) => input,
    output: z.array(modelEntrySchema),
    toOutput: (result) => result.models,
  },
  compat: {
    path: '/v1/models',
    summary: 'List models (OpenAI-compatible)',
    input: z.object({}),
    toArgs: () => ({}),
    output: openAiModelListSchema,
    toOutput: (result) => ({ object: 'list' as const, data: result.models.map((entry) => toOpenAiModel(entry, result.catalog)) }),
  },
});

const get = defineTwinQueries({
  scope: 'ai:read',
  tag: 'Model Catalog',
  errorStatuses: [...catalogErrors, 404],
  run: (modelId: string, ctx) => ({ catalog: ctx.services.catalog, model: findModelOrThrow(ctx.services.catalog, modelId) }),
  canonical: {
    path: '/infra/ai/models/{model_id}',
    greedyParam: 'model_id',
    summary: 'Get AI model',
    input: getModelInputSchema,
    toArgs: (input) => input.model_id,
    output: modelEntrySchema,
    toOutput: (result) => result.model,
  },
  compat: {
    path: '/v1/models/{model_id}',
    greedyParam: 'model_id',
    summary: 'Get model (OpenAI-compatible)',
    input: getModelInputSchema,
    toArgs: (input) => input.model_id,
    output: openAiModelSchema,
    toOutput: (result) => toOpenAiModel(result.model, result.catalog),
  },
});

export const modelsRouter = router({ list: list.canonical, get: get.canonical });
export const openAiModelsRouter = router({ list: list.compat, retrieve: get.compat });
