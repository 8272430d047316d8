// Finalization: whatever happened before, remove the job container, remove the clone and HOME
// (unless the run retains its workspace), register every artifact, and record the terminal status.
import type Docker from 'dockerode';
import type { Metrics } from '../config/metrics.js';
import type { Settings } from '../config/settings.js';
import type { Db } from '../db/client.js';
import { updateRun } from '../db/runs-repository.js';
import { ApplicationFailure } from '@temporalio/activity';
import type { RunError, RunStatus } from '../workflows/shared.js';
import { removeRunContainers } from './container.js';
import { recordPhase, registerArtifacts } from './recording.js';
import { cleanupRunWorkspace } from './workspace.js';

export interface FinalizeInput {
  runId: string;
  repository?: string;
  retainWorkspace: boolean;
  /** The outcome of the phases before finalization. */
  status: Exclude<RunStatus, 'queued' | 'in_progress'>;
  error?: RunError;
  branchName?: string;
  pullRequestUrl?: string;
  summary: Record<string, unknown>;
}

export function createFinalizeActivities(deps: { settings: Settings; docker: Docker; db: Db; metrics: Metrics }) {
  const { settings, docker, db, metrics } = deps;
  return {
    async finalizeRun(input: FinalizeInput): Promise<{ removedContainers: string[]; artifacts: string[] }> {
      const tags = { run_id: input.runId, repo: input.repository };
      return recordPhase(deps, { runId: input.runId, repo: input.repository, phase: 'finalize' }, async () => {
        const cleanupStarted = Date.now();
        // Each step runs even if another failed: a leftover container must not keep a clone alive.
        const failures: string[] = [];
        const removedContainers = await removeRunContainers(docker, input.runId).catch((err: unknown) => {
          failures.push(`remove container: ${String(err)}`);
          return [] as string[];
        });
        const cleaned = await cleanupRunWorkspace(settings, input.runId, input.retainWorkspace).catch((err: unknown) => {
          failures.push(`clean workspace: ${String(err)}`);
          return { removed: [], artifacts: [] as string[] };
        });
        metrics.cleanupDuration(Date.now() - cleanupStarted, { ...tags, phase: 'finalize', result: failures.length ? 'failed' : 'succeeded' });
        await registerArtifacts(deps, input.runId, cleaned.artifacts);
        const error = failures.length ? { phase: 'finalize' as const, type: 'CleanupFailed', message: failures.join('; ') } : input.error;
        await updateRun(db, input.runId, {
          status: failures.length ? 'failed' : input.status,
          currentPhase: null,
          completedAt: new Date(),
          errorCode: error?.type ?? null,
          errorMessage: error ? `${error.phase}: ${error.message}` : null,
          branchName: input.branchName,
          pullRequestUrl: input.pullRequestUrl ?? null,
          resultSummary: input.summary,
        });
        metrics.runFinish({ ...tags, result: failures.length ? 'failed' : input.status });
        if (failures.length) throw ApplicationFailure.create({ type: 'CleanupFailed', message: `cleanup incomplete: ${failures.join('; ')}` });
        return { removedContainers, artifacts: cleaned.artifacts };
      });
    },
  };
}
