import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { authenticateHeader } from '../router/auth.ts';
import type { Services } from '../router/context.ts';
import { describeError } from '../router/errors.ts';
import { sendError } from './error-responses.ts';
import { localsOf } from './request-lifecycle.ts';

/** Deeper JSON is refused before it is parsed: validators and mappers recurse, and nothing real nests this far. */
export const maxJsonDepth = 128;

const quote = 0x22;
const backslash = 0x5c;

/** The deepest `[`/`{` nesting of a JSON text, counted outside strings, stopping past `limit`. */
function nestingDepth(bytes: Buffer, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    if (inString) {
      if (byte === backslash) index++;
      else if (byte === quote) inString = false;
    } else if (byte === quote) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return deepest;
}

/**
 * Refuses a body whose declared length is over `limit` before reading any of it (body-parser
 * would first read it all off the socket to discard it), then lets `parser` read the rest,
 * which still stops at `limit` when no length is declared.
 */
export function boundedBody(parser: RequestHandler, limit: number): RequestHandler {
  return (req, res, next) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      next(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, limit }));
      return;
    }
    parser(req, res, next);
  };
}

/** A JSON body parser bounded in size and depth; refusals are 413 and 400, never a stack overflow later. */
export function jsonBody(limit: number): RequestHandler {
  const parser = express.json({
    limit,
    verify: (_req, _res, buffer) => {
      if (nestingDepth(buffer, maxJsonDepth) > maxJsonDepth) {
        throw Object.assign(new Error(`body: JSON nested deeper than ${maxJsonDepth} levels`), { status: 400, expose: true });
      }
    },
  });
  return boundedBody(parser, limit);
}

const hasBody = (req: Request) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/**
 * A POST whose body is optional (cancel) may come with no body and no content type, as the
 * reference's curl sends it: that is an empty JSON object, not a 415.
 */
export function acceptEmptyBodies(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'POST' && !hasBody(req) && req.headers['content-type'] === undefined) {
    req.headers['content-type'] = 'application/json';
    req.body = {};
  }
  next();
}

/**
 * Checks the API key before a single byte of a body is read: an unauthenticated upload is
 * refused at once and its connection closed, so it costs no memory. The principal found is kept
 * for the request, so the procedure's auth does not look it up again.
 */
export function authenticateBeforeBody(services: Services): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (!hasBody(req)) return next();
    try {
      localsOf(res).principal = await authenticateHeader(services, req.headers.authorization);
      next();
    } catch (error) {
      res.setHeader('Connection', 'close');
      sendError(req, res, describeError(error));
    }
  };
}
