import { z } from 'zod';

/** Where a primitive reads an input object from, or writes its result to. */
export const storageRefSchema = z
  .object({ bucket_id: z.string().min(1), key: z.string().min(1).max(1024) })
  .meta({ id: 'StorageRef' });

/** Fields every primitive that can run in the background accepts. */
export const asyncFields = {
  async: z.boolean().default(false).meta({ description: 'Run in the background and answer 202 with an operation' }),
  result_destination: storageRefSchema.optional().meta({ description: 'Also write the result to this storage object' }),
  webhook_topic: z.string().min(1).max(200).optional().meta({ description: 'Send ai.operation.* events to endpoints subscribed to this topic' }),
};

/**
 * A field of OpenAI's request for something this service does not offer: accepted absent, null or
 * at its neutral value, refused otherwise with `why`, the truth (never "unknown field").
 */
export function unofferedField<T extends z.ZodType>(schema: T, why: string, isNeutral: (value: z.output<T>) => boolean = () => false) {
  return schema
    .nullish()
    .refine((value) => value === undefined || value === null || isNeutral(value as z.output<T>), { message: why })
    .meta({ description: `Not offered here: ${why}` });
}
