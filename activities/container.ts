// Container activities: the run's ephemeral job container (start, remove) on the worker's Docker engine.
import { ApplicationFailure } from '@temporalio/activity';
import type Docker from 'dockerode';
import type { Metrics } from '../config/metrics.js';
import type { Settings } from '../config/settings.js';
import { ErrorType } from '../workflows/errors.js';
import type { ResolvedRun } from '../workflows/shared.js';
import type { Db } from '../db/client.js';
import { updateRun, upsertAgentConfiguration, upsertCredentialAudit } from '../db/runs-repository.js';
import { writeArtifact } from './artifacts.js';
import { recordPhase } from './recording.js';
import { collectCredentials } from './credentials.js';
import { runKey, runPaths } from './workspace.js';

export const RUN_ID_LABEL = 'io.spec-automation.run-id';
export const MANAGED_LABEL = 'io.spec-automation.managed';
/** The workspace root the container belongs to: tells one deployment's containers from another's on a shared engine. */
export const WORKSPACE_ROOT_LABEL = 'io.spec-automation.workspace-root';

export interface ContainerDeps {
  settings: Settings;
  docker: Docker;
  db: Db;
  metrics: Metrics;
  /** The environment credentials are collected from (the worker's, unless a test says otherwise). */
  env: NodeJS.ProcessEnv;
}

export interface StartJobContainerInput {
  run: ResolvedRun;
  runtimeEnvironment: Record<string, string>;
}

export const CREDENTIAL_AUDIT_ARTIFACT = 'credential-audit.json';

/** Force-removes every container labelled with the run id (also ones an interrupted start left). */
export async function removeRunContainers(docker: Docker, runId: string): Promise<string[]> {
  const removed: string[] = [];
  for (const info of await docker.listContainers({ all: true, filters: { label: [`${RUN_ID_LABEL}=${runId}`] } })) {
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
      removed.push(info.Id);
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
  return removed;
}

export function createContainerActivities(deps: ContainerDeps) {
  const { settings, docker, env: processEnv, db } = deps;
  return {
    /**
     * Starts the run's job container: `sleep infinity` as the image's non-root user, labelled with the
     * run id, the run's workspace (and a file:// origin) bind-mounted at the same path, with the run's
     * credentials and git identity in its environment. Writes credential-audit.json first, and fails
     * with CredentialValidationError when a required credential is missing. Idempotent: a container
     * left by an earlier attempt is removed first.
     */
    async startJobContainer(input: StartJobContainerInput): Promise<{ containerId: string; artifacts: string[] }> {
      return recordPhase(deps, { runId: input.run.runId, repo: input.run.repository, phase: 'start_container', artifactsOnFailure: [CREDENTIAL_AUDIT_ARTIFACT] }, () => start(input));
    },
  };

  async function start({ run, runtimeEnvironment }: StartJobContainerInput): Promise<{ containerId: string; artifacts: string[] }> {
    const runId = run.runId;
    const paths = runPaths(settings.workspaceRoot, runId);
    const credentials = collectCredentials(run, runtimeEnvironment, processEnv);
    await writeArtifact(
      paths.artifacts,
      CREDENTIAL_AUDIT_ARTIFACT,
      JSON.stringify({ runId, generatedAt: new Date().toISOString(), ...credentials.audit }, null, 2) + '\n',
      credentials.secretValues,
    );
    await upsertCredentialAudit(db, { runId, entries: credentials.audit.entries.map(({ key, source, from, overrides }) => ({ key, source, from, overrides })), missing: credentials.audit.missing });
    if (credentials.audit.missing.length) {
      throw ApplicationFailure.create({
        type: ErrorType.CredentialValidation,
        nonRetryable: true,
        message: `Credential validation failed: missing ${credentials.audit.missing.map((m) => `${m.key} (${m.reason})`).join('; ')}`,
        details: [{ missing: credentials.audit.missing.map((m) => m.key), artifact: CREDENTIAL_AUDIT_ARTIFACT }],
      });
    }
    await removeRunContainers(docker, runId);
    let imageLabels: Record<string, string> = {};
    try {
      imageLabels = (await docker.getImage(settings.job.image).inspect()).Config?.Labels ?? {};
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
    const env: Record<string, string> = {
      ...runtimeEnvironment,
      ...credentials.env,
      HOME: paths.home,
      GIT_AUTHOR_NAME: run.gitAuthorName,
      GIT_AUTHOR_EMAIL: run.gitAuthorEmail,
      GIT_COMMITTER_NAME: run.gitAuthorName,
      GIT_COMMITTER_EMAIL: run.gitAuthorEmail,
      // Never let git or gh stop to ask for anything.
      GIT_TERMINAL_PROMPT: '0',
      GH_PROMPT_DISABLED: '1',
      SPEC_AUTOMATION_RUN_ID: runId,
    };
    const container = await docker.createContainer({
      name: `spec-automation-${runKey(runId)}`,
      Image: settings.job.image,
      Cmd: ['sleep', 'infinity'],
      // A non-root worker cannot hand the workspace to the image's user, so the container runs as
      // the worker's own uid instead; it stays non-root either way.
      User: workerIsRoot ? undefined : `${process.getuid?.()}:${process.getgid?.()}`,
      WorkingDir: paths.repo,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: { [RUN_ID_LABEL]: runId, [MANAGED_LABEL]: 'true', [WORKSPACE_ROOT_LABEL]: settings.workspaceRoot },
      HostConfig: {
        // Only the clone and HOME: artifacts stay host-only, so nothing in the container can plant a
        // symlink that the (root) worker would later write through.
        Binds: [`${paths.repo}:${paths.repo}:rw`, `${paths.home}:${paths.home}:rw`, ...run.originMounts.map((p) => `${p}:${p}:rw`)],
        NetworkMode: settings.job.network,
        Memory: settings.job.memoryMb > 0 ? settings.job.memoryMb * 1024 * 1024 : undefined,
        PidsLimit: settings.job.pidsLimit > 0 ? settings.job.pidsLimit : undefined,
        NanoCpus: settings.job.cpus > 0 ? Math.round(settings.job.cpus * 1e9) : undefined,
        SecurityOpt: ['no-new-privileges'],
        CapDrop: ['ALL'],
      },
    });
    await container.start();
    await updateRun(db, runId, { jobContainerId: container.id, workerHostname: settings.worker.hostname });
    await upsertAgentConfiguration(db, {
      runId,
      agentBackend: run.agentBackend,
      agentVersion: agentVersion(run.agentBackend, imageLabels),
      agentModel: run.agentModel ?? (run.agentBackend === 'codex_cli' ? settings.agent.codex.model : undefined),
      promptPackVersion: `specify-cli ${imageLabels['io.spec-automation.specify-cli-version'] ?? 'unknown'}`,
      runtimeEnv: Object.fromEntries(run.runtimeEnvironmentKeys.map((k) => [k, '***REDACTED***'])),
    });
    return { containerId: container.id, artifacts: [CREDENTIAL_AUDIT_ARTIFACT] };
  }
}

function agentVersion(backend: ResolvedRun['agentBackend'], labels: Record<string, string>): string {
  const label = { codex_cli: 'io.spec-automation.codex-version', claude_code: 'io.spec-automation.claude-code-version', gemini_cli: 'io.spec-automation.gemini-cli-version', stub: '' }[backend];
  return backend === 'stub' ? 'stub' : (labels[label] ?? 'unknown');
}

export function statusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number((err as { statusCode: unknown }).statusCode) : undefined;
}
