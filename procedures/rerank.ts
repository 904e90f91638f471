import { runCharged } from '../accounts/billing.ts';
import { defineNativeMutation, modelCallErrors } from '../router/primitive.ts';
import { rerankRequestSchema, rerankResponseSchema, type RerankRequestInput } from '../schema/api/rerank.ts';
import { scopeOf } from '../router/context.ts';
import { resolveModelFor } from './models.ts';
import { checkInputLimits } from '../providers/input-limits.ts';

/** Rerank candidates by relevance to a query (no /v1 alias in the reference). */
export const rerankProcedure = defineNativeMutation({
  scope: 'ai:generate',
  tag: 'Representations, Ranking & Safety',
  errorStatuses: modelCallErrors,
  heavyWork: 'local-model',
  run: async (request: RerankRequestInput, ctx) => {
    const entry = resolveModelFor(ctx.services.catalog, 'rerank', request.model, undefined);
    const documents = request.documents.map((document) => (typeof document === 'string' ? document : document.text));
    const model = ctx.services.providers.resolve('rerank', entry.id);
    checkInputLimits(model, [request.query, ...documents], (index) => (index === 0 ? 'query' : index < 0 ? 'documents' : `documents.${index - 1}`));
    const bytes = [request.query, ...documents].reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    const ranked = await runCharged(
      ctx,
      { primitive: 'rerank', model: entry, upperBound: { input: bytes, output: 0 }, rateEstimate: Math.ceil(bytes / 4) },
      () => model.rerank({ query: request.query, documents, topN: request.top_n ?? documents.length, ...scopeOf(ctx) }),
      (result) => ({ input: result.inputTokens, output: 0, estimated: result.estimated }),
    );
    return {
      object: 'list' as const,
      model: entry.id,
      results: ranked.results.map((result) => ({
        index: result.index,
        relevance_score: result.score,
        ...(request.return_documents ? { document: { text: documents[result.index]! } } : {}),
      })),
      scoring: ranked.method,
      usage: { total_tokens: ranked.inputTokens },
    };
  },
  route: {
    path: '/infra/ai/rerank',
    summary: 'Rerank documents',
    description: 'Orders 1–100 documents by relevance to the query; results carry the index, the score and (by default) the document.',
    input: rerankRequestSchema,
    toArgs: (input) => input,
    output: rerankResponseSchema,
    toOutput: (ranked) => ranked,
  },
});
