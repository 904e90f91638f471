import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CallContext } from '../../router/context.ts';
import { describeError } from '../../router/errors.ts';
import { defineNativeQuery } from '../../router/primitive.ts';
import { procedureSteps } from '../../router/procedure-steps.ts';

/** A primitive whose answer breaks its documented schema when asked to. */
const countRoute = defineNativeQuery({
  scope: 'ai:read',
  tag: 'Test',
  errorStatuses: [],
  route: {
    path: '/test/count',
    summary: 'A count',
    input: z.object({ broken: z.boolean() }),
    toArgs: (input) => input,
    output: z.object({ count: z.number() }),
    toOutput: (result: { count: unknown }) => result as { count: number },
  },
  run: (args: { broken: boolean }) => ({ count: args.broken ? 'a secret from the prompt' : 3 }),
});
const callCount = procedureSteps(countRoute, 'test.count');

function contextWith(sample: number, logged: unknown[]): CallContext {
  const services = { config: { validateOutputsSample: sample }, logger: { error: (fields: unknown) => logged.push(fields) } };
  return {
    services: services as unknown as CallContext['services'],
    principal: { keyId: 'key_1', projectId: 'prj_1', scopes: new Set(['ai:read']), limits: { requestsPerMinute: 1, tokensPerMinute: 1 } },
    requestId: 'req_1',
    log: {},
    signal: new AbortController().signal,
    response: { rateLimits: {} },
  };
}

describe('answers checked against their schema (VALIDATE_OUTPUTS_SAMPLE)', () => {
  it('sends a checked answer as built', async () => {
    await expect(callCount(contextWith(1, []), { broken: false }, new AbortController().signal)).resolves.toEqual({ status: 'ok', data: { count: 3 } });
  });

  it('answers 500 for one that does not match, logging the field at fault and never its value', async () => {
    const logged: unknown[] = [];
    const failure = await callCount(contextWith(1, logged), { broken: true }, new AbortController().signal).catch((error: unknown) => error);
    expect(describeError(failure)).toMatchObject({ status: 500, code: 'internal_error' });
    expect(logged).toEqual([{ route: '/test/count', request_id: 'req_1', issues: [{ path: 'data.count', code: 'invalid_type' }] }]);
    expect(JSON.stringify(logged)).not.toContain('secret');
  });

  it('leaves answers outside the sample unchecked', async () => {
    await expect(callCount(contextWith(0, []), { broken: true }, new AbortController().signal)).resolves.toEqual({ status: 'ok', data: { count: 'a secret from the prompt' } });
  });
});
