// `status <runId>`: the run's summary and phases; with --follow, the live display until it ends.
import { Option, type Command } from 'commander';
import { intIn } from '../context.js';
import { showRun, watchRun } from '../watch.js';
import type { Act } from './types.js';

export function registerStatus(program: Command, act: Act): void {
  program
    .command('status')
    .description('show a run: outcome, pull request, artifacts and phases (exit 1 if it failed or was cancelled)')
    .argument('<runId>', 'the run id (also its Temporal workflow id)')
    .option('--follow', 'show each phase live until the run ends')
    .addOption(new Option('--timeout <seconds>', 'longest --follow waits').default(3600).argParser(intIn(1, 7 * 86_400)))
    .action((runId: string, opts: { follow?: boolean; timeout: number }, cmd: Command) =>
      act(cmd, (ctx) => (opts.follow ? watchRun(ctx, runId, opts.timeout) : showRun(ctx, runId))),
    );
}
