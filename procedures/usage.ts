import Big from 'big.js';
import { defineNativeQuery } from '../router/primitive.ts';
import { findBalance, listRecentUsage } from '../schema/db/queries/ledger.ts';
import { usageInputSchema, usageSchema } from '../schema/api/usage.ts';

const decimal = (value: string) => new Big(value).toFixed();

/** The caller's project: its token balance and its most recent calls; and the calling key's scopes and limits. */
export const usageProcedure = defineNativeQuery({
  scope: 'ai:read',
  tag: 'Usage',
  errorStatuses: [401, 403, 429],
  run: async (limit: number, ctx) => {
    const [balance, records] = await Promise.all([
      findBalance(ctx.services.db, ctx.principal.projectId),
      listRecentUsage(ctx.services.db, ctx.principal.projectId, limit),
    ]);
    return {
      project_id: ctx.principal.projectId,
      balance: decimal(balance),
      recent: records.map((record) => ({
        primitive: record.primitive,
        model: record.model,
        key_id: record.key_id,
        input_units: Number(record.input_units),
        output_units: Number(record.output_units),
        unit: record.unit,
        tokens_charged: decimal(record.tokens_charged),
        latency_ms: record.latency_ms,
        status: record.status,
        request_id: record.request_id,
        created_at: record.created_at.toISOString(),
        estimated: record.estimated,
      })),
      key: {
        id: ctx.principal.keyId,
        scopes: [...ctx.principal.scopes],
        rate_limits: { requests_per_minute: ctx.principal.limits.requestsPerMinute, tokens_per_minute: ctx.principal.limits.tokensPerMinute },
      },
    };
  },
  route: {
    path: '/infra/ai/usage',
    summary: 'Get balance and usage',
    description:
      "The project's token balance and its most recent calls: primitive, model, units, tokens charged, latency, status; " +
      'and the calling key: its scopes and its requests and tokens per minute.',
    input: usageInputSchema,
    toArgs: (input) => input.limit,
    output: usageSchema,
    toOutput: (usage) => usage,
  },
});
