// `cancel <runId>`: asks Temporal (through the API) to cancel; the run then cleans up and ends
// `cancelled`. The request returns at once; `status --follow` shows the end.
import type { Command } from 'commander';
import { write, writeJson } from '../context.js';
import { EXIT } from '../errors.js';
import type { Act } from './types.js';

export function registerCancel(program: Command, act: Act): void {
  program
    .command('cancel')
    .description('cancel a run that has not ended')
    .argument('<runId>', 'the run id')
    .action((runId: string, _opts: unknown, cmd: Command) =>
      act(cmd, async (ctx) => {
        const res = await ctx.client.cancelRun(runId);
        if (ctx.json) writeJson(ctx.io, res);
        else write(ctx.io, [`run ${res.runId}: ${res.status}`, `follow it: spec-automation status ${res.runId} --follow`]);
        return EXIT.ok;
      }),
    );
}
