import type { ModelEntry, Pricing } from '../schema/api/models.ts';
import { findBalance } from '../schema/db/queries/ledger.ts';
import { InsufficientBalance, type BalanceLedger, type Reservation } from './ledger/balance-ledger.ts';
import type { Counted, RateCounts, RateLimits } from './rate-limits.ts';
import { divideRoundingUp, formatAmount, largestExactDouble, wholeUnits, ledgerDecimals, parseAmount, parseDecimal, tenTo, type Amount } from '../schema/db/amount.ts';
import { AccountError } from './account-error.ts';
import { DatabaseUnavailableError } from '../schema/db/unavailable.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../schema/db/types.ts';
import type { Principal } from './key-store.ts';

/** Where billed usage is counted for monitoring (the Prometheus counters). */
export interface UsageMeter {
  countUsage(modelId: string, input: number, output: number): void;
  countSpend(primitive: string, tokens: number): void;
}

/**
 * What billing reads of the call it charges: the tRPC core's call context has all of it, and the
 * domain names only this, so it never depends on the layer above it.
 */
export interface ChargeContext {
  services: {
    db: Kysely<Database>;
    /** Both absent when limits are off: calls are then counted in the metrics only. */
    rateLimits: RateLimits | undefined;
    ledger: BalanceLedger | undefined;
    metrics: UsageMeter;
  };
  principal: Principal;
  requestId: string;
  signal: AbortSignal;
  /** The budgets the answer's rate-limit headers report. */
  response: { rateLimits: RateCounts };
  /** Present for a background run: its tokens were counted when it was accepted. */
  background?: unknown;
}

/** Units a call consumes: model tokens in and out, or one count of the pricing's own unit. */
export interface Units {
  input: number;
  output: number;
  /** Counted by the service (no usage reported, no tokenizer for the model) rather than reported by the model; its record says so. */
  estimated?: boolean;
}

/** A pricing's rates in 10^-18 tokens, parsed once per pricing rather than once per call. */
interface Rates {
  perMillionInput: bigint;
  perMillionOutput: bigint;
  perUnit: bigint;
  /**
   * The same rates in whole picotokens per token (or unit), when they are whole (prices of up to
   * six decimals per million tokens, twelve per unit): as doubles their products are exact
   * integers below 2^53, so most calls are priced without bigint arithmetic.
   */
  wholeInput: number | undefined;
  wholeOutput: number | undefined;
  wholeUnit: number | undefined;
}

const rateDecimals = 18;
/** From a rate at 10^-18 times a count to an amount at 10^-12: per million units, and per unit. */
const perMillionAtRateScale = tenTo(rateDecimals - ledgerDecimals + 6);
const perUnitAtRateScale = tenTo(rateDecimals - ledgerDecimals);
const ratesByPricing = new WeakMap<Pricing, Rates>();

/** `rate / scale` as a double when it is a whole number a double holds exactly. */
const whole = (rate: bigint, scale: bigint): number | undefined => (rate % scale === 0n && rate / scale <= largestExactDouble ? Number(rate / scale) : undefined);

