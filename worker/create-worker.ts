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

/**
 * A worker process polls two task queues: the shared one (workflows, and the first activities of a
 * run, which any host may take) and its host's own (`<queue>@<hostname>`). Once a run has a
 * workspace and a container on some host, the workflow sends every later activity to that host's
 * queue, because the container and the clone exist only there. This is what lets workers on many
 * hosts share one task queue.
 */
export interface SpecAutomationWorker {
  readonly taskQueue: string;
  readonly hostTaskQueue: string;
  run(): Promise<void>;
  shutdown(): void;
  /** Runs until `until` settles, then shuts down (tests, benchmarks). */
  runUntil<T>(until: Promise<T> | (() => Promise<T>)): Promise<T>;
}

export function hostTaskQueueOf(taskQueue: string, hostname: string): string {
  return `${taskQueue}@${hostname}`;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<SpecAutomationWorker> {
  const { connection, settings, docker } = opts;
  const taskQueue = opts.taskQueue ?? TASK_QUEUE;
  const hostTaskQueue = hostTaskQueueOf(taskQueue, settings.worker.hostname);
  const activities = { ...createActivities({ settings, docker, db: opts.db, env: opts.env, metrics: opts.metrics, hostTaskQueue }), ...opts.activityOverrides };
  const common = {
    connection,
    namespace: settings.temporal.namespace,
    dataConverter: opts.dataConverter,
    activities,
    maxConcurrentActivityTaskExecutions: settings.worker.maxConcurrentActivities,
    // Cancellation reaches an activity only with a heartbeat response; a short throttle means a
    // cancel stops a running agent within seconds rather than at 80% of the heartbeat timeout.
    maxHeartbeatThrottleInterval: '2s',
    defaultHeartbeatThrottleInterval: '2s',
    shutdownGraceTime: `${settings.worker.shutdownGraceSeconds}s`,
  } as const;
  const shared = await Worker.create({ ...common, taskQueue, workflowsPath: workflowsPath() });
  const host = await Worker.create({ ...common, taskQueue: hostTaskQueue });
  return {
    taskQueue,
    hostTaskQueue,
    async run() {
      await Promise.all([shared.run(), host.run()]);
    },
    shutdown() {
      for (const w of [shared, host]) if (w.getState() === 'RUNNING') w.shutdown();
    },
    async runUntil<T>(until: Promise<T> | (() => Promise<T>)) {
      const done = typeof until === 'function' ? until() : until;
      const [result] = await Promise.all([shared.runUntil(done), host.runUntil(done)]);
      return result;
    },
  };
}
