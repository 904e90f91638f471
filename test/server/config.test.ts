import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { repoRoot } from '../helpers/paths.ts';

describe('configuration', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8787, databaseUrl: undefined, logLevel: 'info', openAiCompatibleUpstreams: [], workersAi: undefined, validateOutputsSample: 0.01 });
    expect(config.dataDir).toBe(path.resolve('./.data'));
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ OPENAI_COMPAT_UPSTREAMS: '[{' }, 'OPENAI_COMPAT_UPSTREAMS'],
    [{ OPENAI_COMPAT_UPSTREAMS: '[{"name":"Bad Name","base_url":"http://x","models":["m"]}]' }, 'OPENAI_COMPAT_UPSTREAMS.0.name'],
    [{ OPENAI_COMPAT_UPSTREAMS: '[{"name":"ok","base_url":"http://x","models":[{"id":"m","capabilities":["mind_reading"]}]}]' }, 'OPENAI_COMPAT_UPSTREAMS.0.models.0'],
    [{ WORKERS_AI_ACCOUNT_ID: 'acct' }, 'WORKERS_AI_API_TOKEN'],
    [{ VALIDATE_OUTPUTS_SAMPLE: '1.5' }, 'VALIDATE_OUTPUTS_SAMPLE'],
    [{ VALIDATE_OUTPUTS_SAMPLE: 'all' }, 'VALIDATE_OUTPUTS_SAMPLE'],
  ])('rejects %j naming %s', (environment, name) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(name);
  });

  it('reads upstream providers', () => {
    const config = loadConfig({
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_MODELS: 'gpt-4o-mini, whisper-1',
      WORKERS_AI_ACCOUNT_ID: 'acct',
      WORKERS_AI_API_TOKEN: 'token',
    });
    expect(config.openAiCompatibleUpstreams).toEqual([
      { name: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-upstream', models: ['gpt-4o-mini', 'whisper-1'], tokenLimitField: 'max_completion_tokens' },
    ]);
    expect(config.workersAi).toMatchObject({ accountId: 'acct', apiToken: 'token', models: undefined });
  });

  it('stops boot with a message naming the bad variable', () => {
    const result = spawnSync(process.execPath, ['server/main.ts'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, PORT: 'not-a-port' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).not.toMatch(/at .*:\d+:\d+/);
  });
});
