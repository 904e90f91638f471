import { z } from 'zod';

const moderationPartSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().min(1) }),
  z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string().min(1) }) }),
]);

export const moderationRequestSchema = z
  .strictObject({
    model: z.string().min(1).optional().meta({ description: 'provider:model id; the offline moderation model when omitted' }),
    input: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1).max(100), z.array(moderationPartSchema).min(1).max(20)])
      .meta({ description: 'A text, up to 100 texts, or text and image parts (one item)' }),
  })
  .meta({ id: 'CreateModerationRequest', examples: [{ input: 'I will hurt you if you come back here.' }] });
export type ModerationRequest = z.output<typeof moderationRequestSchema>;

const perCategory = <T extends z.ZodType>(value: T) => z.record(z.string(), value);

export const moderationResponseSchema = z
  .object({
    id: z.string(),
    model: z.string(),
    results: z.array(
      z.object({
        flagged: z.boolean(),
        categories: perCategory(z.boolean()),
        category_scores: perCategory(z.number()),
        category_applied_input_types: perCategory(z.array(z.enum(['text', 'image']))),
      }),
    ),
  })
  .meta({ id: 'Moderation' });
