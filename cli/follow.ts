// Polls a run until it ends, bounded by a deadline, feeding each snapshot to the live display.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './api-client.js';
import { CliError, EXIT } from './errors.js';
import type { Reporter } from './progress.js';
import { TERMINAL, type RunDetail } from './types.js';

export interface FollowOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Aborted on Ctrl-C: the follow stops at once (the run itself keeps going). */
  signal: AbortSignal;
  /** How long the API may stay unreachable before the follow gives up (restarts, blips). */
  outageMs?: number;
}

/**
 * The run once it has ended. The status turns terminal inside the finalize phase, a moment before
 * that phase's own row is closed, so the follow waits (briefly, bounded) for every row to settle and
 * the summary never shows finalize as still running.
 */
export async function followRun(client: ApiClient, runId: string, reporter: Reporter, opts: FollowOptions): Promise<RunDetail> {
  const interval = opts.intervalMs ?? 1000;
  const deadline = Date.now() + opts.timeoutMs;
  const outageMs = opts.outageMs ?? 60_000;
  let settleBy: number | undefined;
  let unreachableSince: number | undefined;
  let last: RunDetail | undefined;
  for (;;) {
    try {
      last = await client.getRun(runId, opts.signal);
      if (unreachableSince !== undefined) reporter.note('api: reachable again');
      unreachableSince = undefined;
      reporter.update(last);
      if (TERMINAL.includes(last.status)) {
        const settled = last.completedAt !== null && !last.phases.some((p) => p.status === 'running');
        settleBy ??= Date.now() + 10_000;
        if (settled || Date.now() >= settleBy) return last;
      }
    } catch (err) {
      // Only "outcome unknown" errors are worth waiting out; a 404 or 403 will not get better.
      if (!(err instanceof CliError) || err.exitCode !== EXIT.unavailable) throw err;
      if (unreachableSince === undefined) {
        unreachableSince = Date.now();
        reporter.note(`api: ${err.message}; retrying`);
      } else if (Date.now() - unreachableSince >= outageMs) {
        throw err;
      }
    }
    if (Date.now() >= deadline) {
      throw new CliError(
        'follow_timeout',
        `run ${runId} is still ${last?.status ?? 'unknown'} after ${Math.round(opts.timeoutMs / 1000)} s; it keeps going (spec-automation status ${runId} --follow)`,
        EXIT.unavailable,
      );
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), undefined, { signal: opts.signal });
  }
}

/** 0 for a run that ended well, 1 for one that failed or was cancelled; a running run is not a failure. */
export function exitCodeOf(run: RunDetail): number {
  return run.status === 'failed' || run.status === 'cancelled' ? EXIT.failed : EXIT.ok;
}
