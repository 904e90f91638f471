import { defineNativeMutation } from '../router/primitive.ts';
import { scopeOf } from '../router/context.ts';
import { tokenizeRequestSchema, tokenizeResponseSchema, type TokenizeRequestInput } from '../schema/api/tokenize.ts';
import { resolveModelFor } from './models.ts';

/** The tokens a text model reads a text as, counted and listed; runs offline and is not charged. */
export const tokenizeProcedure = defineNativeMutation({
  scope: 'ai:generate',
  tag: 'Representations, Ranking & Safety',
  errorStatuses: [400, 401, 403, 404, 429, 503],
  heavyWork: 'always',
  run: async (request: TokenizeRequestInput, ctx) => {
    const entry = resolveModelFor(ctx.services.catalog, 'text_generation', request.model, ctx.services.config.defaultTextModel);
    const tokens = await ctx.services.providers.resolve('tokenize', entry.id).tokenize({ text: request.input, ...scopeOf(ctx) });
    return { object: 'list' as const, model: entry.id, count: tokens.length, tokens };
  },
  route: {
    path: '/infra/ai/tokenize',
    summary: 'Tokenize text',
    description:
      "Counts and lists the tokens a text model reads a text as, with the model's own tokenizer: a local GGUF model's vocabulary, " +
      "or OpenAI's encodings for the models OpenAI names. Offline; other models answer 400.",
    input: tokenizeRequestSchema,
    toArgs: (input) => input,
    output: tokenizeResponseSchema,
    toOutput: (tokenized) => tokenized,
  },
});
