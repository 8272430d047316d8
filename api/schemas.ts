// The API's request and response shapes (zod). The same schemas validate requests and generate
// /openapi.json, so the description cannot drift from what the server accepts.
import { z } from 'zod';
import { RunInputSchema } from '../activities/run-input.js';
import { RUN_STATUSES, TASK_STATUSES } from '../db/schema.js';

export { RunInputSchema };

export const RunIdParam = z.string().min(1).max(512);

export const ListRunsQuerySchema = z
  .object({
    status: z.enum(RUN_STATUSES).optional(),
    repository: z.string().min(1).max(500).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(500).optional(),
  })
  .strict();

const timestamp = z.string().describe('ISO 8601 timestamp');

export const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const LinksSchema = z.object({
  self: z.string(),
  cancel: z.string(),
  temporalUi: z.string().optional(),
});

export const RunAcceptedSchema = z.object({
  runId: z.string(),
  workflowId: z.string(),
  status: z.enum(RUN_STATUSES),
  acceptedAt: timestamp,
  links: LinksSchema,
});

export const RunSummarySchema = z.object({
  runId: z.string(),
  workflowId: z.string(),
  temporalRunId: z.string().nullable(),
  externalRef: z.string().nullable(),
  repository: z.string(),
  baseBranch: z.string(),
  branchName: z.string().nullable(),
  pullRequestUrl: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  currentPhase: z.string().nullable(),
  dryRun: z.boolean(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  completedAt: timestamp.nullable(),
});

export const ListRunsResponseSchema = z.object({ items: z.array(RunSummarySchema), nextCursor: z.string().nullable() });

export const ArtifactRefSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  sizeBytes: z.number().int(),
  contentType: z.string(),
  sha256: z.string(),
  createdAt: timestamp,
  expiresAt: timestamp,
  downloadUrl: z.string(),
});

export const PhaseSchema = z.object({
  phase: z.string(),
  status: z.enum(TASK_STATUSES),
  attempt: z.number().int(),
  startedAt: timestamp.nullable(),
  completedAt: timestamp.nullable(),
  exitCode: z.number().int().nullable(),
  metadata: z.record(z.string(), z.unknown()),
});

export const RunDetailSchema = RunSummarySchema.extend({
  requestedSpecInput: z.record(z.string(), z.unknown()),
  resultSummary: z.record(z.string(), z.unknown()).nullable(),
  workerHostname: z.string().nullable(),
  jobContainerId: z.string().nullable(),
  phases: z.array(PhaseSchema),
  /** The run's primary artifacts (logs, diff summary, audit, commit status). */
  artifacts: z.array(ArtifactRefSchema),
  /** One log per Spec Kit step (prompt and agent output). */
  stepLogs: z.array(ArtifactRefSchema),
  agentConfiguration: z
    .object({ agentBackend: z.string(), agentVersion: z.string(), agentModel: z.string().nullable(), promptPackVersion: z.string().nullable(), runtimeEnv: z.record(z.string(), z.string()) })
    .nullable(),
  credentialAudit: z
    .object({ entries: z.array(z.object({ key: z.string(), source: z.string(), from: z.string(), overrides: z.array(z.string()) })), missing: z.array(z.object({ key: z.string(), reason: z.string() })) })
    .nullable(),
  links: LinksSchema,
});

export const CancelAcceptedSchema = z.object({ runId: z.string(), status: z.literal('cancelling') });