function ratesOf(pricing: Pricing): Rates {
  let rates = ratesByPricing.get(pricing);
  if (!rates) {
    const perMillionInput = parseDecimal(pricing.input_per_million ?? '0', rateDecimals);
    const perMillionOutput = parseDecimal(pricing.output_per_million ?? '0', rateDecimals);
    const perUnit = parseDecimal(pricing.per_unit ?? '0', rateDecimals);
    rates = {
      perMillionInput,
      perMillionOutput,
      perUnit,
      wholeInput: whole(perMillionInput, perMillionAtRateScale),
      wholeOutput: whole(perMillionOutput, perMillionAtRateScale),
      wholeUnit: whole(perUnit, perUnitAtRateScale),
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
    const { wholeInput, wholeOutput } = rates;
    if (wholeInput !== undefined && wholeOutput !== undefined) {
      // Non-negative whole terms: when the sum is below 2^53 every step was exact; else it shows.
      const cost = wholeUnits(units.input) * wholeInput + wholeUnits(units.output) * wholeOutput;
      if (cost <= Number.MAX_SAFE_INTEGER) return BigInt(cost);
    }
    return divideRoundingUp(bigCount(units.input) * rates.perMillionInput + bigCount(units.output) * rates.perMillionOutput, perMillionAtRateScale);
  }
  if (rates.wholeUnit !== undefined) {
    const cost = wholeUnits(units.input) * rates.wholeUnit;
    if (cost <= Number.MAX_SAFE_INTEGER) return BigInt(cost);
  }
  return divideRoundingUp(bigCount(units.input) * rates.perUnit, perUnitAtRateScale);
}

/** Units are whole (tokens, calls, seconds rounded up by their primitive); `wholeUnits` says how any other count is taken. */
const bigCount = (units: number): bigint => BigInt(wholeUnits(units));

export interface ChargeRequest {
  primitive: string;
  /** The model run, or for primitives priced per call (chunking), their own id and price. */
  model: Pick<ModelEntry, 'id' | 'pricing'>;
  /**
   * The most the call should consume: what is reserved. Usage reported beyond it is still charged
   * in full (the balance then goes below zero by the overshoot, and the next call gets 402).
   */
  upperBound: Units;
  /** A realistic count for the tokens-per-minute budget (OpenAI counts an estimate, not the worst case). */
  rateEstimate: number;
  /** The field to lower when the estimate alone exceeds the key's tokens per minute (default `input`). */
  rateParam?: string;
}

export interface Charge {
  /**
   * Settles to what was really used, beyond the reservation if need be, and records the usage;
   * idempotent. Resolves to true once the charge and the record are written (the ledger's group
   * commit), false if that took too long: an answer that carries the result waits for it
   * (`whenRecorded`). Never rejects.
   */
  settle(used: Units, status: 'succeeded' | 'failed' | 'cancelled' | 'disconnected'): Promise<boolean>;
}

/**
 * Waits for a settled call's record to be written, so no answer is released without it. While the
 * database is away the write is retried; past the ledger's `recordWaitMs` the answer is a 503 (its
 * record is still written, and the call charged, when the database is back: the work was done).
 */
export async function whenRecorded(written: Promise<boolean>): Promise<void> {
  if (!(await written)) throw new DatabaseUnavailableError('the usage record of this call could not be written in time');
}

function insufficient(balance: string, estimate: Amount, model: ChargeRequest['model']): AccountError {
  return new AccountError(
    'insufficient_tokens',
    `Insufficient tokens: this call to ${model.id} may cost up to ${formatAmount(estimate)} tokens and the project balance is ${balance}`,
    { details: { balance, estimate: formatAmount(estimate), model: model.id }, openAiCode: 'insufficient_quota' },
  );
}

/**
 * Opens the billing of one call: counts its tokens against the key's per-minute budget, then
 * reserves its most possible cost (402 when the balance cannot cover it). Free models reserve
 * nothing. Rejected calls give everything back. No promise when this process's leases cover the
 * call (the usual case): callers may `await` it either way.
 */
export function openCharge(ctx: ChargeContext, request: ChargeRequest): Charge | Promise<Charge> {
  const { services, principal } = ctx;
  const { rateLimits: limits, ledger } = services;
  if (!limits || !ledger) {
    return {
      settle: (used) => {
        services.metrics.countUsage(request.model.id, used.input, used.output);
        return Promise.resolve(true);
      },
    };
  }
  const started = performance.now();
  // Background runs were counted when they were accepted.
  if (ctx.background) return reserveCost(ctx, request, ledger, started, undefined);
  const { keyId } = principal;
  const { tokensPerMinute } = principal.limits;
  const counted = limits.tryConsume('tokens', keyId, tokensPerMinute, request.rateEstimate);
  if (counted) return reserveCost(ctx, request, ledger, started, counted);
  return limits.consume('tokens', keyId, tokensPerMinute, request.rateEstimate, request.rateParam).then((fromStore) => reserveCost(ctx, request, ledger, started, fromStore));
}

function reserveCost(ctx: ChargeContext, request: ChargeRequest, ledger: BalanceLedger, started: number, counted: Counted | undefined): Charge | Promise<Charge> {
  if (counted) ctx.response.rateLimits.tokens = counted;
  const reserved = costOf(request.model.pricing, request.upperBound);
  if (reserved <= 0n) return new MeteredCall(ctx, request, ledger, started, counted, reserved, undefined);
  const { projectId } = ctx.principal;
  const reservation = ledger.tryReserve(projectId, reserved);
  if (reservation) return new MeteredCall(ctx, request, ledger, started, counted, reserved, reservation);
  return ledger.reserve(projectId, reserved).then(
    (fromStore) => new MeteredCall(ctx, request, ledger, started, counted, reserved, fromStore),
    (error: unknown) => {
      counted?.giveBack(request.rateEstimate);
      throw error instanceof InsufficientBalance ? insufficient(error.balance, reserved, request.model) : error;
    },
  );
}

/** A call's open charge: what it counted and reserved, until it settles (once). */
class MeteredCall implements Charge {
  readonly #ctx: ChargeContext;
  readonly #request: ChargeRequest;
  readonly #ledger: BalanceLedger;
  readonly #counted: Counted | undefined;
  readonly #reserved: Amount;
  readonly #reservation: Reservation | undefined;
  readonly #started: number;
  #written: Promise<boolean> | undefined;

  constructor(ctx: ChargeContext, request: ChargeRequest, ledger: BalanceLedger, started: number, counted: Counted | undefined, reserved: Amount, reservation: Reservation | undefined) {
    this.#ctx = ctx;
    this.#request = request;
    this.#ledger = ledger;
    this.#started = started;
    this.#counted = counted;
    this.#reserved = reserved;
    this.#reservation = reservation;
  }

  settle(used: Units, status: 'succeeded' | 'failed' | 'cancelled' | 'disconnected'): Promise<boolean> {
    if (this.#written) return this.#written;
    const { principal, services, requestId } = this.#ctx;
    const { primitive, model, rateEstimate } = this.#request;
    // What was used is charged, even beyond the reservation (an upstream counting tokens the
    // bound did not foresee): the slice, and so the balance, may go below zero by that overshoot,
    // and the project's next call that the balance cannot cover gets 402.
    const charged = costOf(model.pricing, used);
    services.metrics.countUsage(model.id, used.input, used.output);
    services.metrics.countSpend(primitive, Number(charged) / 1e12);
    const usage = {
      projectId: principal.projectId,
      keyId: principal.keyId,
      primitive,
      model: model.id,
      inputUnits: used.input,
      outputUnits: used.output,
      unit: model.pricing.unit,
      estimated: used.estimated === true,
      charged,
      latencyMs: Math.round(performance.now() - this.#started),
      status,
      requestId,
    };
    this.#written = this.#reservation ? this.#reservation.settle(usage) : this.#ledger.record(usage);
    this.#counted?.giveBack(rateEstimate - used.input - used.output);
    return this.#written;
  }
}

const nothing: Units = { input: 0, output: 0 };

/**
 * Runs a primitive's work under one charge: opened before it (402/429 refuse it unrun), settled
 * to what the result says was used, or to nothing when the work fails or is abandoned. The result
 * is returned once its usage record is written.
 */
export async function runCharged<T>(ctx: ChargeContext, request: ChargeRequest, work: () => Promise<T> | T, used: (result: T) => Units): Promise<T> {
  const opened = openCharge(ctx, request);
  const charge = opened instanceof Promise ? await opened : opened;
  let result: T;
  try {
    result = await work();
  } catch (error) {
    void charge.settle(nothing, ctx.signal.aborted ? 'cancelled' : 'failed');
    throw error;
  }
  await whenRecorded(charge.settle(used(result), 'succeeded'));
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
    void charge.settle(nothing, 'failed');
    throw error;
  }
}

/** For `async: true`: refuse at request time what the balance could not pay when the work runs. */
export async function checkAffordable(ctx: ChargeContext, request: ChargeRequest): Promise<void> {
  if (!ctx.services.rateLimits) return;
  const estimate = costOf(request.model.pricing, request.upperBound);
  if (estimate <= 0n) return;
  const balance = await findBalance(ctx.services.db, ctx.principal.projectId);
  if (parseAmount(balance) < estimate) throw insufficient(balance, estimate, request.model);
}
