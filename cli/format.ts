// Plain-text renderings of runs, phases and artifacts. Pure functions returning lines, so the live
// display, `status` and `list` print the same words for the same facts.
import { oneLine } from './errors.js';
import type { ArtifactRef, PhaseRow, RunDetail, RunSummary } from './types.js';

/** Left-aligned columns; the last one is not padded so long URLs do not add trailing spaces. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `2024-05-01 12:00:00Z`: sortable, and short enough for a table. */
export function when(iso: string | null): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : '-';
}

export function duration(startedAt: string | null, completedAt: string | null): string {
  if (!startedAt || !completedAt) return '-';
  const ms = Date.parse(completedAt) - Date.parse(startedAt);
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** What a failed phase row says went wrong, first line only. */
export function phaseError(row: PhaseRow): string | undefined {
  const error = row.metadata.error as { type?: string; message?: string } | undefined;
  if (!error?.message) return undefined;
  const message = oneLine(error.message);
  return `${error.type ? `${error.type}: ` : ''}${message.length > 300 ? `${message.slice(0, 297)}...` : message}`;
}

/** `phase discover: failed (attempt 2, exit 128): RepositoryNotFoundError: ...` */
export function phaseLine(row: PhaseRow): string {
  const notes = [row.attempt > 1 ? `attempt ${row.attempt}` : '', row.exitCode !== null && row.status === 'failed' ? `exit ${row.exitCode}` : ''].filter(Boolean);
  const error = row.status === 'failed' ? phaseError(row) : undefined;
  return `phase ${row.phase}: ${row.status}${notes.length ? ` (${notes.join(', ')})` : ''}${error ? `: ${error}` : ''}`;
}

export function runError(run: RunSummary): string | undefined {
  if (!run.errorCode && !run.errorMessage) return undefined;
  return `${run.errorCode ?? 'error'}: ${oneLine(run.errorMessage ?? '')}`;
}

function artifactLines(title: string, refs: ArtifactRef[]): string[] {
  if (!refs.length) return [];
  const width = Math.max(...refs.map((a) => a.name.length));
  return [`${title}:`, ...refs.map((a) => `  ${a.name.padEnd(width)}  ${a.downloadUrl}`)];
}

/** The end of `run --follow` and the head of `status`: outcome, where the result is, how to get it. */
export function runSummary(run: RunDetail): string[] {
  const error = runError(run);
  return [
    `run ${run.runId}`,
    `status: ${run.status}${run.currentPhase ? ` (phase ${run.currentPhase})` : ''}`,
    `repository: ${run.repository} (base ${run.baseBranch}${run.dryRun ? ', dry run' : ''})`,
    `branch: ${run.branchName ?? '-'}`,
    `pull request: ${run.pullRequestUrl ?? (run.dryRun ? 'none (dry run)' : 'none')}`,
    ...(error ? [`error: ${error}`] : []),
    `started: ${when(run.startedAt ?? run.createdAt)}   completed: ${when(run.completedAt)}`,
    ...(run.links.temporalUi ? [`temporal: ${run.links.temporalUi}`] : []),
    ...artifactLines('artifacts', run.artifacts),
    ...artifactLines('step logs', run.stepLogs),
  ];
}

export function phaseTable(phases: PhaseRow[]): string[] {
  if (!phases.length) return ['phases: none recorded yet'];
  return table(
    ['PHASE', 'ATTEMPT', 'STATUS', 'STARTED', 'DURATION', 'ERROR'],
    phases.map((p) => [p.phase, String(p.attempt), p.status, when(p.startedAt), duration(p.startedAt, p.completedAt), (p.status === 'failed' && phaseError(p)) || '']),
  );
}

export function runTable(runs: RunSummary[]): string[] {
  return table(
    ['RUN ID', 'STATUS', 'PHASE', 'REPOSITORY', 'CREATED', 'PULL REQUEST'],
    runs.map((r) => [r.runId, r.status, r.currentPhase ?? '-', r.repository, when(r.createdAt), r.pullRequestUrl ?? '-']),
  );
}

export function artifactTable(run: RunDetail): string[] {
  const rows = [...run.artifacts.map((a) => ['artifact', a] as const), ...run.stepLogs.map((a) => ['step log', a] as const)];
  return table(
    ['NAME', 'KIND', 'SIZE', 'SHA256', 'EXPIRES', 'URL'],
    rows.map(([kind, a]) => [a.name, kind, bytes(a.sizeBytes), a.sha256.slice(0, 12), when(a.expiresAt), a.downloadUrl]),
  );
}
