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

export const PHASES = ['validate', 'prepare_workspace', 'start_container', 'discover', 'submit', 'publish', 'finalize'] as const;
export type PhaseName = (typeof PHASES)[number];
export type PhaseState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
export type RunStatus = 'queued' | 'in_progress' | 'succeeded' | 'failed' | 'cancelled' | 'no_changes';
export const TERMINAL_STATUSES: RunStatus[] = ['succeeded', 'failed', 'cancelled', 'no_changes'];

export const SPEC_KIT_STEPS = ['specify', 'plan', 'tasks'] as const;
export type SpecKitStep = (typeof SPEC_KIT_STEPS)[number];

export const AGENT_BACKENDS = ['codex_cli', 'claude_code', 'gemini_cli', 'stub'] as const;
export type AgentBackend = (typeof AGENT_BACKENDS)[number];

/**
 * The workflow's one argument: the same JSON from the API and from `temporal workflow start --input`.
 * Validated (and defaulted) by the first activity; see activities/run-input.ts for the rules.
 */
export interface RunInput {
  repository: string;
  featureDescription: string;
  baseBranch?: string;
  planGuidance?: string;
  tasksGuidance?: string;
  agentBackend?: AgentBackend;
  agentModel?: string;
  dryRun?: boolean;
  retainWorkspace?: boolean;
  branchName?: string;
  labels?: string[];
  runtimeEnvironment?: Record<string, string>;
  externalRef?: string;
  gitAuthorName?: string;
  gitAuthorEmail?: string;
}

/** The validated input with every default applied, plus what follows from it. */
export interface ResolvedRun {
  runId: string;
  runIdShort: string;
  repository: string;
  /** owner/name used for GitHub's API. */
  repositorySlug: string;
  cloneUrl: string;
  /** Host paths a file:// origin needs mounted into the job container. */
  originMounts: string[];
  baseBranch: string;
  branchName: string;
  featureDescription: string;
  planGuidance: string;
  tasksGuidance: string;
  agentBackend: AgentBackend;
  agentModel?: string;
  dryRun: boolean;
  /** dryRun or SPEC_WORKFLOW_TEST_MODE: commit locally, push nothing, open no PR. */
  publishMode: 'push_and_pr' | 'local_only';
  retainWorkspace: boolean;
  labels: string[];
  externalRef?: string;
  gitAuthorName: string;
  gitAuthorEmail: string;
  /** Keys only: values stay in the input and reach the container, never results or logs. */
  runtimeEnvironmentKeys: string[];
  agentTimeoutSeconds: number;
  agentMaxAttempts: number;
}

export interface DiscoverResult {
  featureDirectory: string;
  steps: SpecKitStep[];
  specKitInitialised: boolean;
  tasks: { total: number; complete: number; incomplete: number };
}

export interface PublishResult {
  outcome: 'published' | 'committed_locally' | 'no_changes';
  commitSha?: string;
  branchName: string;
  pullRequestUrl?: string;
  pullRequestNumber?: number;
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
  /** Spec Kit steps of the submit phase, in order, with their state. */
  steps: Partial<Record<SpecKitStep, PhaseState>>;
  artifacts: string[];
  repository?: string;
  branchName?: string;
  featureDirectory?: string;
  pullRequestUrl?: string;
  commitSha?: string;
  error?: RunError;
}

export const statusQuery = defineQuery<RunStatusView>('status');
