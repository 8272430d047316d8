// Housekeeping on each worker host, on an interval:
// - reaps job containers whose run is no longer running (a terminated workflow runs no finalization);
// - removes workspaces whose artifacts have passed the retention period.
// Local to the host on purpose: containers and workspaces live on this host's Docker engine and disk.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type Docker from 'dockerode';
import { MANAGED_LABEL, RUN_ID_LABEL, WORKSPACE_ROOT_LABEL } from '../activities/container.js';
import type { Logger } from '../config/logger.js';
import type { Settings } from '../config/settings.js';

export interface HousekeepingDeps {
  settings: Settings;
  docker: Docker;
  temporal: Client;
  logger: Logger;
}

/** Containers younger than this are left alone: their run may still be starting. */
const MIN_CONTAINER_AGE_SECONDS = 120;

export async function reapOrphanedContainers({ settings, docker, temporal, logger }: HousekeepingDeps, minAgeSeconds = MIN_CONTAINER_AGE_SECONDS): Promise<string[]> {
  const reaped: string[] = [];
  // Only this deployment's containers: another one (say `npm test` beside `npm start`) may share the engine.
  const containers = await docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`, `${WORKSPACE_ROOT_LABEL}=${settings.workspaceRoot}`] } });
  for (const c of containers) {
    const runId = c.Labels[RUN_ID_LABEL];
    if (!runId || Date.now() / 1000 - c.Created < minAgeSeconds) continue;
    let running = false;
    try {
      running = (await temporal.workflow.getHandle(runId).describe()).status.name === 'RUNNING';
    } catch (err) {
      // Unknown to Temporal (e.g. history deleted) counts as not running; any other error: leave it.
      if ((err as { name?: string }).name !== 'WorkflowNotFoundError') continue;
    }
    if (running) continue;
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    logger.warn({ runId, containerId: c.Id }, 'removed the job container of a run that is no longer running (terminated?)');
    reaped.push(c.Id);
  }
  return reaped;
}

/** Removes run directories whose newest artifact is older than the retention period. */
export async function purgeExpiredWorkspaces({ settings, logger }: Pick<HousekeepingDeps, 'settings' | 'logger'>, now = Date.now()): Promise<string[]> {
  const runsDir = path.join(settings.workspaceRoot, 'runs');
  const cutoff = now - settings.artifactRetentionDays * 86_400_000;
  const purged: string[] = [];
  for (const entry of await fs.readdir(runsDir).catch(() => [] as string[])) {
    const runDir = path.join(runsDir, entry);
    const artifacts = path.join(runDir, 'artifacts');
    const stats = await Promise.all((await fs.readdir(artifacts).catch(() => [] as string[])).map((f) => fs.lstat(path.join(artifacts, f))));
    const newest = Math.max((await fs.stat(runDir)).mtimeMs, ...stats.map((s) => s.mtimeMs));
    if (newest >= cutoff) continue;
    await fs.rm(runDir, { recursive: true, force: true });
    logger.info({ runDir }, 'removed an expired workspace');
    purged.push(runDir);
  }
  return purged;
}

/** Runs both every `intervalMs` until stopped; a failing pass is logged and retried next time. */
export function startHousekeeping(deps: HousekeepingDeps, intervalMs: number): { stop(): void } {
  const pass = async () => {
    try {
      await reapOrphanedContainers(deps);
      await purgeExpiredWorkspaces(deps);
    } catch (err) {
      deps.logger.warn({ err }, 'housekeeping pass failed');
    }
  };
  const timer = setInterval(() => void pass(), intervalMs);
  timer.unref();
  void pass();
  return { stop: () => clearInterval(timer) };
}
