import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { describeCode, sendError } from '../error-responses.ts';
import type { ServiceMetrics } from './metrics.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `GET /metrics` in the Prometheus text format. With METRICS_TOKEN set, only
 * `Authorization: Bearer <METRICS_TOKEN>` may read it (a token apart from API keys: scrapers
 * hold no project's key); compared in constant time.
 */
export function metricsRoute(metrics: ServiceMetrics, token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  return async (req, res) => {
    if (expected) {
      const sent = req.headers.authorization;
      if (!sent || !timingSafeEqual(digest(sent), expected)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        sendError(req, res, describeCode('unauthorized', 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"'));
        return;
      }
    }
    const { contentType, body } = await metrics.scrape();
    res.setHeader('Cache-Control', 'no-store');
    res.type(contentType).send(body);
  };
}
