// Starts the API for an entry point: tokens parsed, and with no token configured the API is bound
// to 127.0.0.1 whatever HOST says (an open API must not be reachable from other machines).
import type { Client } from '@temporalio/client';
import type { Logger } from '../config/logger.js';
import type { Settings } from '../config/settings.js';
import type { Database } from '../db/client.js';
import { createApp, type AppDeps } from './app.js';
import { parseApiTokens } from './auth.js';
import { listen } from './listen.js';

export async function serveApi(opts: { settings: Settings; database: Database; temporal: Client; logger: Logger; defaultHost: string; codec: AppDeps['codec'] }) {
  const { settings, logger } = opts;
  const tokens = parseApiTokens(settings.api.tokens);
  let host = settings.api.host ?? opts.defaultHost;
  if (tokens.length === 0) {
    if (host !== '127.0.0.1') logger.warn({ requestedHost: host }, 'SPEC_AUTOMATION_API_TOKENS is not set: ignoring HOST and listening on 127.0.0.1 only');
    host = '127.0.0.1';
    logger.warn('no API token configured (SPEC_AUTOMATION_API_TOKENS): the API is open to local users and listens on 127.0.0.1 only');
  }
  const app = createApp({ ...opts, tokens, maxBodyBytes: settings.api.maxBodyBytes });
  return listen(app, settings.api.port, host);
}
