import { wholeUnits } from './amount.ts';

/**
 * The settled calls of one usage group, one array per field in the order the calls settled:
 * nothing is allocated per call but the array slots, and a group is written as one row whose
 * columns are these arrays, sent as Postgres array literals (the cheapest input Postgres has for
 * them: no JSON to parse per call).
 */
export class UsageCalls {
  readonly inputUnits: number[] = [];
  readonly outputUnits: number[] = [];
  /** Picotokens: numbers where a double holds them exactly, digits beyond. */
  readonly charged: (number | string)[] = [];
  readonly latencyMs: number[] = [];
  readonly status: string[] = [];
  readonly requestId: string[] = [];

  get length(): number {
    return this.requestId.length;
  }

  /**
   * Units are stored as they are charged (whole, never negative), at most 2^53 - 1 (written as
   * digits, within the columns' bigint): a value the columns refused would fail its batch's write,
   * and a failed batch is retried whole with every later one.
   */
  push(inputUnits: number, outputUnits: number, charged: number | string, latencyMs: number, status: string, requestId: string): void {
    this.inputUnits.push(storedUnits(inputUnits));
    this.outputUnits.push(storedUnits(outputUnits));
    this.charged.push(charged);
    this.latencyMs.push(latencyMs);
    this.status.push(status);
    this.requestId.push(requestId);
  }

  /** Appends every call of `other` (already whole), keeping their order. */
  append(other: UsageCalls): void {
    appendAll(this.inputUnits, other.inputUnits);
    appendAll(this.outputUnits, other.outputUnits);
    appendAll(this.charged, other.charged);
    appendAll(this.latencyMs, other.latencyMs);
    appendAll(this.status, other.status);
    appendAll(this.requestId, other.requestId);
  }

  /** Each field's column as a Postgres array literal. */
  toArrayLiterals(): Record<'inputUnits' | 'outputUnits' | 'charged' | 'latencyMs' | 'status' | 'requestId', string> {
    return {
      inputUnits: integerArrayLiteral(this.inputUnits),
      outputUnits: integerArrayLiteral(this.outputUnits),
      charged: integerArrayLiteral(this.charged),
      latencyMs: integerArrayLiteral(this.latencyMs),
      status: textArrayLiteral(this.status),
      requestId: textArrayLiteral(this.requestId),
    };
  }
}

const storedUnits = (units: number) => Math.min(wholeUnits(units), Number.MAX_SAFE_INTEGER);

/** A loop rather than `push(...values)`, which would pass a whole column as arguments. */
function appendAll<T>(into: T[], values: readonly T[]): void {
  for (const value of values) into.push(value);
}

/** `{1,2,3}`: safe integers print without exponent, and digits as they are. */
const integerArrayLiteral = (values: readonly (number | string)[]) => `{${values.join(',')}}`;

/** `{"a","b"}`: every element quoted, `"` and `\` escaped, so no text can be read as syntax or NULL. */
function textArrayLiteral(values: readonly string[]): string {
  let literal = '{';
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    if (index > 0) literal += ',';
    literal += `"${/["\\]/.test(value) ? value.replace(/["\\]/g, '\\$&') : value}"`;
  }
  return `${literal}}`;
}
