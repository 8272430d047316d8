// Workspace activities: the per-run directory tree on the worker's host,
// {workspaceRoot}/runs/{runKey}/{repo,home,artifacts}, bind-mounted into the job container at the same path.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Metrics } from '../config/metrics.js';
import type { Settings } from '../config/settings.js';
import type { Db } from '../db/client.js';
import { recordPhase } from './recording.js';

export interface RunPaths {
  runDir: string;
  repo: string;
  home: string;
  artifacts: string;
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * The run id is the workflow id and may be anything an operator typed into `temporal workflow start`.
 * Directories, container names and labels need a safe key: the id itself when it is one, otherwise a
 * readable prefix plus a hash, so two distinct ids never share a workspace.
 */
export function runKey(runId: string): string {
  if (SAFE_KEY.test(runId) && !runId.includes('..')) return runId;
  const readable = runId.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 40);
  const digest = createHash('sha256').update(runId).digest('hex').slice(0, 16);
  return readable ? `${readable}-${digest}` : digest;
}

export function runPaths(workspaceRoot: string, runId: string): RunPaths {
  const runDir = path.join(workspaceRoot, 'runs', runKey(runId));
  return {
    runDir,
    repo: path.join(runDir, 'repo'),
    home: path.join(runDir, 'home'),
    artifacts: path.join(runDir, 'artifacts'),
  };
}

export interface WorkspaceDeps {
  settings: Settings;
  db: Db;
  metrics: Metrics;
  hostTaskQueue?: string;
}

export function createWorkspaceActivities(deps: WorkspaceDeps) {
  const { settings } = deps;
  return {
    /** Creates the run's directories (mode 0o750), owned by the job image's user so the container can write. */
    /** Also says which host-only task queue the rest of the run must use (the workspace is here). */
    async prepareWorkspace({ runId, repository }: { runId: string; repository?: string }): Promise<RunPaths & { hostTaskQueue?: string }> {
      return recordPhase(deps, { runId, repo: repository, phase: 'prepare_workspace' }, async () => {
        const paths = runPaths(settings.workspaceRoot, runId);
        for (const dir of [paths.runDir, paths.artifacts]) {
          await fs.mkdir(dir, { recursive: true, mode: 0o750 });
          await fs.chmod(dir, 0o750);
        }
        // The container gets (and owns) the clone and HOME only; the artifacts stay the worker's.
        for (const dir of [paths.repo, paths.home]) await mkdirForJob(dir, settings);
        return { ...paths, hostTaskQueue: deps.hostTaskQueue };
      });
    },
  };
}

/**
 * Removes the run's clone and HOME (where credentials and agent state live); artifacts stay for the
 * retention period. With `retainWorkspace` nothing is removed. Idempotent. Returns the artifact names.
 */
export async function cleanupRunWorkspace(settings: Settings, runId: string, retainWorkspace: boolean): Promise<{ removed: string[]; artifacts: string[] }> {
  const paths = runPaths(settings.workspaceRoot, runId);
  const artifacts = (await fs.readdir(paths.artifacts).catch(() => [] as string[])).sort();
  if (retainWorkspace) return { removed: [], artifacts };
  await fs.rm(paths.repo, { recursive: true, force: true });
  await fs.rm(paths.home, { recursive: true, force: true });
  return { removed: [paths.repo, paths.home], artifacts };
}

/**
 * A directory (mode 0o750) owned by the job container's user, which the bind-mounted tree must
 * belong to. It may already exist and be writable by the container, so a link put in its place is
 * never followed. A worker that is not root cannot chown; it leaves ownership alone and the container
 * is started as the worker's own uid instead (see startJobContainer).
 */
export async function mkdirForJob(dir: string, settings: Settings): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o750 });
  const stat = await fs.lstat(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a directory (refusing to follow a link)`);
  await fs.chmod(dir, 0o750);
  if (process.getuid?.() === 0) await fs.lchown(dir, settings.job.uid, settings.job.gid);
}
