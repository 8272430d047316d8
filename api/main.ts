// Production API entry point: connects to TEMPORAL_ADDRESS and DATABASE_URL and serves the REST API.
import { Client, Connection } from '@temporalio/client';
import { runMain } from '../config/entrypoint.js';
import { createLogger } from '../config/logger.js';
import { loadSettings } from '../config/settings.js';
import { openDatabase } from '../db/client.js';
import { payloadEncryption } from '../config/payload-encryption.js';
import { serveApi } from './serve.js';

async function main() {
  const settings = loadSettings();
  const logger = createLogger({ level: settings.logLevel, name: 'api' });
  if (!settings.temporal.address) throw new Error('TEMPORAL_ADDRESS is required for the standalone API');
  if (!settings.databaseUrl) throw new Error('DATABASE_URL is required for the standalone API');
  const encryption = payloadEncryption(settings, logger, { allowLocalKey: false });
  const connection = await Connection.connect({ address: settings.temporal.address });
  const temporal = new Client({ connection, namespace: settings.temporal.namespace, dataConverter: encryption.dataConverter });
  const database = await openDatabase({ url: settings.databaseUrl });
  const http = await serveApi({ settings, database, temporal, logger, defaultHost: '0.0.0.0', codec: encryption.codecEndpoints });
  logger.info({ url: http.url }, 'API listening');
  const stop = async () => {
    await http.close();
    await database.close();
    await connection.close();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

runMain(main);
