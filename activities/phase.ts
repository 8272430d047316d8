// What every phase activity that works in the job container starts from: the run's paths, its
// secrets (for redaction), its phase log, and a session that runs commands in the container.
import fs from 'node:fs/promises';
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

/** Creates a directory in the workspace owned by the job container's user. */
export async function mkdirForJob(dir: string, settings: Settings): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o750 });
  // HOME is writable by the container: never follow a link it may have put in place of the directory.
  const stat = await fs.lstat(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a directory (refusing to follow a link)`);
  if (process.getuid?.() === 0) await fs.lchown(dir, settings.job.uid, settings.job.gid);
}
