// What every phase activity that works in the job container starts from: the run's paths, its
// secrets (for redaction), its phase log, and a session that runs commands in the container.
import { Context } from '@temporalio/activity';
import type Docker from 'dockerode';
import type { Metrics } from '../config/metrics.js';
import type { Settings } from '../config/settings.js';
import type { Db } from '../db/client.js';
import type { ResolvedRun } from '../workflows/shared.js';
import { ArtifactLog } from './artifacts.js';
import { collectCredentials } from './credentials.js';
import { JobSession } from './job-session.js';
import { runPaths } from './workspace.js';

export interface PhaseDeps {
  settings: Settings;
  docker: Docker;
  db: Db;
  metrics: Metrics;
  /** The environment credentials are collected from (the worker's, unless a test says otherwise). */
  env: NodeJS.ProcessEnv;
}

export interface PhaseInput {
  run: ResolvedRun;
  /** The run's runtimeEnvironment (values are secrets as far as logs are concerned). */
  runtimeEnvironment: Record<string, string>;
  containerId: string;
}

export function openPhase(deps: PhaseDeps, input: PhaseInput, logName: string) {
  const paths = runPaths(deps.settings.workspaceRoot, input.run.runId);
  const credentials = collectCredentials(input.run, input.runtimeEnvironment, deps.env);
  const log = new ArtifactLog(paths.artifacts, logName, credentials.secretValues);
  log.line(`# ${logName} — attempt ${Context.current().info.attempt} — ${new Date().toISOString()}`);
  const session = new JobSession(deps.docker, input.containerId, log, Context.current().cancellationSignal);
  return { paths, credentials, log, session };
}
