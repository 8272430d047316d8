// `npm start`: the whole service in one process with embedded defaults. A Temporal dev server as a
// child process (unless TEMPORAL_ADDRESS names one), PGlite under the data directory (unless
// DATABASE_URL is set), the worker and the API. Ctrl-C stops the worker gracefully, then the rest.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import Docker from 'dockerode';
import { serveApi } from '../api/serve.js';
import { ensureSearchAttributes, onFailedStart, runMain } from '../config/entrypoint.js';
import { createLogger } from '../config/logger.js';
import { loadSettings } from '../config/settings.js';
import { startTemporalDevServer, type DevServer } from '../config/temporal-dev-server.js';
import { installTemporalRuntime } from '../config/temporal-runtime.js';
import { createMetrics, metricsSettingsFromEnv } from '../config/metrics.js';
import { payloadEncryption } from '../config/payload-encryption.js';
import { openDatabase } from '../db/client.js';
import { createWorker } from '../worker/create-worker.js';
import { startHousekeeping } from '../worker/housekeeping.js';
import { SEARCH_ATTRIBUTES, TASK_QUEUE } from '../workflows/shared.js';

async function main() {
  const settings = loadSettings();
  const logger = createLogger({ level: settings.logLevel, name: 'spec-automation' });
  installTemporalRuntime(logger, settings);
  const encryption = payloadEncryption(settings, logger, { allowLocalKey: true });
  const metrics = createMetrics(metricsSettingsFromEnv(), logger);

  let devServer: DevServer | undefined;
  let address = settings.temporal.address;
  let uiUrl = settings.temporal.uiUrl;
  if (!address) {
    const cliPath = settings.temporal.cliPath;
    if (!cliPath) throw new Error('TEMPORAL_CLI_PATH is not set: start with `npm start`, whose set-up step provides it, or set TEMPORAL_ADDRESS');
    devServer = await startTemporalDevServer({
      cliPath,
      dataDir: path.join(settings.dataDir, 'temporal'),
      port: 7233,
      uiPort: settings.temporal.uiPort,
      namespace: settings.temporal.namespace,
      keywordSearchAttributes: SEARCH_ATTRIBUTES.map((k) => k.name),
      // The Web UI decodes encrypted payloads through the API's codec endpoint.
      uiCodecEndpoint: `http://127.0.0.1:${settings.api.port}/codec`,
      logger,
    });
    address = devServer.address;
    uiUrl ??= devServer.uiUrl;
    const started = devServer;
    onFailedStart(() => started.stop());
  }

  const database = await openDatabase({ url: settings.databaseUrl, pgliteDir: path.join(settings.dataDir, 'pglite') });
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: settings.temporal.namespace, dataConverter: encryption.dataConverter });
  await ensureSearchAttributes(temporal, settings.temporal.namespace);

  settings.temporal.uiUrl ??= uiUrl;
  const worker = await createWorker({ connection: nativeConnection, settings, docker: new Docker(), db: database.db, metrics, dataConverter: encryption.dataConverter });
  const workerRun = worker.run();
  const housekeeping = settings.worker.housekeepingIntervalSeconds > 0 ? startHousekeeping({ settings, docker: new Docker(), temporal, logger }, settings.worker.housekeepingIntervalSeconds * 1000) : undefined;
  const http = await serveApi({ settings, database, temporal, logger, defaultHost: '127.0.0.1', codec: encryption.codecEndpoints });

  logger.info(
    { api: http.url, temporal: address, webUi: uiUrl, taskQueue: TASK_QUEUE, database: database.kind, dataDir: settings.dataDir, workspaceRoot: settings.workspaceRoot },
    'Spec Kit Automation is up',
  );
  console.log(`\n  API:             ${http.url}  (health: ${http.url}/healthz)\n  Temporal Web UI: ${uiUrl ?? 'see your Temporal cluster'}\n  Temporal:        ${address}  (task queue ${TASK_QUEUE})\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: worker first, so in-flight runs can clean up');
    housekeeping?.stop();
    worker.shutdown();
    await workerRun.catch((err) => logger.error({ err }, 'worker stopped with an error'));
    await http.close();
    await connection.close();
    await nativeConnection.close();
    await database.close();
    await metrics.close();
    await devServer?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await workerRun.catch(async (err) => {
    logger.error({ err }, 'worker failed');
    await devServer?.stop();
    process.exit(1);
  });
}

runMain(main);
