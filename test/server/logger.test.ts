import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.ts';

function captured() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', destination), lines };
}

describe('log lines', () => {
  it('never carry an authorization value, at the top, under headers or on an error', () => {
    const { logger, lines } = captured();
    const headers = { authorization: 'Bearer sk-secret-1', accept: 'application/json' };
    const error = Object.assign(new Error('upstream refused'), { authorization: 'Bearer sk-secret-2', status: 401 });
    logger.info({ authorization: 'Bearer sk-secret-0', route: '/v1/models' }, 'top');
    logger.info({ headers }, 'nested');
    logger.warn({ err: error }, 'error');
    const text = JSON.stringify(lines);
    expect(text).not.toContain('sk-secret');
    expect(lines[0]).toMatchObject({ authorization: '[redacted]', route: '/v1/models', msg: 'top' });
    expect(lines[1]).toMatchObject({ headers: { authorization: '[redacted]', accept: 'application/json' } });
    expect(lines[2]).toMatchObject({ err: { message: 'upstream refused', status: 401, authorization: '[redacted]', type: 'Error' } });
    expect((lines[2]!.err as { stack: string }).stack).toContain('upstream refused');
    // The caller's objects are left as they were.
    expect(headers.authorization).toBe('Bearer sk-secret-1');
    expect(error.authorization).toBe('Bearer sk-secret-2');
  });

  it('censor a child logger\'s bindings too', () => {
    const { logger, lines } = captured();
    const child = logger.child({ headers: { authorization: 'Bearer sk-secret-3' }, authorization: 'Bearer sk-secret-4' });
    child.info('bound');
    child.child({ upstream: { authorization: 'Bearer sk-secret-5' }, route: '/v1/models' }).info('grandchild');
    expect(JSON.stringify(lines)).not.toContain('sk-secret');
    expect(lines[0]).toMatchObject({ authorization: '[redacted]', headers: { authorization: '[redacted]' }, msg: 'bound' });
    expect(lines[1]).toMatchObject({ authorization: '[redacted]', upstream: { authorization: '[redacted]' }, route: '/v1/models', msg: 'grandchild' });
  });

  it('write a line without such fields as given', () => {
    const { logger, lines } = captured();
    logger.info({ method: 'POST', route: '/v1/chat/completions', status: 200, nested: { model: 'm' } }, 'request');
    expect(lines[0]).toMatchObject({ method: 'POST', route: '/v1/chat/completions', status: 200, nested: { model: 'm' }, msg: 'request' });
  });
});
