import { benchCatalog, type LoadResult } from './catalog.ts';
import { benchLocalTokens, benchTextGateway } from './text-generation.ts';
import { benchOperations } from './operations.ts';
import { benchEnforcement } from './enforcement.ts';
import { benchRetrieval } from './retrieval.ts';
import { benchIsolation } from './isolation.ts';
import { benchSoak } from './soak.ts';
import { benchGateways } from './gateways.ts';
import { benchLedgerWrites } from './ledger-writes.ts';
import { benchRateLimitLeases } from './rate-limit-leases.ts';

/** `npm run bench [-- name...]`: runs the named benchmarks (all by default) and prints a table. */
const benchmarks: Record<string, () => Promise<LoadResult[]>> = {
  catalog: benchCatalog,
  'text-gateway': benchTextGateway,
  'local-tokens': benchLocalTokens,
  operations: benchOperations,
  enforcement: benchEnforcement,
  retrieval: benchRetrieval,
  isolation: benchIsolation,
  soak: benchSoak,
  gateways: benchGateways,
  'ledger-writes': benchLedgerWrites,
  'rate-limit-leases': () => benchRateLimitLeases(),
};

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : Object.keys(benchmarks);
for (const name of names) {
  const run = benchmarks[name];
  if (!run) {
    process.stderr.write(`Unknown benchmark "${name}". Known: ${Object.keys(benchmarks).join(', ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`\n## ${name}\n`);
  const results = await run();
  if (results.length === 0) continue;
  console.table(
    results.map((result) => ({
      scenario: result.name,
      'req/s': result.requestsPerSecond,
      'p50 ms': result.p50Ms,
      'p99 ms': result.p99Ms,
      errors: result.errors,
      non2xx: result.non2xx,
    })),
  );
}
