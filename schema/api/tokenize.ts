import { z } from 'zod';

/**
 * One call's text is bounded: tiktoken runs on a compute-pool thread, where byte-pair merging of one
 * long run of letters grows with the square of its length (32,768 letters in a row: ~90 s); a GGUF
 * vocabulary runs in the process that loaded the model (node-llama-cpp aborts the process when a
 * thread that loaded it ends), 8,192 characters in 10-16 ms.
 */
export const maxTokenizeCharacters = 8192;

export const tokenizeRequestSchema = z
  .strictObject({
    model: z.string().min(1).optional().meta({ description: 'provider:model id of a text model; the default text model when omitted' }),
    input: z
      .string()
      .max(maxTokenizeCharacters)
      .meta({ description: `The text to tokenize, at most ${maxTokenizeCharacters} characters; special-token markup counts as plain text` }),
  })
  .meta({ id: 'TokenizeRequest', examples: [{ model: 'local:stories260K', input: 'Once upon a time, there was a little cat.' }] });
export type TokenizeRequestInput = z.output<typeof tokenizeRequestSchema>;

const tokenSchema = z.object({
  id: z.int(),
  text: z.string().meta({ description: "The token's own text; a piece of a multi-byte character reads as U+FFFD" }),
});
export type Token = z.output<typeof tokenSchema>;

export const tokenizeResponseSchema = z
  .object({
    object: z.literal('list'),
    model: z.string(),
    count: z.int().meta({ description: 'How many tokens the model reads the input as' }),
    tokens: z.array(tokenSchema),
  })
  .meta({ id: 'TokenizeResult' });
