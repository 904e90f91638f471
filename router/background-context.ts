import type { CallContext, Services } from './context.ts';
import type { Principal } from '../accounts/key-store.ts';

/**
 * The context of work that runs for a key outside any request (an operation's run, a realtime
 * relay's metering): counted and checked when it was accepted, so it takes no request budget, and
 * done as that key with its own scopes.
 */
export function backgroundContext(services: Services, principal: Principal, run: { id: string; route: string; signal: AbortSignal }): CallContext {
  return {
    services,
    requestId: run.id,
    log: { route: run.route, projectId: principal.projectId },
    signal: run.signal,
    response: { rateLimits: {} },
    background: { principal },
    principal,
  };
}
