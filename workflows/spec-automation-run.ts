// The SpecAutomationRun workflow: validate, prepare the workspace, start the job container, discover,
// submit (one Spec Kit step at a time), publish; and a finalization that always runs (success,
// failure, cancellation) in a scope a cancellation cannot interrupt.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { NON_RETRYABLE_ERROR_TYPES } from './errors.js';
import {
  PHASES,
  SpecPhase,
  SpecRepository,
  SpecRunStatus,
  statusQuery,
  type PhaseName,
  type PhaseState,
  type ResolvedRun,
  type RunInput,
  type RunStatus,
  type RunStatusView,
} from './shared.js';

type FinalStatus = Exclude<RunStatus, 'queued' | 'in_progress'>;

const retry = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  maximumAttempts: 5,
  nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
};

/**
 * Activity options per kind of work. `taskQueue` is the host-only queue of the worker that prepared
 * the workspace: the container and the clone exist only on that host (undefined: the shared queue).
 */
function activitiesFor(taskQueue: string | undefined, run?: ResolvedRun) {
  return {
    /** Short local work; waits for a cancelled start to finish, so no container appears after cleanup. */
    local: proxyActivities<Activities>({ taskQueue, startToCloseTimeout: '2m', cancellationType: 'WAIT_CANCELLATION_COMPLETED', retry }),
    /** Work in the job container: heartbeats every second, so a cancel reaches it within seconds. */
    inContainer: proxyActivities<Activities>({
      taskQueue,
      startToCloseTimeout: '30m',
      heartbeatTimeout: '30s',
      cancellationType: 'WAIT_CANCELLATION_COMPLETED',
      retry,
    }),
    /** Agent steps: bounded by the run's own timeout and attempt budget (agents cost money). */
    agent: proxyActivities<Activities>({
      taskQueue,
      startToCloseTimeout: `${(run?.agentTimeoutSeconds ?? 1800) + 300}s`,
      heartbeatTimeout: '30s',
      cancellationType: 'WAIT_CANCELLATION_COMPLETED',
      retry: { ...retry, initialInterval: '5s', maximumAttempts: run?.agentMaxAttempts ?? 2 },
    }),
    /**
     * Finalization keeps trying (a database or Docker hiccup must not leak a container or leave the
     * run in_progress), for up to an hour.
     */
    finalize: proxyActivities<Activities>({
      taskQueue,
      startToCloseTimeout: '5m',
      scheduleToCloseTimeout: '1h',
      retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
    }),
  };
}

const shared = activitiesFor(undefined);

