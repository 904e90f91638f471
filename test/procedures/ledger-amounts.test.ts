import Big from 'big.js';
import { describe, expect, it } from 'vitest';
import { divideRoundingUp, formatAmount, parseAmount, parseDecimal } from '../../schema/db/amount.ts';
import { costOf } from '../../accounts/billing.ts';

/** The ledger's in-memory amounts are bigint picotokens: they must agree with decimal arithmetic to the last digit. */
describe('ledger amounts', () => {
  it('reads and writes numeric text exactly, at 12 decimals', () => {
    for (const text of ['0.000000000000', '0.000000000001', '12.500000000000', '-3.000000000007', '99999999999999999999999999.999999999999']) {
      expect(formatAmount(parseAmount(text))).toBe(text);
    }
    expect(parseAmount('7')).toBe(7_000_000_000_000n);
    expect(parseAmount('.5')).toBe(500_000_000_000n);
  });

  it('rounds digits beyond the scale up, never down', () => {
    expect(parseDecimal('0.0000000000001', 12)).toBe(1n);
    expect(parseDecimal('0.0000000000010', 12)).toBe(1n);
    expect(parseDecimal('-0.0000000000019', 12)).toBe(-1n);
    expect(divideRoundingUp(1n, 1_000_000n)).toBe(1n);
    expect(divideRoundingUp(2_000_000n, 1_000_000n)).toBe(2n);
    expect(() => parseDecimal('1e5', 12)).toThrow(/not a decimal/);
  });

  it('prices calls exactly as decimal arithmetic rounded up to 12 decimals', () => {
    const cases = [
      { pricing: { unit: 'token' as const, input_per_million: '0.15', output_per_million: '0.6' }, units: { input: 1234, output: 16 } },
      { pricing: { unit: 'token' as const, input_per_million: '0.0000001', output_per_million: '3' }, units: { input: 7, output: 999_999_937 } },
      { pricing: { unit: 'token' as const, input_per_million: '123456.789012345678' }, units: { input: 3, output: 5 } },
      { pricing: { unit: 'image' as const, per_unit: '0.04' }, units: { input: 3, output: 0 } },
      { pricing: { unit: 'call' as const, per_unit: '0.0000000000003' }, units: { input: 1, output: 0 } },
      // Whole picotoken rates priced as doubles: fractional counts, and sums on both sides of 2^53 picotokens.
      { pricing: { unit: 'token' as const, input_per_million: '2.5', output_per_million: '10' }, units: { input: 2.2, output: 0.5 } },
      { pricing: { unit: 'token' as const, input_per_million: '1000', output_per_million: '0.000001' }, units: { input: 9_007_199, output: 254_740_991 } },
      { pricing: { unit: 'token' as const, input_per_million: '1000', output_per_million: '0.000001' }, units: { input: 9_007_199, output: 254_740_993 } },
      { pricing: { unit: 'token' as const, input_per_million: '999999.999999', output_per_million: '0' }, units: { input: 1e12, output: 0 } },
      { pricing: { unit: 'audio_second' as const, per_unit: '0.000000000001' }, units: { input: 2 ** 53 + 2, output: 0 } },
      { pricing: { unit: 'image' as const, per_unit: '7' }, units: { input: 1287, output: 0 } },
    ];
    for (const { pricing, units: reported } of cases) {
      // A fraction of a unit counts as the next whole one.
      const units = { input: Math.ceil(reported.input), output: Math.ceil(reported.output) };
      const exact =
        pricing.unit === 'token'
          ? new Big(pricing.input_per_million ?? '0').times(units.input).plus(new Big(pricing.output_per_million ?? '0').times(units.output)).div(1_000_000)
          : new Big(pricing.per_unit ?? '0').times(units.input);
      expect(formatAmount(costOf(pricing, reported))).toBe(exact.round(12, Big.roundUp).toFixed(12));
    }
  });
});
