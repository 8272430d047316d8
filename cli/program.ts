// The `spec-automation` command line: global options, the commands, and the one place that turns
// failures into `error: <code>: <message>` and an exit code (no stack traces for operators).
import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { registerArtifacts } from './commands/artifacts.js';
import { registerCancel } from './commands/cancel.js';
import { registerList } from './commands/list.js';
import { registerRun } from './commands/run.js';
import { registerStatus } from './commands/status.js';
import type { Act } from './commands/types.js';
import { contextOf } from './context.js';
import { CliError, EXIT, oneLine } from './errors.js';
import type { Io } from './types.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(io: Io, act: Act): Command {
  const program = new Command('spec-automation')
    .description('Start, watch and inspect Spec Kit Automation runs through its REST API.')
    .version(version())
    .addOption(new Option('--api-url <url>', 'API base URL').env('SPEC_AUTOMATION_API_URL').default(DEFAULT_API_URL))
    .addOption(new Option('--token <token>', 'API bearer token (prefer the variable: command lines are visible to other users)').env('SPEC_AUTOMATION_API_TOKEN'))
    .option('--json', 'machine-readable JSON on stdout')
    // Errors come back to main() instead of exiting inside commander, so every exit code is ours.
    // Both settings are copied to the commands created below.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out.write(s),
      writeErr: (s) => io.err.write(s),
    })
    .showSuggestionAfterError(true);
  registerRun(program, act);
  registerStatus(program, act);
  registerList(program, act);
  registerArtifacts(program, act);
  registerCancel(program, act);
  return program;
}

/** Runs the CLI and resolves to its exit code; never throws. */
export async function main(argv: string[], io: Io = { out: process.stdout, err: process.stderr }): Promise<number> {
  let code: number = EXIT.ok;
  const act: Act = async (cmd, body) => {
    code = await body(contextOf(cmd, io));
  };
  try {
    await buildProgram(io, act).parseAsync(argv);
    return code;
  } catch (err) {
    // Commander already printed its one-line message (or the help / version it was asked for).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof CliError) {
      io.err.write(`error: ${err.code}: ${oneLine(err.message)}\n`);
      return err.exitCode;
    }
    // A bug of ours: still one line; SPEC_AUTOMATION_DEBUG=1 shows where.
    io.err.write(`error: internal: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    if (process.env.SPEC_AUTOMATION_DEBUG) io.err.write(`${(err as Error)?.stack ?? ''}\n`);
    return EXIT.failed;
  }
}
