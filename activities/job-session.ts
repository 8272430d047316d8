// A phase's conversation with its job container: each command is logged (`$ argv`, output, exit code)
// into the phase's artifact log, and its output is also captured for the caller to parse.
import { PassThrough, type Writable } from 'node:stream';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import { ErrorType } from '../workflows/errors.js';
import type { ArtifactLog } from './artifacts.js';
import { execInContainer, type ExecResult } from './container-exec.js';
import { withHeartbeats } from './heartbeat.js';

export interface CommandResult extends ExecResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  workdir?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Return non-zero exits instead of throwing. */
  allowFailure?: boolean;
  /** How the command is shown in the log when the argv itself is too long or noisy (a prompt). */
  display?: string;
  /** Extra sinks for the output (a per-step log). */
  tee?: Writable;
}

const MAX_CAPTURE = 4 * 1024 * 1024;

export class JobSession {
  constructor(
    private readonly docker: Docker,
    readonly containerId: string,
    readonly log: ArtifactLog,
    private readonly signal: AbortSignal,
  ) {}

  async run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    this.log.line(`$ ${opts.display ?? argv.map(quoteForDisplay).join(' ')}`);
    const out = capture();
    const err = capture();
    const logStream = this.log.stream();
    const fanOut = (c: ReturnType<typeof capture>) => {
      const s = new PassThrough();
      s.on('data', (chunk: Buffer) => {
        c.push(chunk);
        logStream.write(chunk);
        opts.tee?.write(chunk);
      });
      return s;
    };
    // Heartbeats while the command runs: they keep a long clone or agent run alive, carry progress,
    // and are how a cancellation reaches this activity.
    const result = await withHeartbeats(
      () => ({ command: argv[0], outputBytes: out.size() + err.size() }),
      () =>
        execInContainer(this.docker, this.containerId, argv, {
          workdir: opts.workdir,
          env: opts.env,
          stdout: fanOut(out),
          stderr: fanOut(err),
          signal: this.signal,
          timeoutMs: opts.timeoutMs,
        }),
    );
    this.log.line(`[exit code ${result.exitCode}${result.timedOut ? ', timed out' : ''}${result.aborted ? ', stopped: cancelled' : ''} after ${result.durationMs} ms]`);
    // Callers quote this output in error messages, which reach history and the database: scrub it.
    const full: CommandResult = { ...result, stdout: this.log.redact(out.text()), stderr: this.log.redact(err.text()) };
    if (result.aborted) throw new CancelledFailure('command stopped: the activity was cancelled');
    if (result.exitCode !== 0 && !opts.allowFailure) {
      throw ApplicationFailure.create({
        type: ErrorType.CommandFailed,
        message: `${argv[0]} exited with ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}: ${this.log.redact(lastLine(full.stderr || full.stdout))}`,
        details: [{ command: argv[0], exitCode: result.exitCode, log: this.log.name }],
      });
    }
    return full;
  }
}

function capture() {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(c: Buffer) {
      if (size < MAX_CAPTURE) {
        chunks.push(c);
        size += c.length;
      }
    },
    size: () => size,
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

function quoteForDisplay(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines.at(-1) ?? '').slice(0, 500);
}
