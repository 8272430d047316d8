// `run`: starts a run through the API; with --follow, shows it live to the end.
import { Option, type Command } from 'commander';
import { collect, intIn, write, writeJson } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { watchRun } from '../watch.js';
import type { Act } from './types.js';

interface RunOptions {
  repo: string;
  feature: string;
  base?: string;
  agent?: string;
  model?: string;
  dryRun?: boolean;
  planGuidance?: string;
  tasksGuidance?: string;
  label?: string[];
  branch?: string;
  env?: string[];
  idempotencyKey?: string;
  follow?: boolean;
  timeout: number;
}

/**
 * The POST body. Only flags that were given are sent, so the server's defaults (base branch, agent,
 * labels) apply otherwise; the server validates everything and names the field it rejects.
 */
export function runBody(o: RunOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { repository: o.repo, featureDescription: o.feature };
  if (o.base !== undefined) body.baseBranch = o.base;
  if (o.agent !== undefined) body.agentBackend = o.agent;
  if (o.model !== undefined) body.agentModel = o.model;
  if (o.dryRun) body.dryRun = true;
  if (o.planGuidance !== undefined) body.planGuidance = o.planGuidance;
  if (o.tasksGuidance !== undefined) body.tasksGuidance = o.tasksGuidance;
  if (o.label?.length) body.labels = o.label;
  if (o.branch !== undefined) body.branchName = o.branch;
  if (o.env?.length) body.runtimeEnvironment = Object.fromEntries(o.env.map(envPair));
  return body;
}

function envPair(entry: string): [string, string] {
  const eq = entry.indexOf('=');
  if (eq <= 0) throw new CliError('invalid_argument', `--env: expected KEY=VALUE, got "${entry}"`, EXIT.usage);
  return [entry.slice(0, eq), entry.slice(eq + 1)];
}

export function registerRun(program: Command, act: Act): void {
  program
    .command('run')
    .description('start a run (and, with --follow, watch it to the end)')
    .requiredOption('--repo <repository>', 'target repository: owner/name, an https:// git URL or a file:/// URL')
    .requiredOption('--feature <description>', 'the feature to specify (Spec Kit /speckit.specify input)')
    .option('--base <branch>', 'base branch (server default: main)')
    .option('--agent <backend>', 'agent backend: codex_cli, claude_code, gemini_cli or stub (server default and allow-list apply)')
    .option('--model <name>', 'agent model')
    .option('--dry-run', 'commit locally only: push nothing, open no pull request')
    .option('--plan-guidance <text>', 'extra guidance for /speckit.plan')
    .option('--tasks-guidance <text>', 'extra guidance for /speckit.tasks')
    .option('--label <label>', 'pull request label (repeatable; replaces the default labels)', collect)
    .option('--branch <name>', 'run branch name (server default: derived from the run)')
    .option('--env <KEY=VALUE>', 'runtime environment variable for the agent (repeatable; values are redacted in records)', collect)
    .option('--idempotency-key <key>', 'retrying with the same key returns the same run instead of starting another')
    .option('--follow', 'show each phase live and wait for the outcome; exit 1 if the run fails')
    .addOption(new Option('--timeout <seconds>', 'longest --follow waits').default(3600).argParser(intIn(1, 7 * 86_400)))
    .action((opts: RunOptions, cmd: Command) =>
      act(cmd, async (ctx) => {
        const accepted = await ctx.client.startRun(runBody(opts), opts.idempotencyKey);
        if (opts.follow) {
          // The id first, on its own line: it is what an operator needs if the follow is cut short.
          (ctx.json ? ctx.io.err : ctx.io.out).write(`run ${accepted.runId}: ${accepted.status}\n`);
          return watchRun(ctx, accepted.runId, opts.timeout, accepted.status);
        }
        if (ctx.json) writeJson(ctx.io, accepted);
        else write(ctx.io, [`run ${accepted.runId}: ${accepted.status}`, `follow it: spec-automation status ${accepted.runId} --follow`]);
        return EXIT.ok;
      }),
    );
}
