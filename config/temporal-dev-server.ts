// The embedded Temporal: the CLI's dev server as a child process, with its history in a SQLite file
// under the data directory (so runs survive restarts) and the project's search attributes registered.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from './logger.js';

export interface DevServerOptions {
  cliPath: string;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Custom search attributes to register, all of type Keyword. */
  keywordSearchAttributes: string[];
  /** The codec endpoint the Web UI uses to show decoded payloads. */
  uiCodecEndpoint?: string;
  logger: Logger;
  /** How long to wait for the server to accept connections. */
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(opts: DevServerOptions): Promise<DevServer> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const logFile = path.join(opts.dataDir, 'temporal-server.log');
  const log = fs.openSync(logFile, 'a');
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(opts.port),
    '--ui-port', String(opts.uiPort),
    '--db-filename', path.join(opts.dataDir, 'temporal.db'),
    '--namespace', opts.namespace,
    '--log-level', 'warn',
    ...opts.keywordSearchAttributes.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
    ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
  ];
  const child: ChildProcess = spawn(opts.cliPath, args, { stdio: ['ignore', log, log] });
  let exited: { code: number | null } | undefined;
  child.on('exit', (code) => {
    exited = { code };
  });
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`Temporal dev server exited with code ${exited.code} during start-up; see ${logFile}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not answer on ${address} within ${opts.startTimeoutMs ?? 60_000} ms; see ${logFile}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  opts.logger.info({ address, logFile }, 'Temporal dev server up');
  return {
    address,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
      fs.closeSync(log);
    },
  };
}
