// Builds the Temporal worker for the spec-automation task queue from settings and dependencies.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type Docker from 'dockerode';
import { createActivities } from '../activities/index.js';
import type { Metrics } from '../config/metrics.js';
import type { Settings } from '../config/settings.js';
import type { Db } from '../db/client.js';
import { TASK_QUEUE } from '../workflows/shared.js';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  settings: Settings;
  docker: Docker;
  db: Db;
  /** StatsD business metrics (run and phase counters and timers); none when omitted. */
  metrics?: Metrics;
  taskQueue?: string;
  /** Overrides of individual activities (tests that need a specific failure). */
  activityOverrides?: Partial<ReturnType<typeof createActivities>>;
  /** Where credentials are read from (the worker's environment unless given). */
  env?: NodeJS.ProcessEnv;
  /** Payload encryption (the same converter the clients use). */
  dataConverter?: DataConverter;
}

/** Source (.ts, under tsx and in tests) or compiled (.js, production) workflow entry point. */
export function workflowsPath(): string {
  const ts = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
  return fs.existsSync(ts) ? ts : fileURLToPath(new URL('../workflows/index.js', import.meta.url));
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  const { connection, settings, docker } = opts;
  return Worker.create({
    connection,
    namespace: settings.temporal.namespace,
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowsPath: workflowsPath(),
    dataConverter: opts.dataConverter,
    activities: { ...createActivities({ settings, docker, db: opts.db, env: opts.env, metrics: opts.metrics }), ...opts.activityOverrides },
    maxConcurrentActivityTaskExecutions: settings.worker.maxConcurrentActivities,
    // Cancellation reaches an activity only with a heartbeat response; a short throttle means a
    // cancel stops a running agent within seconds rather than at 80% of the heartbeat timeout.
    maxHeartbeatThrottleInterval: '2s',
    defaultHeartbeatThrottleInterval: '2s',
    shutdownGraceTime: `${settings.worker.shutdownGraceSeconds}s`,
  });
}
