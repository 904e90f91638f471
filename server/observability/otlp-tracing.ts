import { SpanKind, SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { RequestHandler } from 'express';
import type { LogEvent } from 'kysely';
import { exchangeOf } from '../http/exchange.ts';
import { failureReason, type ModelCallObserver } from './model-calls.ts';

/** Records a failure on a span: its kind, never its message (which may quote a prompt). */
function fail(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: failureReason(error) });
  span.setAttribute('error.type', failureReason(error));
}

/**
 * OTLP/HTTP (protobuf) export of: a server span per request, named by method and route
 * template; a child span per model call (`upstream <operation>` or `local <operation>`); a child
 * span per database query (its parameterised SQL, never the values). Loaded only when configured,
 * by server/observability/tracing.ts, which holds the result as its `Tracing`.
 */
export function startOtlpTracing(options: { endpoint: string; serviceName: string }) {
  // One context manager per process; a second server in the same process shares it.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` }) })],
  });
  const tracer = provider.getTracer('ai-primitives');

  const requests: RequestHandler = (req, res, next) => {
    const span = tracer.startSpan(req.method, {
      kind: SpanKind.SERVER,
      // The route template is added at the end; the raw path is not recorded (it can name storage keys).
      attributes: { 'http.request.method': req.method },
    });
    const active = trace.setSpan(context.active(), span);
    // Body parsers continue from stream events, which would otherwise lose the request's context.
    context.bind(active, req);
    context.bind(active, res);
    const end = () => {
      const route = exchangeOf(res)?.log.route;
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('close', end);
    context.with(active, next);
  };

  const modelCalls: ModelCallObserver = {
    start(call) {
      const local = call.provider === 'local';
      const span = tracer.startSpan(`${local ? 'local' : 'upstream'} ${call.operation}`, {
        kind: local ? SpanKind.INTERNAL : SpanKind.CLIENT,
        attributes: { 'gen_ai.provider.name': call.provider, 'gen_ai.request.model': call.model, 'gen_ai.operation.name': call.operation },
      });
      return {
        end(error) {
          if (error !== undefined) fail(span, error);
          span.end();
        },
      };
    },
  };

  // Kysely reports a query once it has finished: the span is drawn back to when it began. Only
  // queries made for a request are traced (not migrations or the worker's bookkeeping).
  const databaseQueries = (event: LogEvent) => {
    if (!trace.getSpan(context.active())) return;
    const now = Date.now();
    const span = tracer.startSpan('db.query', {
      kind: SpanKind.CLIENT,
      startTime: now - event.queryDurationMillis,
      attributes: { 'db.system.name': 'postgresql', 'db.query.text': event.query.sql },
    });
    if (event.level === 'error') fail(span, event.error);
    span.end(now);
  };

  return {
    requests,
    modelCalls,
    databaseQueries,
    async close() {
      await provider.shutdown();
    },
  };
}
