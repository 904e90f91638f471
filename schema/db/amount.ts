/**
 * Token amounts as the ledger holds and sums them in memory: whole picotokens (10^-12 tokens,
 * the 12 decimals of its numeric columns) in a bigint. Exact like a decimal library, at the cost
 * of native integer arithmetic: the hot path adds and compares these on every call.
 */
export type Amount = bigint;

export const ledgerDecimals = 12;

/** The largest amount a double holds exactly (2^53 - 1 picotokens, about 9,007 tokens). */
export const largestExactDouble = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A count of units as it is charged and recorded: a fraction counts as the next whole unit; a
 * negative count, or one that is not a number, counts as none.
 */
export const wholeUnits = (units: number): number => (units > 0 ? Math.ceil(units) : 0);

const powersOfTen = Array.from({ length: 40 }, (_, exponent) => 10n ** BigInt(exponent));
/** 10^exponent, from a table: the hot path never exponentiates. */
export const tenTo = (exponent: number): bigint => powersOfTen[exponent] ?? 10n ** BigInt(exponent);

/**
 * A non-negative or negative decimal string as an integer count of 10^-decimals, rounding any
 * further digits up (toward +infinity), as the ledger rounds every cost.
 */
export function parseDecimal(text: string, decimals: number): bigint {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match || (match[2] === '' && !match[3])) throw new Error(`not a decimal amount: ${JSON.stringify(text)}`);
  const [, sign, whole, fraction = ''] = match;
  const kept = fraction.slice(0, decimals).padEnd(decimals, '0');
  let value = BigInt(whole || '0') * tenTo(decimals) + BigInt(kept || '0');
  const dropped = /[1-9]/.test(fraction.slice(decimals));
  if (sign === '-') value = -value;
  // Dropped digits round up: away from zero when positive, toward zero when negative.
  if (dropped && sign !== '-') value += 1n;
  return value;
}

export const parseAmount = (text: string): Amount => parseDecimal(text, ledgerDecimals);

/** An amount as the ledger's numeric text: always 12 decimals, e.g. `0.000002250000`. */
export function formatAmount(amount: Amount): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(ledgerDecimals + 1, '0');
  const point = digits.length - ledgerDecimals;
  return `${negative ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** `numerator / denominator` rounded up, for non-negative operands. */
export const divideRoundingUp = (numerator: bigint, denominator: bigint): bigint => (numerator + denominator - 1n) / denominator;
