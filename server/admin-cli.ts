import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { openDatabase } from './database.ts';
import { bootstrapDefaultProject, issueApiKey } from '../accounts/api-key-admin.ts';
import { insertProject, listProjects, findProject, setProjectLimits } from '../schema/db/queries/projects.ts';
import { listApiKeys, revokeApiKey, setApiKeyLimits } from '../schema/db/queries/api-keys.ts';
import { findBalance, insertGrant } from '../schema/db/queries/ledger.ts';
import { reconcileProject } from '../schema/db/queries/reconcile.ts';
import { isScope, scopes as allScopes, type Scope } from '../accounts/scopes.ts';

const usage = `Usage: npm run admin -- <command> [options]

  projects:bootstrap                               on an empty database: create the "default" project
                                                  and its first API key (printed once); otherwise
                                                  change nothing and say how to mint a key
  projects:create <name>                          create a project
  projects:list                                   list projects
  keys:create --project <id> [--name <name>] [--scopes ai:read,ai:generate]
                                                  create an API key (printed once)
  keys:list [--project <id>]                      list keys (prefixes only)
  keys:revoke <key_id>                            revoke a key at once, on every replica
  tokens:grant --project <id> --amount <decimal> [--note <text>]
                                                  grant tokens to a project
  tokens:balance --project <id>                   show a project's token balance
  tokens:reconcile --project <id> [--since <time>] [--until <time>]
                                                  check that the balance, the ledger, the usage
                                                  records and the leases agree (exit 1 if not);
                                                  the period is all time unless given (ISO 8601)
  keys:limits <key_id> [--rpm <n|default>] [--tpm <n|default>]
                                                  set a key's requests/tokens per minute
  projects:limits --project <id> [--rpm <n|default>] [--tpm <n|default>]
                                                  set a project's default limits for its keys

Uses DATABASE_URL, or the embedded database under DATA_DIR when it is unset.`;

class UsageError extends Error {}

function parseScopes(text: string | undefined): Scope[] {
  if (text === undefined) return [...allScopes];
  const requested = text.split(',').map((scope) => scope.trim()).filter(Boolean);
  const unknown = requested.filter((scope) => !isScope(scope));
  if (unknown.length > 0 || requested.length === 0) {
    throw new UsageError(`--scopes must list some of: ${allScopes.join(', ')} (got "${text}")`);
  }
  return requested as Scope[];
}

/** `--rpm 100` sets, `--rpm default` clears (falls back), absent leaves as is. */
function parseLimit(text: string | undefined, name: string): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'default') return null;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a positive integer or "default"`);
  return value;
}

/** An ISO 8601 time, or `fallback` when absent. */
function parseTime(text: string | undefined, name: string, fallback: Date): Date {
  if (text === undefined) return fallback;
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new UsageError(`--${name} must be an ISO 8601 time, e.g. 2026-12-01T00:00:00Z (got "${text}")`);
  return time;
}

function requireOption(value: string | undefined, name: string): string {
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    project: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string' },
    amount: { type: 'string' },
    rpm: { type: 'string' },
    tpm: { type: 'string' },
    note: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
const [command, ...rest] = positionals;
if (!command || values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(command || values.help ? 0 : 1);
}

let exitCode = 0;
try {
  const config = loadConfig();
  const database = await openDatabase(config, createLogger('warn'), { shareEmbedded: true });
  const { db } = database;
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  const requireProject = async (id: string) => {
    if (!(await findProject(db, id))) throw new UsageError(`No project "${id}"`);
    return id;
  };
  try {
    switch (command) {
      case 'projects:bootstrap': {
        const issued = await bootstrapDefaultProject(db, config.bootstrapTokenGrant);
        if (issued) {
          print(issued.key);
          process.stdout.write(`\nFirst API key of project "default" (shown once): ${issued.secret}\n`);
        } else {
          process.stdout.write('Projects exist already; nothing created. A new key: npm run admin -- keys:create --project <id> (ids: npm run admin -- projects:list)\n');
        }
        break;
      }
      case 'projects:create': {
        const name = rest[0] ?? values.name;
        print(await insertProject(db, requireOption(name, 'name')));
        break;
      }
      case 'projects:list':
        print(await listProjects(db));
        break;
      case 'keys:create': {
        const projectId = await requireProject(requireOption(values.project, 'project'));
        const issued = await issueApiKey(db, { projectId, name: values.name ?? 'admin', scopes: parseScopes(values.scopes) });
        print(issued.key);
        process.stdout.write(`\nAPI key (shown once): ${issued.secret}\n`);
        break;
      }
      case 'keys:list':
        print(await listApiKeys(db, values.project));
        break;
      case 'keys:revoke': {
        const keyId = requireOption(rest[0], 'key id');
        if (!(await revokeApiKey(db, keyId))) throw new UsageError(`No active key "${keyId}"`);
        process.stdout.write(`Revoked ${keyId}\n`);
        break;
      }
      case 'tokens:grant': {
        const projectId = await requireProject(requireOption(values.project, 'project'));
        const amount = requireOption(values.amount, 'amount');
        if (!/^\d{1,20}(\.\d{1,12})?$/.test(amount) || Number(amount) === 0) {
          throw new UsageError('--amount must be a positive decimal with at most 12 decimals');
        }
        print(await insertGrant(db, { projectId, amount, note: values.note }));
        process.stdout.write(`Balance: ${await findBalance(db, projectId)} tokens\n`);
        break;
      }
      case 'tokens:balance': {
        const projectId = await requireProject(requireOption(values.project, 'project'));
        print({ project_id: projectId, balance: await findBalance(db, projectId) });
        break;
      }
      case 'tokens:reconcile': {
        const projectId = await requireProject(requireOption(values.project, 'project'));
        const report = await reconcileProject(db, projectId, { since: parseTime(values.since, 'since', new Date(0)), until: parseTime(values.until, 'until', new Date(Date.now() + 1000)) });
        print(report);
        if (report.differences.length > 0) exitCode = 1;
        break;
      }
      case 'keys:limits': {
        const keyId = requireOption(rest[0], 'key id');
        const updated = await setApiKeyLimits(db, keyId, { requestsPerMinute: parseLimit(values.rpm, 'rpm'), tokensPerMinute: parseLimit(values.tpm, 'tpm') });
        if (!updated) throw new UsageError(`No key "${keyId}"`);
        process.stdout.write(`Limits of ${keyId} updated (cached keys pick them up within 30 s)\n`);
        break;
      }
      case 'projects:limits': {
        const projectId = await requireProject(requireOption(values.project, 'project'));
        await setProjectLimits(db, projectId, { requestsPerMinute: parseLimit(values.rpm, 'rpm'), tokensPerMinute: parseLimit(values.tpm, 'tpm') });
        process.stdout.write(`Default limits of ${projectId} updated\n`);
        break;
      }
      default:
        throw new UsageError(`Unknown command "${command}"\n\n${usage}`);
    }
  } finally {
    await database.close();
  }
} catch (error) {
  exitCode = 1;
  if (error instanceof UsageError || error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`admin failed: ${(error as Error).message}\n`);
}
process.exit(exitCode);
