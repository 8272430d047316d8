// The SpecAutomationRun workflow: one run = workspace prep, job container start, the phases, and a
// finalization that always runs (success, failure, cancellation) in a non-cancellable scope.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  log,
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
  type RunInput,
  type RunStatus,
  type RunStatusView,
} from './shared.js';

const retry = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  maximumAttempts: 5,
  nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
};

/** Short local work: directories, container create/remove. */
const quick = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry });

/** Commands in the job container: heartbeat every second, so a cancel reaches them within seconds. */
const inContainer = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  retry,
});

/** SpecAutomationRun: runs Spec Kit against a repository inside an ephemeral job container. */
export async function SpecAutomationRun(input: RunInput = {}): Promise<RunStatusView> {
  const runId = workflowInfo().workflowId;
  const view: RunStatusView = {
    runId,
    status: 'in_progress',
    currentPhase: null,
    phases: Object.fromEntries(PHASES.map((p) => [p, { state: 'pending', attempt: 0 }])) as RunStatusView['phases'],
    artifacts: [],
  };
  setHandler(statusQuery, () => view);

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
  /** Runs one phase, keeping the status view and search attributes in step with it. */
  const phase = async <T>(name: PhaseName, fn: () => Promise<T>): Promise<T> => {
    mark(name, 'running');
    try {
      const result = await fn();
      mark(name, 'succeeded');
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
    { key: SpecRepository, value: typeof input.repository === 'string' ? input.repository : 'unknown' },
    { key: SpecRunStatus, value: 'in_progress' },
  ]);

  const retainWorkspace = input.retainWorkspace === true;
  let outcome: unknown;
  try {
    await phase('prepare_workspace', () => quick.prepareWorkspace({ runId }));
    const { containerId } = await phase('start_container', () => quick.startJobContainer({ runId }));
    const probe = await phase('probe', () => inContainer.probeJobToolchain({ runId, containerId }));
    view.artifacts.push(probe.artifact);
  } catch (err) {
    outcome = err;
  } finally {
    // Runs on success, failure and cancellation alike; the root scope may already be cancelled,
    // so cleanup gets a scope of its own that a cancel cannot interrupt.
    await CancellationScope.nonCancellable(() =>
      phase('finalize', async () => {
        const failures: string[] = [];
        for (const step of [
          () => quick.removeJobContainer({ runId }),
          () => quick.cleanupWorkspace({ runId, retainWorkspace }),
        ]) {
          try {
            await step();
          } catch (err) {
            // Keep going: one failed cleanup step must not leave the others undone.
            failures.push(describeFailure(err).message);
            log.error('cleanup step failed', { runId, error: describeFailure(err).message });
          }
        }
        if (failures.length) throw ApplicationFailure.nonRetryable(`cleanup incomplete: ${failures.join('; ')}`, 'CleanupFailed');
      }).catch((err) => {
        outcome ??= err;
      }),
    );
  }
  view.currentPhase = null;
  if (outcome === undefined) {
    setStatus('succeeded');
    return view;
  }
  if (isCancellation(outcome)) {
    for (const p of PHASES) if (view.phases[p].state === 'pending') view.phases[p].state = 'skipped';
    setStatus('cancelled');
    throw outcome;
  }
  for (const p of PHASES) if (view.phases[p].state === 'pending') view.phases[p].state = 'skipped';
  setStatus('failed');
  const { type, message } = describeFailure(outcome);
  throw ApplicationFailure.create({
    type,
    message: `run failed in ${view.error?.phase ?? 'unknown'}: ${message}`,
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
