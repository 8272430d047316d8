// Builds the worker's activities from their dependencies (built once by the worker and passed in).
import type Docker from 'dockerode';
import { NOOP_METRICS, type Metrics } from '../config/metrics.js';
import type { Settings } from '../config/settings.js';
import type { Db } from '../db/client.js';
import { createContainerActivities } from './container.js';
import { createDiscoverActivities } from './discover.js';
import { createFinalizeActivities } from './finalize.js';
import { createPublishActivities } from './publish.js';
import { createRunInputActivities } from './run-input.js';
import { createSubmitActivities } from './submit.js';
import { createWorkspaceActivities } from './workspace.js';

export interface ActivityDeps {
  settings: Settings;
  docker: Docker;
  /** Run metadata: every phase attempt, artifact and status is recorded as it happens. */
  db: Db;
  /** StatsD business metrics; emitting never fails or slows a run. */
  metrics?: Metrics;
  /** This worker's host-only task queue: where a run's later activities must go once it has a container here. */
  hostTaskQueue?: string;
  /** Where credentials are read from: the worker's environment unless a test passes its own. */
  env?: NodeJS.ProcessEnv;
}

export function createActivities(deps: ActivityDeps) {
  const full = { ...deps, env: deps.env ?? process.env, metrics: deps.metrics ?? NOOP_METRICS };
  return {
    ...createRunInputActivities(full),
    ...createWorkspaceActivities(full),
    ...createContainerActivities(full),
    ...createDiscoverActivities(full),
    ...createSubmitActivities(full),
    ...createPublishActivities(full),
    ...createFinalizeActivities(full),
  };
}

export type Activities = ReturnType<typeof createActivities>;
