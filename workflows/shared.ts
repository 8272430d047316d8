// Names and shapes shared by the workflow, the worker, the API and the CLI.
// Imported by workflow code, so it may import only @temporalio/common / @temporalio/workflow and types.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';

/** Fixed names: operators type them into `temporal workflow start`. */
export const TASK_QUEUE = 'spec-automation';
export const WORKFLOW_TYPE = 'SpecAutomationRun';

/** Custom search attributes (Keyword), registered on the server at start so the Web UI can filter runs. */
export const SpecRepository = defineSearchAttributeKey('SpecRepository', SearchAttributeType.KEYWORD);
export const SpecPhase = defineSearchAttributeKey('SpecPhase', SearchAttributeType.KEYWORD);
export const SpecRunStatus = defineSearchAttributeKey('SpecRunStatus', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTES = [SpecRepository, SpecPhase, SpecRunStatus];

export const PHASES = ['prepare_workspace', 'start_container', 'probe', 'finalize'] as const;
export type PhaseName = (typeof PHASES)[number];
export type PhaseState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
export type RunStatus = 'queued' | 'in_progress' | 'succeeded' | 'failed' | 'cancelled' | 'no_changes';

/** The workflow's one argument, as given (validated and defaulted by the first activity). */
export interface RunInput {
  repository?: string;
  retainWorkspace?: boolean;
  [key: string]: unknown;
}

export interface PhaseStatus {
  state: PhaseState;
  attempt: number;
  error?: string;
}

export interface RunError {
  phase: PhaseName;
  type: string;
  message: string;
}

/** What the `status` query returns and the workflow's result. */
export interface RunStatusView {
  runId: string;
  status: RunStatus;
  currentPhase: PhaseName | null;
  phases: Record<PhaseName, PhaseStatus>;
  artifacts: string[];
  error?: RunError;
}

export const statusQuery = defineQuery<RunStatusView>('status');
