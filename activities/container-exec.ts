// Runs one argv command inside a running job container through the Docker exec API, streaming its
// output, with a timeout and prompt cancellation. Not an activity itself: phase activities use it.
import { randomBytes } from 'node:crypto';
import { PassThrough, type Writable } from 'node:stream';
import type Docker from 'dockerode';

export interface ExecOptions {
  workdir?: string;
  env?: Record<string, string>;
  stdout: Writable;
  stderr: Writable;
  /** Kills the command when aborted (activity cancellation, worker shutdown). */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Seconds between SIGTERM and SIGKILL when the command is stopped. */
  killGraceSeconds?: number;
}

export interface ExecResult {
  exitCode: number;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

/**
 * Docker has no API to kill an exec'd process. So the command starts in a session of its own
 * (`setsid --wait`) whose leader writes its pid to a file; stopping it signals that whole process
 * group, which also reaches the agent CLI's children. The wrapper is a constant script: the command
 * is passed as separate argv entries and never interpolated into a shell string.
 */
const LAUNCH_SCRIPT = 'echo "$$" > "$0"; exec "$@"';
// dash's kill takes no `--`: a negative pid right after the signal names the process group.
// The command may be aborted before its launcher wrote the pid file: wait briefly for it.
const KILL_SCRIPT =
  'n=0; while [ ! -s "$0" ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n+1)); done; ' +
  'pid=$(cat "$0" 2>/dev/null) || exit 0; kill -TERM "-$pid" 2>/dev/null || exit 0; ' +
  'i=0; while [ "$i" -lt "$1" ] && kill -0 "-$pid" 2>/dev/null; do sleep 1; i=$((i+1)); done; ' +
  'kill -KILL "-$pid" 2>/dev/null; exit 0';

export async function execInContainer(
  docker: Docker,
  containerId: string,
  argv: string[],
  options: ExecOptions,
): Promise<ExecResult> {
  if (argv.length === 0) throw new Error('execInContainer: empty argv');
  const started = Date.now();
  const container = docker.getContainer(containerId);
  const pidFile = `/tmp/spec-automation-exec-${randomBytes(8).toString('hex')}.pid`;
  const exec = await container.exec({
    Cmd: ['setsid', '--wait', 'sh', '-c', LAUNCH_SCRIPT, pidFile, ...argv],
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: false,
    Tty: false,
    WorkingDir: options.workdir,
    Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  out.pipe(options.stdout, { end: false });
  err.pipe(options.stderr, { end: false });
  docker.modem.demuxStream(stream, out, err);

  let timedOut = false;
  let aborted = false;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= killProcessGroup(container, pidFile, options.killGraceSeconds ?? 5);
    return stopping;
  };
  const onAbort = () => {
    aborted = true;
    void stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const timer =
    options.timeoutMs && options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          void stop();
        }, options.timeoutMs)
      : undefined;

  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    out.unpipe(options.stdout);
    err.unpipe(options.stderr);
  }
  if (stopping) await stopping;
  const info = await exec.inspect();
  return {
    exitCode: info.ExitCode ?? -1,
    timedOut,
    aborted,
    durationMs: Date.now() - started,
  };
}

async function killProcessGroup(container: Docker.Container, pidFile: string, graceSeconds: number): Promise<void> {
  try {
    const kill = await container.exec({
      Cmd: ['sh', '-c', KILL_SCRIPT, pidFile, String(graceSeconds)],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await kill.start({ hijack: true, stdin: false });
    stream.resume();
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
  } catch {
    // The container may already be gone (finalization removed it): nothing is left to kill.
  }
}
