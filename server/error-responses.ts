import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { buildErrorBody, describeError, errorCodes, routeTreeOf, type ApiErrorCode, type ErrorDescription } from '../router/errors.ts';
import { localsOf } from './request-lifecycle.ts';
import { isDatabaseUnavailable } from '../schema/db/unavailable.ts';

export function sendError(req: Request, res: Response, error: ErrorDescription): void {
  for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
  res.status(error.status).json(buildErrorBody(routeTreeOf(req.originalUrl), error, localsOf(res).requestId));
}

/**
 * Server-side failures in the log: an internal error with its stack (a bug to fix); an upstream
 * failure or a feature not configured (501-504) as a warning with its code, no stack. What the
 * caller got wrong (4xx) is not logged beyond the request line.
 */
export function logFailure(logger: Logger, failure: ErrorDescription, error: unknown, requestId: string): void {
  // A database outage is logged once, where it is seen (schema/db/reachability.ts), not per call.
  if (failure.status === 503 && isDatabaseUnavailable(error)) return;
  if (failure.status === 500) logger.error({ err: error, request_id: requestId }, 'request failed');
  else if (failure.status > 500) logger.warn({ code: failure.code, status: failure.status, request_id: requestId }, 'request failed upstream or unconfigured');
}

export function describeCode(code: ApiErrorCode, message: string): ErrorDescription {
  return { code, status: errorCodes[code].status, message, param: undefined, details: undefined, openAiCode: undefined, headers: undefined };
}

/**
 * trpc-to-openapi writes its own error body (message, code, issues). The adapter reports the
 * error through `onError` first; this swaps the body it then sends for the tree's envelope.
 */
export function replaceAdapterErrorBodies(req: Request, res: Response, next: NextFunction): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    const failure = localsOf(res).failure;
    if (failure && res.statusCode >= 400) {
      const body = JSON.stringify(buildErrorBody(routeTreeOf(req.originalUrl), failure, localsOf(res).requestId));
      res.setHeader('Content-Length', Buffer.byteLength(body));
      return end(body);
    }
    return end(...args);
  }) as Response['end'];
  next();
}

export function answerUnknownRoute(req: Request, res: Response): void {
  sendError(req, res, {
    ...describeCode('not_found', `Unknown route: ${req.method} ${req.path}`),
    openAiCode: 'unknown_url',
  });
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Last resort: body-parser failures and anything unexpected, in the right envelope, never a stack. */
export function createErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const parserError = error as BodyParserError;
    if (res.headersSent) {
      res.end();
      return;
    }
    if (parserError.type === 'entity.too.large') {
      const limit = (error as { limit?: number }).limit;
      res.setHeader('Connection', 'close');
      sendError(req, res, describeCode('payload_too_large', `body: larger than this route takes${limit ? ` (${limit} bytes)` : ''}`));
      return;
    }
    if (parserError.type === 'entity.verify.failed') {
      sendError(req, res, describeCode('bad_request', (error as Error).message));
      return;
    }
    if (parserError.type === 'entity.parse.failed') {
      sendError(req, res, describeCode('invalid_json', 'Request body is not valid JSON'));
      return;
    }
    if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      sendError(req, res, describeCode('bad_request', 'Malformed request'));
      return;
    }
    const described = describeError(error);
    logFailure(logger, described, error, localsOf(res).requestId);
    sendError(req, res, described);
  };
}
