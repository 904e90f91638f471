import cluster from 'node:cluster';
import type { Config } from './config.ts';
import { exitGracefullyOnSignals, loadConfigOrExit } from './process-lifecycle.ts';
import { createLogger } from './logger.ts';
import { startServer } from './http-server.ts';
import type { IssuedApiKey } from '../accounts/api-key-admin.ts';
import { runClusterPrimary, type ListeningMessage } from './cluster.ts';

function printBootstrapKey(issued: IssuedApiKey, config: Config, port: number): void {
  const base = config.publicBaseUrl ?? `http://localhost:${port}`;
  // Printed once, on purpose, outside the logger (logs never contain keys).
  process.stdout.write(
    [
      '',
      '='.repeat(78),
      `First boot: created project "default" (${issued.key.project_id}) and its API key:`,
      '',
      `    ${issued.secret}`,
      '',
      'It is shown only this once; store it now. Scopes: ' + issued.key.scopes.join(', ') + `. Balance: ${config.bootstrapTokenGrant} tokens.`,
      `Use it:  curl -H "Authorization: Bearer ${issued.secret}" ${base}/v1/models`,
      '='.repeat(78),
      '',
      '',
    ].join('\n'),
  );
}

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
if (cluster.isPrimary && config.clusterWorkers > 1) {
  await runClusterPrimary(config, logger, config.clusterWorkers).catch((error: unknown) => {
    logger.fatal({ err: error }, 'boot failed');
    process.exit(1);
  });
} else {
  const booting = startServer(config, logger);
  // From the start: a signal during boot (the embedded Postgres may be up already, in a process
  // group of its own that the terminal's Ctrl-C does not reach) closes what boot started.
  exitGracefullyOnSignals(logger, async () => (await booting.catch(() => undefined))?.close());
  try {
    const running = await booting;
    if (running.bootstrapKey) printBootstrapKey(running.bootstrapKey, config, running.port);
    else if (config.bootstrapDefaultKey && cluster.isPrimary) {
      logger.info('no first-boot key printed: an earlier boot created it (shown once); another: npm run admin -- projects:list, then npm run admin -- keys:create --project <id>');
    }
    const models = running.services.catalog.list().length;
    if (cluster.isWorker) {
      process.send!({ type: 'listening', port: running.port, models } satisfies ListeningMessage);
    } else {
      logger.info({ port: running.port, database: running.services.database.embedded ? 'embedded' : 'external', models }, 'listening');
      // Supervisors and scripts wait for this line: write it now, not with the next batch.
      logger.flush();
    }
  } catch (error) {
    logger.fatal({ err: error }, 'boot failed');
    process.exit(1);
  }
}
