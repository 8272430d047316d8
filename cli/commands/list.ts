// `list`: runs newest first, one page or (--all) every page, bounded.
import { Option, type Command } from 'commander';
import { intIn, write, writeJson } from '../context.js';
import { EXIT } from '../errors.js';
import { runTable } from '../format.js';
import type { RunSummary } from '../types.js';
import type { Act } from './types.js';

/** --all stops here: a runaway listing is a mistake, not a report. */
const MAX_RUNS = 10_000;

interface ListOptions {
  status?: string;
  repo?: string;
  limit: number;
  all?: boolean;
}

export function registerList(program: Command, act: Act): void {
  program
    .command('list')
    .description('list runs, newest first')
    .option('--status <status>', 'only runs with this status (queued, in_progress, succeeded, failed, cancelled, no_changes)')
    .option('--repo <repository>', 'only runs of this repository')
    .addOption(new Option('--limit <n>', 'runs per page').default(20).argParser(intIn(1, 100)))
    .option('--all', `every page (at most ${MAX_RUNS} runs)`)
    .action((opts: ListOptions, cmd: Command) =>
      act(cmd, async (ctx) => {
        const runs: RunSummary[] = [];
        let cursor: string | undefined;
        let next: string | null = null;
        let truncated = false;
        for (;;) {
          const page = await ctx.client.listRuns({ status: opts.status, repository: opts.repo, limit: opts.limit, cursor });
          runs.push(...page.items);
          next = page.nextCursor;
          if (!opts.all || !page.nextCursor) break;
          if (runs.length >= MAX_RUNS) {
            truncated = true;
            break;
          }
          cursor = page.nextCursor;
        }
        // Without --all, the cursor lets a script page on with the API directly.
        if (ctx.json) writeJson(ctx.io, { items: runs, nextCursor: opts.all ? null : next });
        else if (!opts.all && next && runs.length) write(ctx.io, [...runTable(runs), `(more: --all, or a larger --limit)`]);
        else write(ctx.io, runs.length ? runTable(runs) : ['no runs']);
        if (truncated) ctx.io.err.write(`note: stopped after ${runs.length} runs; narrow with --status or --repo\n`);
        return EXIT.ok;
      }),
    );
}
