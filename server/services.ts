import type { Logger } from 'pino';
import type { PgBoss } from 'pg-boss';
import type { Config } from './config.ts';
import type { Services } from '../router/context.ts';
import { KeyStore } from '../router/key-store.ts';
import { loadProviders } from '../providers/registry.ts';
import { startBoss, stopBoss } from '../jobs/boss.ts';
import { openDatabase, type DatabaseHandle } from './database.ts';

export interface RunningServices extends Services {
  database: DatabaseHandle;
  boss: PgBoss;
  close(): Promise<void>;
}

/** Everything the API needs, in dependency order; `close` releases it in reverse. */
export async function startServices(config: Config, logger: Logger): Promise<RunningServices> {
  const database = await openDatabase(config, logger);
  try {
    const providers = await loadProviders(config);
    const keyStore = new KeyStore({ db: database.db, logger });
    await keyStore.listenForRevocations(database.connectionString);
    const boss = await startBoss(database.connectionString, logger);
    return {
      config,
      logger,
      db: database.db,
      catalog: providers.catalog,
      providers,
      keyStore,
      database,
      boss,
      async close() {
        await stopBoss(boss);
        await providers.close();
        await keyStore.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
