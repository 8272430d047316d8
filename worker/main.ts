// Production worker entry point: connects to TEMPORAL_ADDRESS and DATABASE_URL and polls the
// spec-automation task queue. Run more of these on more hosts to scale.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import Docker from 'dockerode';
import { ensureSearchAttributes, runMain } from '../config/entrypoint.js';
import { createLogger } from '../config/logger.js';
import { loadSettings } from '../config/settings.js';
import { installTemporalRuntime } from '../config/temporal-runtime.js';
import { createMetrics, metricsSettingsFromEnv } from '../config/metrics.js';
import { payloadEncryption } from '../config/payload-encryption.js';
import { openDatabase } from '../db/client.js';
import { createWorker } from './create-worker.js';
import { startHousekeeping } from './housekeeping.js';

async function main() {
  const settings = loadSettings();
  const logger = createLogger({ level: settings.logLevel, name: 'worker' });
  if (!settings.temporal.address) throw new Error('TEMPORAL_ADDRESS is required for the standalone worker (npm start embeds a dev server instead)');
  if (!settings.databaseUrl) throw new Error('DATABASE_URL is required for the standalone worker');
  installTemporalRuntime(logger, settings);
  const encryption = payloadEncryption(settings, logger, { allowLocalKey: false });
  const metrics = createMetrics(metricsSettingsFromEnv(), logger);
  const database = await openDatabase({ url: settings.databaseUrl });
  const connection = await NativeConnection.connect({ address: settings.temporal.address });
  try {
    const docker = new Docker();
    const worker = await createWorker({ connection, settings, docker, db: database.db, metrics, dataConverter: encryption.dataConverter });
    const clientConnection = await Connection.connect({ address: settings.temporal.address });
    const temporal = new Client({ connection: clientConnection, namespace: settings.temporal.namespace, dataConverter: encryption.dataConverter });
    await ensureSearchAttributes(temporal, settings.temporal.namespace);
    const housekeeping = settings.worker.housekeepingIntervalSeconds > 0 ? startHousekeeping({ settings, docker, temporal, logger }, settings.worker.housekeepingIntervalSeconds * 1000) : undefined;
    const stop = () => {
      housekeeping?.stop();
      worker.shutdown();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    logger.info({ address: settings.temporal.address, taskQueue: 'spec-automation' }, 'worker polling');
    await worker.run();
    await clientConnection.close();
  } finally {
    await connection.close();
    await database.close();
    await metrics.close();
  }
}

runMain(main);
