// `artifacts <runId>`: the run's artifacts and step logs; `--get NAME [-o FILE]` downloads one,
// verified against its recorded sha256.
import { Option, type Command } from 'commander';
import { intIn, write, writeJson } from '../context.js';
import { downloadVerified } from '../download.js';
import { CliError, EXIT } from '../errors.js';
import { artifactTable } from '../format.js';
import type { Act } from './types.js';

interface ArtifactsOptions {
  get?: string;
  output?: string;
  timeout: number;
}

export function registerArtifacts(program: Command, act: Act): void {
  program
    .command('artifacts')
    .description("list a run's artifacts, or download one verified against its sha256 (exit 1 on a mismatch)")
    .argument('<runId>', 'the run id')
    .option('--get <name>', 'download the artifact with this name (e.g. commit_status.env)')
    .option('-o, --output <file>', 'write the download here instead of stdout')
    .addOption(new Option('--timeout <seconds>', 'longest a download may take').default(600).argParser(intIn(1, 86_400)))
    .action((runId: string, opts: ArtifactsOptions, cmd: Command) =>
      act(cmd, async (ctx) => {
        if (opts.output && !opts.get) throw new CliError('invalid_argument', '-o/--output needs --get NAME', EXIT.usage);
        const run = await ctx.client.getRun(runId);
        const all = [...run.artifacts, ...run.stepLogs];
        if (!opts.get) {
          if (ctx.json) writeJson(ctx.io, { artifacts: run.artifacts, stepLogs: run.stepLogs });
          else write(ctx.io, all.length ? artifactTable(run) : [`run ${run.runId} has no artifacts yet`]);
          return EXIT.ok;
        }
        const ref = all.find((a) => a.name === opts.get);
        if (!ref) {
          const names = all.map((a) => a.name).join(', ') || 'none';
          throw new CliError('artifact_not_found', `run ${run.runId} has no artifact named ${opts.get} (it has: ${names})`, EXIT.usage);
        }
        const done = await downloadVerified(ctx.client, run.runId, ref, opts.output, opts.timeout * 1000);
        if (done.content) ctx.io.out.write(done.content);
        else ctx.io.err.write(`wrote ${opts.output} (${done.bytes} bytes, sha256 ${done.sha256} verified)\n`);
        return EXIT.ok;
      }),
    );
}
