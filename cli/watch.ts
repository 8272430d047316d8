// `run --follow` and `status --follow`: the live display until the run ends, then its summary and
// the exit code its outcome calls for. Ctrl-C detaches (the run goes on) and exits 130.
import { EXIT } from './errors.js';
import { exitCodeOf, followRun } from './follow.js';
import { phaseTable, runSummary } from './format.js';
import { createReporter } from './progress.js';
import { write, writeJson, type Ctx } from './context.js';

/** `shownStatus`: the status already printed for this run, not to be repeated. */
export async function watchRun(ctx: Ctx, runId: string, timeoutSeconds: number, shownStatus?: string): Promise<number> {
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  // `once`: a second Ctrl-C while the display winds down gets Node's default and ends the process.
  process.once('SIGINT', onInterrupt);
  // With --json, stdout carries only the final document; the live lines go to stderr.
  const reporter = createReporter(ctx.json ? ctx.io.err : ctx.io.out, { shownStatus });
  try {
    const run = await followRun(ctx.client, runId, reporter, { timeoutMs: timeoutSeconds * 1000, signal: abort.signal });
    reporter.stop(run.status === 'succeeded' || run.status === 'no_changes');
    if (ctx.json) writeJson(ctx.io, run);
    else write(ctx.io, runSummary(run));
    return exitCodeOf(run);
  } catch (err) {
    reporter.stop(false);
    if (abort.signal.aborted) {
      ctx.io.err.write(`interrupted: run ${runId} keeps going; follow it with \`spec-automation status ${runId} --follow\` or stop it with \`spec-automation cancel ${runId}\`\n`);
      return EXIT.interrupted;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

/** `status` without --follow: one snapshot. */
export async function showRun(ctx: Ctx, runId: string): Promise<number> {
  const run = await ctx.client.getRun(runId);
  if (ctx.json) writeJson(ctx.io, run);
  else write(ctx.io, [...runSummary(run), '', ...phaseTable(run.phases)]);
  return exitCodeOf(run);
}