/** SpecAutomationRun: runs Spec Kit against a repository inside an ephemeral job container. */
export async function SpecAutomationRun(input: RunInput): Promise<RunStatusView> {
  const runId = workflowInfo().workflowId;
  const view: RunStatusView = {
    runId,
    status: 'in_progress',
    currentPhase: null,
    phases: Object.fromEntries(PHASES.map((p) => [p, { state: 'pending', attempt: 0 }])) as RunStatusView['phases'],
    steps: {},
    artifacts: [],
    repository: typeof input?.repository === 'string' ? input.repository : undefined,
  };
  setHandler(statusQuery, () => view);

  const addArtifacts = (names: string[]) => {
    for (const n of names) if (!view.artifacts.includes(n)) view.artifacts.push(n);
  };
  const setStatus = (status: RunStatus) => {
    view.status = status;
    upsertSearchAttributes([{ key: SpecRunStatus, value: status }]);
  };
  const mark = (phase: PhaseName, state: PhaseState, error?: string) => {
    const p = view.phases[phase];
    p.state = state;
    if (state === 'running') {
      p.attempt += 1;
      view.currentPhase = phase;
      upsertSearchAttributes([{ key: SpecPhase, value: phase }]);
    }
    if (error) p.error = error;
  };
  /** Activities report the attempt that succeeded (Temporal retried the ones before it). */
  const noteAttempt = (name: PhaseName, result: unknown) => {
    const attempt = (result as { attempt?: unknown } | undefined)?.attempt;
    if (typeof attempt === 'number') view.phases[name].attempt = Math.max(view.phases[name].attempt, attempt);
  };
  /** Runs one phase, keeping the status view and search attributes in step with it. */
  const phase = async <T>(name: PhaseName, fn: () => Promise<T>): Promise<T> => {
    mark(name, 'running');
    try {
      const result = await fn();
      mark(name, 'succeeded');
      noteAttempt(name, result);
      return result;
    } catch (err) {
      if (isCancellation(err)) {
        mark(name, 'cancelled');
      } else {
        const { type, message } = describeFailure(err);
        mark(name, 'failed', message);
        view.error ??= { phase: name, type, message };
      }
      throw err;
    }
  };

  upsertSearchAttributes([
    // Bounded: an oversized keyword would fail every workflow task, before validation could say why.
    { key: SpecRepository, value: (view.repository ?? 'unknown').slice(0, 200) },
    { key: SpecRunStatus, value: 'in_progress' },
  ]);

  let retainWorkspace = false;
  let noChanges = false;
  let outcome: unknown;
  let onHost = shared;
  try {
    const run = await phase('validate', () => shared.local.resolveRunInput({ runId, input }));
    retainWorkspace = run.retainWorkspace;
    view.branchName = run.branchName;
    const runtimeEnvironment = input.runtimeEnvironment ?? {};

    const workspace = await phase('prepare_workspace', () => shared.local.prepareWorkspace({ runId, repository: run.repository }));
    // From here on everything runs on the host that holds the workspace (and will hold the container).
    onHost = activitiesFor(workspace.hostTaskQueue, run);
    const { containerId, artifacts } = await phase('start_container', () => onHost.local.startJobContainer({ run, runtimeEnvironment }));
    addArtifacts(artifacts);
    const job = { run, runtimeEnvironment, containerId };

    const discovered = await phase('discover', () => onHost.inContainer.discoverNextPhase(job));
    addArtifacts(discovered.artifacts);
    view.featureDirectory = discovered.featureDirectory;
    for (const step of discovered.steps) view.steps[step] = 'pending';

    if (discovered.steps.length === 0) {
      mark('submit', 'skipped');
    } else {
      const { agent } = onHost;
      await phase('submit', async () => {
        for (const step of discovered.steps) {
          view.steps[step] = 'running';
          try {
            const done = await agent.runSpecKitStep({ ...job, featureDirectory: discovered.featureDirectory, step });
            addArtifacts(done.artifacts);
            noteAttempt('submit', done);
            view.steps[step] = 'succeeded';
          } catch (err) {
            view.steps[step] = isCancellation(err) ? 'cancelled' : 'failed';
            throw err;
          }
        }
      });
    }

    const published = await phase('publish', () => onHost.inContainer.applyAndPublish({ ...job, featureDirectory: discovered.featureDirectory }));
    addArtifacts(published.artifacts);
    view.commitSha = published.commitSha;
    view.pullRequestUrl = published.pullRequestUrl;
    noChanges = published.outcome === 'no_changes';
  } catch (err) {
    outcome = err;
  } finally {
    // Runs on success, failure and cancellation alike; the root scope may already be cancelled, so
    // finalization gets a scope of its own that a cancel cannot interrupt.
    const status: FinalStatus = outcome === undefined ? (noChanges ? 'no_changes' : 'succeeded') : isCancellation(outcome) ? 'cancelled' : 'failed';
    await CancellationScope.nonCancellable(() =>
      phase('finalize', () =>
        onHost.finalize.finalizeRun({
          runId,
          repository: view.repository,
          retainWorkspace,
          status,
          error: view.error,
          branchName: view.branchName,
          pullRequestUrl: view.pullRequestUrl,
          summary: { featureDirectory: view.featureDirectory, steps: view.steps, commitSha: view.commitSha, artifacts: view.artifacts },
        }),
      )
        .then((done) => addArtifacts(done.artifacts))
        .catch((err) => {
          log.error('finalization failed', { runId, error: describeFailure(err).message });
          outcome ??= err;
        }),
    );
  }

  view.currentPhase = null;
  for (const p of PHASES) if (view.phases[p].state === 'pending') view.phases[p].state = 'skipped';
  if (outcome === undefined) {
    setStatus(noChanges ? 'no_changes' : 'succeeded');
    return view;
  }
  if (isCancellation(outcome)) {
    setStatus('cancelled');
    throw outcome;
  }
  setStatus('failed');
  const { type, message } = describeFailure(outcome);
  throw ApplicationFailure.create({
    type,
    message: `run failed in ${view.error?.phase ?? 'finalize'}: ${message}`,
    nonRetryable: true,
    details: [view.error],
  });
}

/** The innermost application failure's type and message, which is what an operator needs to see. */
function describeFailure(err: unknown): { type: string; message: string } {
  let cur: unknown = err;
  while (cur instanceof ActivityFailure && cur.cause) cur = cur.cause;
  if (cur instanceof ApplicationFailure) return { type: cur.type ?? 'ApplicationFailure', message: cur.message };
  if (cur instanceof Error) return { type: cur.name, message: cur.message };
  return { type: 'Error', message: String(cur) };
}
