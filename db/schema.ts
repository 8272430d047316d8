// The operator-facing record of runs. Temporal keeps the history; these tables keep what dashboards
// and the API query: status, phases, artifacts, agent configuration and credential audit.
import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const RUN_STATUSES = ['queued', 'in_progress', 'succeeded', 'failed', 'cancelled', 'no_changes'] as const;
export const TASK_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'retrying'] as const;

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const runs = pgTable(
  'spec_automation_runs',
  {
    /** The run id, which is the Temporal workflow id. */
    id: text('id').primaryKey(),
    workflowId: text('workflow_id').notNull(),
    temporalRunId: text('temporal_run_id'),
    externalRef: text('external_ref'),
    repository: text('repository').notNull(),
    baseBranch: text('base_branch').notNull().default('main'),
    branchName: text('branch_name'),
    pullRequestUrl: text('pull_request_url'),
    status: text('status', { enum: RUN_STATUSES }).notNull().default('queued'),
    currentPhase: text('current_phase'),
    dryRun: boolean('dry_run').notNull().default(false),
    requestedSpecInput: jsonb('requested_spec_input').notNull().default(sql`'{}'::jsonb`),
    resultSummary: jsonb('result_summary'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    workerHostname: text('worker_hostname'),
    jobContainerId: text('job_container_id'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    // Millisecond precision: the list's keyset cursor carries a JS Date, which has no microseconds.
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('spec_automation_runs_status_created_idx').on(t.status, t.createdAt),
    index('spec_automation_runs_repository_created_idx').on(t.repository, t.createdAt),
    index('spec_automation_runs_created_idx').on(t.createdAt, t.id),
    index('spec_automation_runs_external_ref_idx').on(t.externalRef),
  ],
);

export const runTasks = pgTable(
  'spec_automation_run_tasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    phase: text('phase').notNull(),
    status: text('status', { enum: TASK_STATUSES }).notNull().default('pending'),
    attempt: integer('attempt').notNull().default(1),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    exitCode: integer('exit_code'),
    metadata: jsonb('metadata').notNull().default(sql`'{}'::jsonb`),
    ...timestamps,
  },
  (t) => [uniqueIndex('spec_automation_run_tasks_run_phase_attempt_uq').on(t.runId, t.phase, t.attempt)],
);

export const artifacts = pgTable(
  'spec_automation_task_artifacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    taskId: uuid('task_id').references(() => runTasks.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    type: text('type').notNull(),
    /** Relative to the run's artifacts directory; never absolute, never with `..`. */
    storagePath: text('storage_path').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('spec_automation_task_artifacts_run_name_uq').on(t.runId, t.name)],
);

export const agentConfigurations = pgTable('spec_automation_agent_configs', {
  runId: text('run_id')
    .primaryKey()
    .references(() => runs.id, { onDelete: 'cascade' }),
  agentBackend: text('agent_backend').notNull(),
  agentVersion: text('agent_version').notNull(),
  agentModel: text('agent_model'),
  promptPackVersion: text('prompt_pack_version'),
  /** Runtime environment keys with every value redacted. */
  runtimeEnv: jsonb('runtime_env').notNull().default(sql`'{}'::jsonb`),
  ...timestamps,
});

export const credentialAudits = pgTable('spec_automation_credential_audits', {
  runId: text('run_id')
    .primaryKey()
    .references(() => runs.id, { onDelete: 'cascade' }),
  /** [{key, source}] — never values. */
  entries: jsonb('entries').notNull().default(sql`'[]'::jsonb`),
  missing: jsonb('missing').notNull().default(sql`'[]'::jsonb`),
  ...timestamps,
});

/** API idempotency keys: the same key returns the same run. */
export const idempotencyKeys = pgTable('spec_automation_idempotency_keys', {
  key: text('key').primaryKey(),
  runId: text('run_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
