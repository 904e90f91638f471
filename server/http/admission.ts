import { admitCalls, authenticateHeader } from '../../router/auth.ts';
import type { CallContext, Services } from '../../router/context.ts';
import { ApiError } from '../../router/errors.ts';
import type { Scope } from '../../accounts/scopes.ts';
import type { HeavyWork } from '../../router/transport.ts';
import { assertDeclaredFits } from './bodies.ts';
import type { BodyBudget } from './body-budget.ts';
import type { Exchange } from './exchange.ts';

/** What admission needs of each call a request makes. */
export interface AdmittedCall {
  scope: Scope;
  heavyWork?: HeavyWork | undefined;
}

/**
 * Admission: the step every request to a procedure passes, whatever its door (REST on either
 * tree, /trpc), before a byte of its body is read. The key is checked, then its scopes for every
 * call the request makes and its requests-per-minute budget, then the body's declared size
 * against the route and the process's body budget (the project's share of it). An anonymous
 * request therefore costs its headers and nothing more; a refused one costs nothing from the
 * budgets. A call whose work is always local (document parse and chunk) also takes its place in
 * the project's share of the local compute pool here, so a project past its share is refused
 * before its body is read. Returns the context the procedures run with.
 */
export async function admit(x: Exchange, services: Services, budget: BodyBudget, calls: readonly AdmittedCall[], bodyLimit: number): Promise<CallContext> {
  const principal = await authenticateHeader(services, x.req.headers.authorization);
  x.log.projectId = principal.projectId;
  x.mayDiscardBody = true;
  const requests = await admitCalls(
    services,
    principal,
    calls.map((call) => call.scope),
  );
  if (requests) x.rateLimits.requests = requests;
  for (const call of calls) {
    if (call.heavyWork === 'always') x.res.once('close', services.providers.admitHeavyWork(principal.projectId));
  }
  if (x.bodyUnread) lendBodyBudget(x, budget, principal.projectId, bodyLimit);
  return { services, requestId: x.requestId, principal, log: x.log, signal: x.clientGone, response: { rateLimits: x.rateLimits } };
}

/**
 * Counts the body against the budget from now until its answer ends: its declared length, or
 * the route's limit when it declares none (chunked) or is compressed (what it inflates to counts).
 */
function lendBodyBudget(x: Exchange, budget: BodyBudget, projectId: string, bodyLimit: number): void {
  assertDeclaredFits(x.req, bodyLimit);
  const declared = x.req.headers['content-length'];
  const bytes = declared === undefined || x.req.headers['content-encoding'] !== undefined ? bodyLimit : Math.min(Number(declared), bodyLimit);
  if (!budget.take(projectId, bytes)) {
    throw new ApiError('service_unavailable', 'This server is reading as many request bodies as it holds at once for this project (MAX_BODY_BYTES_IN_FLIGHT); retry shortly', {
      headers: { 'Retry-After': '1' },
    });
  }
  x.res.once('close', () => budget.release(projectId, bytes));
}
