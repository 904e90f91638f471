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

  push(inputUnits: number, outputUnits: number, charged: number | string, latencyMs: number, status: string, requestId: string): void {
    this.inputUnits.push(wholeUnits(inputUnits));
    this.outputUnits.push(wholeUnits(outputUnits));
    this.charged.push(charged);
    this.latencyMs.push(latencyMs);
    this.status.push(status);
    this.requestId.push(requestId);
  }

  /** Appends every call of `other`, keeping their order. */
  append(other: UsageCalls): void {
    for (let index = 0; index < other.length; index++) {
      this.push(other.inputUnits[index]!, other.outputUnits[index]!, other.charged[index]!, other.latencyMs[index]!, other.status[index]!, other.requestId[index]!);
    }
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

/**
 * Units as the columns hold them: whole (a fraction counts as the next whole unit, as it is
 * charged) and never negative. A value the columns refuse would fail its batch's write, and the
 * batch is retried whole, so it must not get that far.
 */
const wholeUnits = (units: number) => (units > 0 ? Math.min(Math.ceil(units), Number.MAX_SAFE_INTEGER) : 0);

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
