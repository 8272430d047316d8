// The Express application: thin HTTP over Temporal (starts, cancels) and the run-metadata database.
import type { Client } from '@temporalio/client';
import express, { type Router } from 'express';
import type { Logger } from '../config/logger.js';
import type { Settings } from '../config/settings.js';
import type { Database } from '../db/client.js';
import { loopbackHostOnly, requireToken, requireUnrestrictedToken, type ApiToken } from './auth.js';
import { errorHandler, sendError } from './errors.js';
import { buildOpenApiDocument } from './openapi.js';
import { createRunsRouter } from './routes/runs.js';

export interface AppDeps {
  settings: Settings;
  database: Database;
  temporal: Client;
  logger: Logger;
  tokens: ApiToken[];
  /** Temporal's remote codec endpoints (/codec/decode), when payloads are encrypted. */
  codec?: { cors: express.RequestHandler; router: Router };
  /** Largest JSON body accepted, in bytes. */
  maxBodyBytes?: number;
  /** Tests only: the task queue their own workers poll. */
  taskQueue?: string;
}

export function createApp(deps: AppDeps) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(loopbackHostOnly(deps.tokens));
  const auth = requireToken(deps.tokens);
  const openapi = buildOpenApiDocument();

  /** Liveness: the process is up. */
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** Readiness: the database and Temporal both answer. */
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.allSettled([deps.database.ping(), deps.temporal.workflowService.getSystemInfo({})]);
    const [database, temporal] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'unavailable'));
    const ok = checks.every((c) => c.status === 'fulfilled');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { database, temporal } });
  });

  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  const json = express.json({ limit: deps.maxBodyBytes ?? 256 * 1024, strict: true, type: ['application/json', 'application/*+json'] });
  app.use('/api/spec-automation', auth, json, createRunsRouter({ settings: deps.settings, db: deps.database.db, temporal: deps.temporal, taskQueue: deps.taskQueue }));
  if (deps.codec) {
    // CORS first: the Web UI's preflight carries no token.
    app.use('/codec', deps.codec.cors, auth, requireUnrestrictedToken, deps.codec.router);
  }

  app.use((_req, res) => {
    sendError(res, 404, 'not_found', 'no such endpoint');
  });
  app.use(errorHandler(deps.logger));
  return app;
}
