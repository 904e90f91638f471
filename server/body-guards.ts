import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from './config.ts';
import { authenticateHeader } from '../router/auth.ts';
import type { Services } from '../router/context.ts';
import { ApiError, describeError } from '../router/errors.ts';
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
 * The bytes of the request bodies this process is reading or holding, counted from their declared
 * length (a body without one counts as its route's limit) until their answer ends. Each body is
 * bounded by its route; this bounds how many are held at once, which connections alone do not.
 */
class BodiesInFlight {
  #bytes = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Counts `bytes` until `res` closes; false when they do not fit (a body always fits when none is held). */
  take(bytes: number, res: Response): boolean {
    if (this.#bytes > 0 && this.#bytes + bytes > this.#limit) return false;
    this.#bytes += bytes;
    res.once('close', () => (this.#bytes -= bytes));
    return true;
  }
}

/** One count per process: every body reader built on the same configuration shares it. */
const inFlightByConfig = new WeakMap<Config, BodiesInFlight>();
function bodiesInFlight(config: Config): BodiesInFlight {
  let bodies = inFlightByConfig.get(config);
  if (!bodies) inFlightByConfig.set(config, (bodies = new BodiesInFlight(config.maxBodyBytesInFlight)));
  return bodies;
}

/**
 * Refuses a body whose declared length is over `limit` before reading any of it (body-parser
 * would first read it all off the socket to discard it), and one that would take the bodies held
 * at once past MAX_BODY_BYTES_IN_FLIGHT (503, retry shortly; the connection closes unread), then
 * lets `parser` read the rest, which still stops at `limit` when no length is declared.
 */
export function boundedBody(parser: RequestHandler, limit: number, config: Config): RequestHandler {
  const bodies = bodiesInFlight(config);
  return (req, res, next) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      next(tooLarge(limit));
      return;
    }
    if (hasBody(req) && !bodies.take(req.headers['content-length'] === undefined ? limit : declared, res)) {
      res.setHeader('Connection', 'close');
      next(new ApiError('service_unavailable', 'This server is reading as many request bodies as it holds at once (MAX_BODY_BYTES_IN_FLIGHT); retry shortly', { headers: { 'Retry-After': '1' } }));
      return;
    }
    parser(req, res, next);
  };
}

/** Failures as body-parser reports them (its `type`s), so the error handler answers them alike. */
const parserFailure = (type: string, message: string, status = 400, extra: object = {}) => Object.assign(new Error(message), { type, status, expose: true, ...extra });
const tooLarge = (limit: number) => parserFailure('entity.too.large', 'request entity too large', 413, { limit });

/** Refuses JSON nested past maxJsonDepth before it is parsed. */
function assertShallow(text: Buffer): void {
  if (nestingDepth(text, maxJsonDepth) > maxJsonDepth) throw Object.assign(new Error(`body: JSON nested deeper than ${maxJsonDepth} levels`), { status: 400, expose: true });
}

/** `application/json`, with no charset or UTF-8: the bodies the fast reader takes; body-parser takes the rest. */
function isPlainJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...parameters] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name, value] = parameter.split('=').map((part) => part.trim().toLowerCase());
    return name !== 'charset' || value === 'utf-8' || value === '"utf-8"';
  });
}

/** The JSON text as body-parser's strict mode takes it: an object or array, depth-checked before parsing. */
function parseJsonText(text: Buffer): unknown {
  try {
    assertShallow(text);
  } catch (error) {
    throw parserFailure('entity.verify.failed', (error as Error).message);
  }
  if (text.length === 0) return {};
  const first = /\S/.exec(text.toString('latin1', 0, Math.min(text.length, 64)))?.[0];
  if (first !== '{' && first !== '[') throw parserFailure('entity.parse.failed', 'Unexpected token in JSON: not an object or array');
  try {
    return JSON.parse(text.toString('utf8'));
  } catch (error) {
    throw parserFailure('entity.parse.failed', (error as Error).message);
  }
}

/**
 * Reads a plain UTF-8 JSON body off the request, stopping at `limit`: the common case without
 * body-parser's generality (charsets, compression), which was a twentieth of a call's CPU.
 */
function readPlainJson(req: Request, limit: number, next: NextFunction): void {
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const finish = (error?: Error, body?: unknown) => {
    if (settled) return;
    settled = true;
    req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    if (error) {
      req.pause();
      return next(error);
    }
    req.body = body;
    (req as { _body?: boolean })._body = true;
    next();
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) return finish(tooLarge(limit));
    chunks.push(chunk);
  };
  const onEnd = () => {
    if (declared !== undefined && received !== declared) return finish(parserFailure('request.size.invalid', 'request size did not match content length'));
    try {
      finish(undefined, parseJsonText(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)));
    } catch (error) {
      finish(error as Error);
    }
  };
  const onError = (error: Error) => finish(parserFailure('request.aborted', error.message));
  const onClose = () => finish(parserFailure('request.aborted', 'request aborted'));
  req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
}

/** A JSON body parser bounded in size and depth; refusals are 413 and 400, never a stack overflow later. */
export function jsonBody(config: Config): RequestHandler {
  const limit = config.maxBodyBytes;
  // Other charsets and compressed bodies: body-parser, with the same depth check.
  const general = express.json({ limit, verify: (_req, _res, buffer) => assertShallow(buffer) });
  return boundedBody((req, res, next) => {
    if ((req as { _body?: boolean })._body || !hasBody(req)) return next();
    const encoding = req.headers['content-encoding'];
    if (!isPlainJson(req.headers['content-type']) || (encoding !== undefined && encoding.toLowerCase() !== 'identity')) return general(req, res, next);
    readPlainJson(req, limit, next);
  }, limit, config);
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
