// Builds the worker's activities from their dependencies (built once by the worker and passed in).
import type Docker from 'dockerode';
import type { Settings } from '../config/settings.js';
import { createContainerActivities } from './container.js';
import { createProbeActivities } from './probe.js';
import { createWorkspaceActivities } from './workspace.js';

export interface ActivityDeps {
  settings: Settings;
  docker: Docker;
  probeCommand?: string[];
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createWorkspaceActivities(deps),
    ...createContainerActivities(deps),
    ...createProbeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
