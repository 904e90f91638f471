import type { ModelEntry, Pricing } from '../schema/api/models.ts';
import { findBalance } from '../schema/db/queries/ledger.ts';
import { InsufficientBalance, type Reservation } from './ledger/balance-ledger.ts';
import { divideRoundingUp, formatAmount, ledgerDecimals, parseAmount, parseDecimal, tenTo, type Amount } from '../schema/db/amount.ts';
import { ApiError } from './errors.ts';
import type { CallContext } from './context.ts';

/** Units a call consumes: model tokens in and out, or one count of the pricing's own unit. */
export interface Units {
  input: number;
  output: number;
}

/** A pricing's rates in 10^-18 tokens, parsed once per pricing rather than once per call. */
interface Rates {
  perMillionInput: bigint;
  perMillionOutput: bigint;
  perUnit: bigint;
}

const rateDecimals = 18;
/** From a rate at 10^-18 times a count to an amount at 10^-12: per million units, and per unit. */
const perMillionAtRateScale = tenTo(rateDecimals - ledgerDecimals + 6);
const perUnitAtRateScale = tenTo(rateDecimals - ledgerDecimals);
const ratesByPricing = new WeakMap<Pricing, Rates>();

function ratesOf(pricing: Pricing): Rates {
  let rates = ratesByPricing.get(pricing);
  if (!rates) {
    rates = {
      perMillionInput: parseDecimal(pricing.input_per_million ?? '0', rateDecimals),
      perMillionOutput: parseDecimal(pricing.output_per_million ?? '0', rateDecimals),
      perUnit: parseDecimal(pricing.per_unit ?? '0', rateDecimals),
    };
    ratesByPricing.set(pricing, rates);
  }
  return rates;
}

/**
 * Exact cost in service tokens at the ledger's scale (12 decimals), rounded up: a price per
 * million tokens at 10^-18 times a count, divided by a million, is the cost at 10^-12 when the
 * product is divided by 10^12. Exact for prices of up to 18 decimals (finer ones round up).
 */
export function costOf(pricing: Pricing, units: Units): Amount {
  const rates = ratesOf(pricing);
  if (pricing.unit === 'token') {
    return divideRoundingUp(count(units.input) * rates.perMillionInput + count(units.output) * rates.perMillionOutput, perMillionAtRateScale);
  }
  return divideRoundingUp(count(units.input) * rates.perUnit, perUnitAtRateScale);
}

/** Units are whole (tokens, calls, seconds rounded up by their primitive); a fraction would count as the next whole. */
const count = (units: number): bigint => BigInt(Math.max(0, Math.ceil(units)));

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

function insufficient(balance: string, estimate: Amount, model: ChargeRequest['model']): ApiError {
  return new ApiError(
    'insufficient_tokens',
    `Insufficient tokens: this call to ${model.id} may cost up to ${formatAmount(estimate)} tokens and the project balance is ${balance}`,
    { details: { balance, estimate: formatAmount(estimate), model: model.id }, openAiCode: 'insufficient_quota' },
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
  const { keyId } = principal;
  const { tokensPerMinute } = principal.limits;
  const counted = ctx.background
    ? undefined
    : (limits.tryConsume('tokens', keyId, tokensPerMinute, request.rateEstimate) ?? (await limits.consume('tokens', keyId, tokensPerMinute, request.rateEstimate, request.rateParam)));
  if (counted) Object.assign(ctx.response.headers, counted.headers);
  const reserved = costOf(request.model.pricing, request.upperBound);
  let reservation: Reservation | undefined;
  if (reserved > 0n) {
    try {
      reservation = ledger.tryReserve(principal.projectId, reserved) ?? (await ledger.reserve(principal.projectId, reserved));
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
      const actual = costOf(request.model.pricing, used);
      // Upper bounds hold for honest upstreams; should one report more, the reservation caps the
      // charge (and a call that reserved nothing is charged nothing).
      const charged = actual > reserved ? reserved : actual;
      services.metrics.countUsage(request.model.id, used.input, used.output);
      services.metrics.countSpend(request.primitive, Number(charged) / 1e12);
      const usage = {
        projectId: principal.projectId,
        keyId: principal.keyId,
        primitive: request.primitive,
        model: request.model.id,
        inputUnits: used.input,
        outputUnits: used.output,
        unit: request.model.pricing.unit,
        tokensCharged: formatAmount(charged),
        latencyMs: Math.round(performance.now() - started),
        status,
        requestId: ctx.requestId,
      };
      if (reservation) reservation.settle(usage, charged);
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
  if (estimate <= 0n) return;
  const balance = await findBalance(ctx.services.db, ctx.principal.projectId);
  if (parseAmount(balance) < estimate) throw insufficient(balance, estimate, request.model);
}
