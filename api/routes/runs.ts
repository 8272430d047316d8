// /api/spec-automation/runs: start, list, inspect and cancel runs, and download their artifacts.
// Thin over Temporal (starts, cancels) and the run-metadata database (everything read).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { Router, type Request, type Response } from 'express';
import { describeIssues, policyViolation, redactRuntimeEnvironment } from '../../activities/run-input.js';
import { isStepLog } from '../../activities/submit.js';
import { runPaths } from '../../activities/workspace.js';
import type { Settings } from '../../config/settings.js';
import type { Db } from '../../db/client.js';
import { getArtifact, getRun, getRunDetail, listRuns, upsertRun, updateRun, type ArtifactRow, type RunRow } from '../../db/runs-repository.js';
import { idempotencyKeys } from '../../db/schema.js';
import { SpecRepository, SpecRunStatus, TASK_QUEUE, TERMINAL_STATUSES, WORKFLOW_TYPE, type RunInput } from '../../workflows/shared.js';
import { accessOf } from '../auth.js';
import { ApiError } from '../errors.js';
import { ListRunsQuerySchema, RunIdParam, RunInputSchema } from '../schemas.js';

export interface RunsRouterDeps {
  settings: Settings;
  db: Db;
  temporal: Client;
  /** The workers' task queue; fixed in production (operators type it), separate in tests. */
  taskQueue?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function createRunsRouter({ settings, db, temporal, taskQueue = TASK_QUEUE }: RunsRouterDeps): Router {
  const router = Router();
  const base = (req: Request) => `${req.protocol}://${req.get('host')}/api/spec-automation`;
  const links = (req: Request, runId: string) => ({
    self: `${base(req)}/runs/${encodeURIComponent(runId)}`,
    cancel: `${base(req)}/runs/${encodeURIComponent(runId)}/cancel`,
    ...(settings.temporal.uiUrl ? { temporalUi: `${settings.temporal.uiUrl.replace(/\/+$/, '')}/namespaces/${settings.temporal.namespace}/workflows/${encodeURIComponent(runId)}` } : {}),
  });

  /** The run, if it exists and the caller may see it (404 and 403 otherwise). */
  async function visibleRun(req: Request, res: Response): Promise<RunRow> {
    const runId = RunIdParam.safeParse(req.params.runId);
    const run = runId.success ? await getRun(db, runId.data) : undefined;
    if (!run) throw new ApiError(404, 'run_not_found', `no run ${String(req.params.runId)}`);
    if (!accessOf(res).allows(run.repository)) throw new ApiError(403, 'repository_forbidden', `this token may not access runs of ${run.repository}`);
    return run;
  }

  router.post('/runs', async (req, res) => {
    if (!req.is('application/json')) throw new ApiError(400, 'invalid_json', 'the request body must be JSON (Content-Type: application/json)');
    const parsed = RunInputSchema.safeParse(req.body);
    if (!parsed.success) {
      const issues = describeIssues(parsed.error);
      throw new ApiError(400, 'invalid_request', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
    }
    const input = parsed.data;
    const violation = policyViolation(input, settings);
    if (violation) throw new ApiError(400, 'invalid_request', `${violation.field}: ${violation.message}`, { issues: [{ field: violation.field, message: violation.message }] });
    if (!accessOf(res).allows(input.repository)) throw new ApiError(403, 'repository_forbidden', `this token may not start runs on ${input.repository}`);

    const key = req.get('Idempotency-Key');
    if (key !== undefined && (key.length === 0 || key.length > 200)) throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 200 characters');
    let runId: string = randomUUID();
    if (key) {
      // First writer wins; a concurrent or repeated request with the same key gets that run. Keys are
      // scoped to the caller's token, so one caller cannot learn another's runs through them.
      const scoped = `${accessOf(res).principal ?? 'open'}:${key}`;
      const [claimed] = await db.insert(idempotencyKeys).values({ key: scoped, runId }).onConflictDoNothing().returning();
      if (!claimed) {
        const [existing] = await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, scoped));
        runId = existing!.runId;
      }
    }
    const existing = await getRun(db, runId);
    if (existing && TERMINAL_STATUSES.includes(existing.status)) {
      // The same request again after its run ended: report that run, do not start it a second time.
      res.status(200).location(links(req, runId).self).json({ runId, workflowId: existing.workflowId, status: existing.status, acceptedAt: existing.createdAt.toISOString(), links: links(req, runId) });
      return;
    }
    if (!existing) {
      await upsertRun(db, {
        id: runId,
        workflowId: runId,
        repository: input.repository,
        baseBranch: input.baseBranch,
        dryRun: input.dryRun,
        externalRef: input.externalRef,
        status: 'queued',
        requestedSpecInput: redactRuntimeEnvironment(req.body as RunInput),
      });
    }
    try {
      await temporal.workflow.start(WORKFLOW_TYPE, {
        taskQueue,
        workflowId: runId,
        args: [req.body as RunInput],
        // A retried request (same Idempotency-Key) finds the running workflow instead of failing.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: SpecRepository, value: input.repository },
          { key: SpecRunStatus, value: 'queued' },
        ],
      });
    } catch (err) {
      if (!existing) await updateRun(db, runId, { status: 'failed', errorCode: 'temporal_unavailable', errorMessage: 'the run could not be started', completedAt: new Date() });
      throw new ApiError(503, 'temporal_unavailable', `the run could not be started: ${err instanceof Error ? err.message : String(err)}`);
    }
    const run = (await getRun(db, runId))!;
    res
      .status(202)
      .location(links(req, runId).self)
      .json({ runId, workflowId: run.workflowId, status: run.status, acceptedAt: run.createdAt.toISOString(), links: links(req, runId) });
  });

  router.get('/runs', async (req, res) => {
    const parsed = ListRunsQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const issues = describeIssues(parsed.error);
      throw new ApiError(400, 'invalid_request', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
    }
    const q = parsed.data;
    const access = accessOf(res);
    if (q.repository && !access.allows(q.repository)) throw new ApiError(403, 'repository_forbidden', `this token may not access runs of ${q.repository}`);
    const rows = await listRuns(db, {
      status: q.status,
      repository: q.repository,
      repositories: q.repository ? undefined : access.repositories,
      limit: q.limit + 1,
      after: q.cursor ? decodeCursor(q.cursor) : undefined,
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    res.json({ items: page.map(summary), nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null });
  });

  router.get('/runs/:runId', async (req, res) => {
    const run = await visibleRun(req, res);
    const detail = (await getRunDetail(db, run.id))!;
    const ref = (a: ArtifactRow) => ({
      id: a.id,
      name: a.name,
      type: a.type,
      sizeBytes: a.sizeBytes,
      contentType: a.contentType,
      sha256: a.sha256,
      createdAt: a.createdAt.toISOString(),
      expiresAt: a.expiresAt.toISOString(),
      downloadUrl: `${base(req)}/runs/${encodeURIComponent(run.id)}/artifacts/${a.id}`,
    });
    const agent = detail.agentConfiguration;
    const audit = detail.credentialAudit;
    res.json({
      ...summary(run),
      requestedSpecInput: run.requestedSpecInput,
      resultSummary: run.resultSummary ?? null,
      workerHostname: run.workerHostname,
      jobContainerId: run.jobContainerId,
      phases: detail.tasks.map((t) => ({ phase: t.phase, status: t.status, attempt: t.attempt, startedAt: iso(t.startedAt), completedAt: iso(t.completedAt), exitCode: t.exitCode, metadata: t.metadata })),
      artifacts: detail.artifacts.filter((a) => !isStepLog(a.name)).map(ref),
      stepLogs: detail.artifacts.filter((a) => isStepLog(a.name)).map(ref),
      agentConfiguration: agent ? { agentBackend: agent.agentBackend, agentVersion: agent.agentVersion, agentModel: agent.agentModel, promptPackVersion: agent.promptPackVersion, runtimeEnv: agent.runtimeEnv } : null,
      credentialAudit: audit ? { entries: audit.entries, missing: audit.missing } : null,
      links: links(req, run.id),
    });
  });

  router.get('/runs/:runId/artifacts/:artifactId', async (req, res) => {
    const run = await visibleRun(req, res);
    const artifactId = String(req.params.artifactId);
    const artifact = UUID.test(artifactId) ? await getArtifact(db, run.id, artifactId) : undefined;
    if (!artifact) throw new ApiError(404, 'artifact_not_found', `run ${run.id} has no artifact ${artifactId}`);
    if (artifact.expiresAt.getTime() <= Date.now()) throw new ApiError(410, 'artifact_expired', `artifact ${artifact.name} expired at ${artifact.expiresAt.toISOString()}`);
    const file = resolveArtifactFile(runPaths(settings.workspaceRoot, run.id).artifacts, artifact.storagePath);
    // Open without following links and stream from that descriptor: what was checked is what is sent.
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      throw new ApiError(404, 'artifact_file_missing', 'the artifact file is no longer on disk');
    }
    const stat = fs.fstatSync(fd);
    res.setHeader('Content-Type', artifact.contentType);
    res.setHeader('Content-Length', String(stat.size));
    res.setHeader('Content-Disposition', `attachment; filename="${artifact.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    await new Promise<void>((resolve, reject) => {
      const stream = fs.createReadStream('', { fd });
      stream.on('error', reject);
      res.on('finish', resolve);
      res.on('close', resolve);
      stream.pipe(res);
    });
  });

  router.post('/runs/:runId/cancel', async (req, res) => {
    const run = await visibleRun(req, res);
    if (TERMINAL_STATUSES.includes(run.status)) throw new ApiError(409, 'run_finished', `run ${run.id} already ended with status ${run.status}`);
    try {
      await temporal.workflow.getHandle(run.workflowId).cancel();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ApiError(409, 'run_finished', `run ${run.id} is no longer running`);
      throw err;
    }
    res.status(202).json({ runId: run.id, status: 'cancelling' });
  });

  return router;
}

/**
 * The artifact's file, only if it lies inside the run's artifacts directory once every symlink is
 * resolved: `..`, absolute paths, encoded separators and links pointing out are all refused.
 */
export function resolveArtifactFile(artifactsDir: string, storagePath: string): string {
  const refuse = () => new ApiError(403, 'artifact_path_refused', 'the artifact path is outside the run\'s artifacts directory');
  if (!storagePath || path.isAbsolute(storagePath) || /[\\\0%]/.test(storagePath) || storagePath.split('/').some((s) => s === '..' || s === '')) throw refuse();
  let root: string;
  let real: string;
  try {
    root = fs.realpathSync(artifactsDir);
    real = fs.realpathSync(path.join(root, storagePath));
  } catch {
    throw new ApiError(404, 'artifact_file_missing', 'the artifact file is no longer on disk');
  }
  if (!real.startsWith(root + path.sep) || !fs.statSync(real).isFile()) throw refuse();
  return real;
}

function summary(r: RunRow) {
  return {
    runId: r.id,
    workflowId: r.workflowId,
    temporalRunId: r.temporalRunId,
    externalRef: r.externalRef,
    repository: r.repository,
    baseBranch: r.baseBranch,
    branchName: r.branchName,
    pullRequestUrl: r.pullRequestUrl,
    status: r.status,
    currentPhase: r.currentPhase,
    dryRun: r.dryRun,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    createdAt: r.createdAt.toISOString(),
    startedAt: iso(r.startedAt),
    completedAt: iso(r.completedAt),
  };
}

function encodeCursor(r: RunRow): string {
  return Buffer.from(JSON.stringify({ c: r.createdAt.toISOString(), i: r.id })).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const { c, i } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { c: string; i: string };
    const createdAt = new Date(c);
    if (typeof i !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('bad cursor');
    return { createdAt, id: i };
  } catch {
    throw new ApiError(400, 'invalid_cursor', 'cursor: not a cursor this API returned');
  }
}
