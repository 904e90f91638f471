import { gunzipSync } from 'node:zlib';
import { sendJson, startFakeUpstream, type FakeUpstream } from './fake-upstream-server.ts';

/** A span as an OTLP/HTTP protobuf export carries it (the fields tests look at). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  statusCode: number;
}

export interface FakeOtlpCollector extends FakeUpstream {
  spans(): ReceivedSpan[];
}

/** Reads protobuf wire format: each field of a message as its number and raw value. */
function* fields(bytes: Buffer): Generator<{ field: number; value: bigint | Buffer }> {
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (offset < bytes.length) {
    const tag = Number(varint());
    const field = tag >>> 3;
    switch (tag & 7) {
      case 0:
        yield { field, value: varint() };
        break;
      case 1:
        yield { field, value: bytes.subarray(offset, (offset += 8)) };
        break;
      case 2: {
        const length = Number(varint());
        yield { field, value: bytes.subarray(offset, (offset += length)) };
        break;
      }
      case 5:
        yield { field, value: bytes.subarray(offset, (offset += 4)) };
        break;
      default:
        throw new Error(`unsupported protobuf wire type in tag ${tag}`);
    }
  }
}

const messages = (bytes: Buffer, wanted: number) => [...fields(bytes)].filter(({ field }) => field === wanted).map(({ value }) => value as Buffer);

/** opentelemetry.proto.common.v1.AnyValue: string, bool, int or double. */
function anyValue(bytes: Buffer): string | number | boolean {
  for (const { field, value } of fields(bytes)) {
    if (field === 1) return (value as Buffer).toString('utf8');
    if (field === 2) return value === 1n;
    if (field === 3) return Number(BigInt.asIntN(64, value as bigint));
    if (field === 4) return (value as Buffer).readDoubleLE(0);
  }
  return '';
}

/** opentelemetry.proto.trace.v1.Span. */
function decodeSpan(bytes: Buffer): ReceivedSpan {
  const span: ReceivedSpan = { traceId: '', spanId: '', parentSpanId: '', name: '', kind: 0, attributes: {}, statusCode: 0 };
  for (const { field, value } of fields(bytes)) {
    if (field === 1) span.traceId = (value as Buffer).toString('hex');
    else if (field === 2) span.spanId = (value as Buffer).toString('hex');
    else if (field === 4) span.parentSpanId = (value as Buffer).toString('hex');
    else if (field === 5) span.name = (value as Buffer).toString('utf8');
    else if (field === 6) span.kind = Number(value);
    else if (field === 9) {
      const pair = [...fields(value as Buffer)];
      const key = (pair.find(({ field: number }) => number === 1)!.value as Buffer).toString('utf8');
      const attribute = pair.find(({ field: number }) => number === 2);
      span.attributes[key] = attribute ? anyValue(attribute.value as Buffer) : '';
    } else if (field === 15) {
      for (const status of fields(value as Buffer)) if (status.field === 3) span.statusCode = Number(status.value);
    }
  }
  return span;
}

/**
 * An OpenTelemetry collector's OTLP/HTTP trace endpoint on loopback: decodes each
 * ExportTraceServiceRequest (protobuf) the service posts to /v1/traces.
 */
export async function startFakeOtlpCollector(): Promise<FakeOtlpCollector> {
  const received: ReceivedSpan[] = [];
  const fake = await startFakeUpstream((request, res) => {
    if (request.url !== '/v1/traces' || request.headers['content-type'] !== 'application/x-protobuf') return sendJson(res, 415, {});
    const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(request.raw) : request.raw;
    for (const resourceSpans of messages(body, 1)) {
      for (const scopeSpans of messages(resourceSpans, 2)) received.push(...messages(scopeSpans, 2).map(decodeSpan));
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
  return { ...fake, spans: () => [...received] };
}
