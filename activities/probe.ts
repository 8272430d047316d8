// Probe activity: runs one command in the job container and keeps its exit code, stdout and stderr as
// an artifact. The first vertical slice of the pipeline: it proves the container, the exec channel,
// cancellation and the artifact directory end to end.
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type Docker from 'dockerode';
import type { Settings } from '../config/settings.js';
import { ErrorType } from '../workflows/errors.js';
import { execInContainer } from './container-exec.js';
import { withHeartbeats } from './heartbeat.js';
import { runPaths } from './workspace.js';

export interface ProbeDeps {
  settings: Settings;
  docker: Docker;
  /** The command to probe with; `git --version` unless a deployment (or a test) says otherwise. */
  probeCommand?: string[];
}

export const PROBE_ARTIFACT = 'toolchain-probe.log';

export function createProbeActivities({ settings, docker, probeCommand = ['git', '--version'] }: ProbeDeps) {
  return {
    async probeJobToolchain({ runId, containerId }: { runId: string; containerId: string }): Promise<{ exitCode: number; artifact: string }> {
      const paths = runPaths(settings.workspaceRoot, runId);
      const stdout = collect();
      const stderr = collect();
      const result = await withHeartbeats(
        () => ({ phase: 'probe', bytes: stdout.size() + stderr.size() }),
        (signal) => execInContainer(docker, containerId, probeCommand, { stdout: stdout.stream, stderr: stderr.stream, signal, timeoutMs: 60_000 }),
      );
      const artifact = path.join(paths.artifacts, PROBE_ARTIFACT);
      await fs.writeFile(
        artifact,
        [`$ ${probeCommand.join(' ')}`, `exit code: ${result.exitCode}`, '--- stdout ---', stdout.text(), '--- stderr ---', stderr.text()].join('\n'),
        { mode: 0o640 },
      );
      if (result.aborted) throw new CancelledFailure(Context.current().cancellationSignal.reason?.toString() ?? 'cancelled');
      if (result.exitCode !== 0) {
        // The same command in the same image fails the same way again: retrying cannot fix it.
        throw ApplicationFailure.create({
          type: ErrorType.CommandFailed,
          nonRetryable: true,
          message: `${probeCommand[0]} exited with ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}`,
          details: [{ exitCode: result.exitCode, artifact: PROBE_ARTIFACT }],
        });
      }
      return { exitCode: result.exitCode, artifact: PROBE_ARTIFACT };
    },
  };
}

function collect() {
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => chunks.push(c));
  return {
    stream,
    size: () => chunks.reduce((n, c) => n + c.length, 0),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}
