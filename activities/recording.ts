// Records each phase attempt as it happens: a task row when the activity starts and when it ends
// (attempt from the activity's own info), artifact rows for the files it wrote, and the run's
// current phase. Every write is an upsert, so a retried activity never duplicates a row.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Metrics } from '../config/metrics.js';
import type { Settings } from '../config/settings.js';
import type { Db } from '../db/client.js';
import { recordTask, updateRun, upsertArtifact } from '../db/runs-repository.js';
import { describeArtifact } from './artifacts.js';
import { runPaths } from './workspace.js';

export interface RecordingDeps {
  settings: Settings;
  db: Db;
  metrics: Metrics;
}

/** The names of artifact files an activity produced, for registration. */
export interface WithArtifacts {
  artifacts?: string[];
}

export async function registerArtifacts(deps: RecordingDeps, runId: string, names: string[], taskId?: string): Promise<void> {
  const dir = runPaths(deps.settings.workspaceRoot, runId).artifacts;
  const expiresAt = new Date(Date.now() + deps.settings.artifactRetentionDays * 86_400_000);
  for (const name of new Set(names)) {
    const info = await describeArtifact(dir, name).catch(() => undefined);
    if (!info) continue;
    await upsertArtifact(deps.db, { runId, taskId, name, type: info.type, storagePath: name, contentType: info.contentType, sizeBytes: info.sizeBytes, sha256: info.sha256, expiresAt });
  }
}

/**
 * Wraps a phase activity: `running` row at start, `succeeded`/`failed` at the end with the error,
 * the artifacts registered either way (a failed phase's log is what an operator reads first).
 * `artifactsOnFailure` names the files the phase writes even when it fails.
 */
export async function recordPhase<T>(
  deps: RecordingDeps,
  { runId, phase, repo, artifactsOnFailure = [] }: { runId: string; phase: string; repo?: string; artifactsOnFailure?: string[] },
  fn: () => Promise<T>,
): Promise<T> {
  const ctx = Context.current();
  const attempt = ctx.info.attempt;
  const startedAt = new Date();
  const tags = { run_id: runId, phase, repo };
  if (attempt > 1) deps.metrics.phaseRetry(tags);
  ctx.log.info('phase started', { runId, phase, attempt });
  const taskId = await recordTask(deps.db, { runId, phase, attempt, status: 'running', startedAt });
  await updateRun(deps.db, runId, { currentPhase: phase, status: 'in_progress' });
  try {
    const result = await fn();
    // The work is done: failing now would make Temporal redo it (a paid agent step, a publish). A
    // record that cannot be written is logged; finalization registers every artifact again anyway.
    const produced = (result as WithArtifacts | undefined)?.artifacts;
    try {
      await recordTask(deps.db, { runId, phase, attempt, status: 'succeeded', completedAt: new Date(), metadata: { durationMs: Date.now() - startedAt.getTime() } });
      await registerArtifacts(deps, runId, Array.isArray(produced) ? produced : [], taskId);
    } catch (err) {
      ctx.log.error('could not record a finished phase', { runId, phase, attempt, error: err instanceof Error ? err.message : String(err) });
    }
    deps.metrics.phaseDuration(Date.now() - startedAt.getTime(), { ...tags, result: 'succeeded' });
    ctx.log.info('phase succeeded', { runId, phase, attempt, durationMs: Date.now() - startedAt.getTime(), artifacts: produced });
    // The workflow shows the attempt that succeeded in its status query.
    return (result && typeof result === 'object' && !Array.isArray(result) ? { ...result, attempt } : result) as T;
  } catch (err) {
    const failure = err instanceof ApplicationFailure ? err : undefined;
    const exitCode = (failure?.details?.[0] as { exitCode?: number } | undefined)?.exitCode;
    await recordTask(deps.db, {
      runId,
      phase,
      attempt,
      status: 'failed',
      completedAt: new Date(),
      exitCode: typeof exitCode === 'number' ? exitCode : undefined,
      metadata: { durationMs: Date.now() - startedAt.getTime(), error: { type: failure?.type ?? (err instanceof Error ? err.name : 'Error'), message: err instanceof Error ? err.message : String(err), nonRetryable: failure?.nonRetryable ?? false } },
    }).catch(() => undefined);
    await registerArtifacts(deps, runId, artifactsOnFailure, taskId).catch(() => undefined);
    const cancelled = ctx.cancellationSignal.aborted;
    deps.metrics.phaseDuration(Date.now() - startedAt.getTime(), { ...tags, result: cancelled ? 'cancelled' : 'failed' });
    ctx.log.warn('phase failed', { runId, phase, attempt, error: err instanceof Error ? err.message : String(err), errorType: failure?.type });
    throw err;
  }
}
