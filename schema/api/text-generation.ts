import { z } from 'zod';

export const temperatureSchema = z.number().min(0).max(2);
export const maxOutputTokensSchema = z.int().min(1).max(8192);

export const roleSchema = z.enum(['system', 'developer', 'user', 'assistant', 'tool']);

/** Content parts in both OpenAI dialects: Responses (`input_text`...) and Chat (`text`, `image_url`). */
export const contentPartSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('input_text'), text: z.string() }),
    z.object({ type: z.literal('output_text'), text: z.string() }),
    z.object({ type: z.literal('text'), text: z.string() }),
    z.object({
      type: z.literal('input_image'),
      image_url: z.string().min(1),
      detail: z.enum(['auto', 'low', 'high']).optional(),
    }),
    z.object({
      type: z.literal('image_url'),
      image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
    }),
    // A document given inline: it is parsed (PDF, DOCX, HTML, Markdown, text, images by OCR) and
    // its text is what the model reads. File ids and URLs name nothing this service can open.
    z.object({
      type: z.literal('input_file'),
      filename: z.string().max(255).optional(),
      file_data: z.string().min(1).optional(),
      file_id: z.never({ error: 'This service has no Files API: send the file inline as file_data' }).optional(),
      file_url: z.never({ error: 'Files are not fetched from URLs: send the file inline as file_data' }).optional(),
    }),
  ])
  .meta({ id: 'ContentPart' });
export type ContentPartInput = z.infer<typeof contentPartSchema>;

export const messageSchema = z
  .object({
    type: z.literal('message').optional(),
    role: roleSchema,
    content: z.union([z.string(), z.array(contentPartSchema).min(1)]),
  })
  .meta({ id: 'InputMessage' });
export type MessageInput = z.infer<typeof messageSchema>;

const jsonSchemaObject = z.record(z.string(), z.unknown());

/**
 * `response_format` as Chat Completions nests it (`json_schema: {name, schema}`) or as the
 * Responses API flattens it (`name`, `schema`); both are accepted.
 */
export const responseFormatSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      json_schema: z
        .object({ name: z.string().min(1).max(64), description: z.string().optional(), schema: jsonSchemaObject, strict: z.boolean().nullish() })
        .optional(),
      name: z.string().min(1).max(64).optional(),
      schema: jsonSchemaObject.optional(),
      strict: z.boolean().nullish(),
    }),
  ])
  .meta({ id: 'ResponseFormat' });
export type ResponseFormatInput = z.infer<typeof responseFormatSchema>;

/** A function tool as Chat Completions nests it. */
export const chatFunctionToolSchema = z
  .object({
    type: z.literal('function'),
    function: z.object({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64'),
      description: z.string().optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  })
  .meta({ id: 'ChatFunctionTool' });

/** `tool_choice`: a mode, or one named function (Chat nests the name, Responses flattens it). */
export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
  z.object({ type: z.literal('function'), name: z.string().min(1) }),
]);
export type ToolChoiceInput = z.infer<typeof toolChoiceSchema>;

export const topPSchema = z.number().min(0).max(1);
export const penaltySchema = z.number().min(-2).max(2);
export const stopSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)]);
export const logitBiasSchema = z.record(z.string().regex(/^\d+$/, 'token ids'), z.number().min(-100).max(100));
