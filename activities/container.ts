// Container activities: the run's ephemeral job container (start, remove) on the worker's Docker engine.
import { ApplicationFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import type { Settings } from '../config/settings.js';
import { ErrorType } from '../workflows/errors.js';
import { runKey, runPaths } from './workspace.js';

export const RUN_ID_LABEL = 'io.spec-automation.run-id';
export const MANAGED_LABEL = 'io.spec-automation.managed';

export interface ContainerDeps {
  settings: Settings;
  docker: Docker;
}

export interface StartJobContainerInput {
  runId: string;
  /** Extra environment for the container (credentials, agent configuration). */
  env?: Record<string, string>;
  /** Extra host paths mounted at the same path (a file:// origin repository). */
  extraMounts?: string[];
}

export function createContainerActivities({ settings, docker }: ContainerDeps) {
  async function listRunContainers(runId: string) {
    return docker.listContainers({ all: true, filters: { label: [`${RUN_ID_LABEL}=${runId}`] } });
  }

  async function removeContainers(runId: string): Promise<string[]> {
    const removed: string[] = [];
    for (const info of await listRunContainers(runId)) {
      try {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
        removed.push(info.Id);
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
      }
    }
    return removed;
  }

  return {
    /**
     * Starts the run's job container: `sleep infinity` as the image's non-root user, labelled with the
     * run id, the run's workspace bind-mounted at the same path. Idempotent: a container left by an
     * earlier attempt of this activity is removed first.
     */
    async startJobContainer({ runId, env = {}, extraMounts = [] }: StartJobContainerInput): Promise<{ containerId: string }> {
      const paths = runPaths(settings.workspaceRoot, runId);
      await removeContainers(runId);
      try {
        await docker.getImage(settings.job.image).inspect();
      } catch (err) {
        if (statusCode(err) === 404) {
          throw ApplicationFailure.create({
            type: ErrorType.JobImageMissing,
            nonRetryable: true,
            message: `job image ${settings.job.image} is not present on this worker's Docker engine (run scripts/setup.sh or set SPEC_AUTOMATION_JOB_IMAGE)`,
          });
        }
        throw err;
      }
      const workerIsRoot = process.getuid?.() === 0;
      const container = await docker.createContainer({
        name: `spec-automation-${runKey(runId)}`,
        Image: settings.job.image,
        Cmd: ['sleep', 'infinity'],
        // A non-root worker cannot hand the workspace to the image's user, so the container runs as
        // the worker's own uid instead; it stays non-root either way.
        User: workerIsRoot ? undefined : `${process.getuid?.()}:${process.getgid?.()}`,
        WorkingDir: paths.repo,
        Env: Object.entries({ HOME: paths.home, ...env }).map(([k, v]) => `${k}=${v}`),
        Labels: { [RUN_ID_LABEL]: runId, [MANAGED_LABEL]: 'true' },
        HostConfig: {
          Binds: [`${paths.runDir}:${paths.runDir}:rw`, ...extraMounts.map((p) => `${p}:${p}:rw`)],
          NetworkMode: settings.job.network,
          Memory: settings.job.memoryMb > 0 ? settings.job.memoryMb * 1024 * 1024 : undefined,
          SecurityOpt: ['no-new-privileges'],
          CapDrop: ['ALL'],
        },
      });
      await container.start();
      return { containerId: container.id };
    },

    /** Force-removes every container labelled with the run id (also ones an interrupted start left). */
    async removeJobContainer({ runId }: { runId: string }): Promise<{ removed: string[] }> {
      return { removed: await removeContainers(runId) };
    },
  };
}

export function statusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number((err as { statusCode: unknown }).statusCode) : undefined;
}
