// The Express application: thin HTTP over Temporal (starts, cancels) and the run-metadata database.
import type { Client } from '@temporalio/client';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../config/logger.js';
import type { Database } from '../db/client.js';

export interface AppDeps {
  settings: Settings;
  database: Database;
  temporal: Client;
  logger: Logger;
}

export function createApp(deps: AppDeps) {
  const app = express();
  app.disable('x-powered-by');

  /** Liveness: the process is up. */
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** Readiness: the database and Temporal both answer. */
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.allSettled([
      deps.database.ping(),
      deps.temporal.workflowService.getSystemInfo({}),
    ]);
    const [db, temporal] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'unavailable'));
    const ok = checks.every((c) => c.status === 'fulfilled');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { database: db, temporal } });
  });

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such endpoint' } });
  });

  // Last resort: log the error, answer with a code and message, never a stack trace.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error({ err }, 'unhandled API error');
    res.status(500).json({ error: { code: 'internal_error', message: 'internal error' } });
  });
  return app;
}
