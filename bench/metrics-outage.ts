// Benchmark: does a StatsD outage slow runs down? Runs the same stub-agent dry run with metrics off
// and with metrics pointed at a closed UDP port, interleaved, and reports the ratio of the medians.
// Target: within noise of 1.0. Run with `npm run bench` (set-up included).
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import Docker from 'dockerode';
import { createLogger } from '../config/logger.js';
import { createMetrics, NOOP_METRICS, type Metrics } from '../config/metrics.js';
import { loadSettings } from '../config/settings.js';
import { openDatabase } from '../db/client.js';
import { GitOrigins } from '../test/support/git-origin.js';
import { createWorker } from '../worker/create-worker.js';
import { SpecAutomationRun } from '../workflows/index.js';
import { SEARCH_ATTRIBUTES } from '../workflows/shared.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

async function closedUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-automation-bench-'));
  const origins = new GitOrigins();
  origins.create('bench/widgets');
  const settings = loadSettings({
    ...process.env,
    SPEC_AUTOMATION_DATA_DIR: path.join(root, 'data'),
    SPEC_AUTOMATION_WORKSPACE_ROOT: path.join(root, 'work'),
    SPEC_AUTOMATION_JOB_NETWORK: 'host',
    SPEC_AUTOMATION_GIT_BASE_URL: origins.baseUrl,
    SPEC_AUTOMATION_ALLOWED_AGENT_BACKENDS: 'stub',
    SPEC_AUTOMATION_AGENT_BACKEND: 'stub',
  });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH! }, searchAttributes: SEARCH_ATTRIBUTES, ui: false },
  });
  const database = await openDatabase({ pgliteDir: path.join(root, 'pglite') });
  const logger = createLogger({ level: 'error', pretty: false });
  const client = env.client as Client;
  const configs: Record<string, Metrics> = {
    metrics_off: NOOP_METRICS,
    statsd_down: createMetrics({ enabled: true, host: '127.0.0.1', port: await closedUdpPort(), namespace: 'bench' }, logger),
  };
  const durations: Record<string, number[]> = { metrics_off: [], statsd_down: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, metrics] of Object.entries(configs)) {
        const taskQueue = `bench-${name}`;
        const worker = await createWorker({ connection: env.nativeConnection, settings, docker: new Docker(), db: database.db, metrics, taskQueue });
        const started = performance.now();
        await worker.runUntil(
          client.workflow.execute(SpecAutomationRun, {
            taskQueue,
            workflowId: `bench-${randomUUID()}`,
            args: [{ repository: 'bench/widgets', featureDescription: 'Benchmark widgets', dryRun: true }],
          }),
        );
        durations[name]!.push(performance.now() - started);
      }
    }
  } finally {
    await configs.statsd_down!.close();
    await database.close();
    await env.teardown();
    origins.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  }
  const baseline = median(durations.metrics_off!);
  const outage = median(durations.statsd_down!);
  const report = {
    benchmark: 'run duration, StatsD down vs metrics off (stub agent dry run)',
    rounds: ROUNDS,
    medianMs: { metrics_off: Math.round(baseline), statsd_down: Math.round(outage) },
    ratio: Number((outage / baseline).toFixed(3)),
    spreadMs: Object.fromEntries(Object.entries(durations).map(([k, v]) => [k, [Math.round(Math.min(...v)), Math.round(Math.max(...v))]])),
  };
  console.log(JSON.stringify(report, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
