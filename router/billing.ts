import Big from 'big.js';
import type { ModelEntry, Pricing } from '../schema/api/models.ts';
import { findBalance } from '../schema/db/queries/ledger.ts';
import { InsufficientBalance, type Reservation } from './ledger/balance-ledger.ts';
import { ApiError } from './errors.ts';
import type { CallContext } from './context.ts';

/** Units a call consumes: model tokens in and out, or one count of the pricing's own unit. */
export interface Units {
  input: number;
  output: number;
}

/** A pricing's rates as exact decimals, parsed once per pricing rather than once per call. */
interface Rates {
  perInputToken: Big;
  perOutputToken: Big;
  perUnit: Big;
}

const ratesByPricing = new WeakMap<Pricing, Rates>();

function ratesOf(pricing: Pricing): Rates {
  let rates = ratesByPricing.get(pricing);
  if (!rates) {
    // Dividing a price of at most a few decimals by a million is exact within big.js's 20 places.
    rates = {
      perInputToken: new Big(pricing.input_per_million ?? '0').div(1_000_000),
      perOutputToken: new Big(pricing.output_per_million ?? '0').div(1_000_000),
      perUnit: new Big(pricing.per_unit ?? '0'),
    };
    ratesByPricing.set(pricing, rates);
  }
  return rates;
}

/** Exact decimal cost in service tokens (big.js: prices go down to 1e-7, no floats for money). */
export function costOf(pricing: Pricing, units: Units): Big {
  const rates = ratesOf(pricing);
  if (pricing.unit === 'token') return rates.perInputToken.times(units.input).plus(rates.perOutputToken.times(units.output));
  return rates.perUnit.times(units.input);
}

const toAmount = (amount: Big) => amount.round(12, Big.roundUp).toFixed(12);
/** A cost at the ledger's scale (12 decimals, rounded up): every amount the ledger moves is exact. */
const ledgerCost = (pricing: Pricing, units: Units) => costOf(pricing, units).round(12, Big.roundUp);

export interface ChargeRequest {
  primitive: string;
  /** The model run, or for primitives priced per call (chunking), their own id and price. */
  model: Pick<ModelEntry, 'id' | 'pricing'>;
  /** The most the call can consume: what is reserved, so the balance can never go negative. */
  upperBound: Units;
  /** A realistic count for the tokens-per-minute budget (OpenAI counts an estimate, not the worst case). */
  rateEstimate: number;
  /** The field to lower when the estimate alone exceeds the key's tokens per minute (default `input`). */
  rateParam?: string;
}

export interface Charge {
  /**
   * Settles to what was really used (never more than reserved) and records the usage; idempotent.
   * In memory: the ledger writes charges in batches, off the latency path.
   */
  settle(used: Units, status: 'succeeded' | 'failed' | 'cancelled' | 'disconnected'): void;
}

function insufficient(balance: string, estimate: Big, model: ChargeRequest['model']): ApiError {
  return new ApiError(
    'insufficient_tokens',
    `Insufficient tokens: this call to ${model.id} may cost up to ${toAmount(estimate)} tokens and the project balance is ${balance}`,
    { details: { balance, estimate: toAmount(estimate), model: model.id }, openAiCode: 'insufficient_quota' },
  );
}

/**
 * Opens the billing of one call: counts its tokens against the key's per-minute budget, then
 * reserves its most possible cost (402 when the balance cannot cover it). Free models reserve
 * nothing. Rejected calls give everything back.
 */
export async function openCharge(ctx: CallContext, request: ChargeRequest): Promise<Charge> {
  const { services, principal } = ctx;
  const { rateLimits: limits, ledger } = services;
  const started = performance.now();
  if (!limits || !ledger) return { settle: (used) => services.metrics.countUsage(request.model.id, used.input, used.output) };

  // Background runs were counted when they were accepted.
  const counted = ctx.background ? undefined : await limits.consume('tokens', principal.keyId, principal.limits.tokensPerMinute, request.rateEstimate, request.rateParam);
  if (counted) Object.assign(ctx.response.headers, counted.headers);
  const reserved = ledgerCost(request.model.pricing, request.upperBound);
  let reservation: Reservation | undefined;
  if (reserved.gt(0)) {
    try {
      reservation = await ledger.reserve(principal.projectId, reserved);
    } catch (error) {
      counted?.giveBack(request.rateEstimate);
      throw error instanceof InsufficientBalance ? insufficient(error.balance, reserved, request.model) : error;
    }
  }

  let settled = false;
  return {
    settle(used, status) {
      if (settled) return;
      settled = true;
      const actual = ledgerCost(request.model.pricing, used);
      // Upper bounds hold for honest upstreams; should one report more, the reservation caps the
      // charge (and a call that reserved nothing is charged nothing).
      const charged = actual.gt(reserved) ? reserved : actual;
      services.metrics.countUsage(request.model.id, used.input, used.output);
      services.metrics.countSpend(request.primitive, charged.toNumber());
      const usage = {
        projectId: principal.projectId,
        keyId: principal.keyId,
        primitive: request.primitive,
        model: request.model.id,
        inputUnits: used.input,
        outputUnits: used.output,
        unit: request.model.pricing.unit,
        tokensCharged: toAmount(charged),
        latencyMs: Math.round(performance.now() - started),
        status,
        requestId: ctx.requestId,
      };
      if (reservation) reservation.settle(usage);
      else ledger.record(usage);
      counted?.giveBack(request.rateEstimate - used.input - used.output);
    },
  };
}

const nothing: Units = { input: 0, output: 0 };

/**
 * Runs a primitive's work under one charge: opened before it (402/429 refuse it unrun), settled
 * to what the result says was used, or to nothing when the work fails or is abandoned.
 */
export async function runCharged<T>(ctx: CallContext, request: ChargeRequest, work: () => Promise<T> | T, used: (result: T) => Units): Promise<T> {
  const charge = await openCharge(ctx, request);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    charge.settle(nothing, ctx.signal.aborted ? 'cancelled' : 'failed');
    throw error;
  }
  charge.settle(used(result), 'succeeded');
  return result;
}

/**
 * The first part of a stream the charge pays for: a stream that fails before it starts settles
 * to nothing and fails as an ordinary error response, not as an event in a 200 stream.
 */
export async function firstPart<T>(iterator: AsyncIterator<T>, charge: Charge): Promise<IteratorResult<T>> {
  try {
    return await iterator.next();
  } catch (error) {
    charge.settle(nothing, 'failed');
    throw error;
  }
}

/** For `async: true`: refuse at request time what the balance could not pay when the work runs. */
export async function checkAffordable(ctx: CallContext, request: ChargeRequest): Promise<void> {
  if (!ctx.services.rateLimits) return;
  const estimate = costOf(request.model.pricing, request.upperBound);
  if (estimate.lte(0)) return;
  const balance = await findBalance(ctx.services.db, ctx.principal.projectId);
  if (new Big(balance).lt(estimate)) throw insufficient(balance, estimate, request.model);
}
