// Writes and reads of run metadata. Every write is an idempotent upsert (ON CONFLICT), so an activity
// that Temporal retries never duplicates or loses a row.
import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import { agentConfigurations, artifacts, credentialAudits, runTasks, runs } from './schema.js';

export type RunRow = typeof runs.$inferSelect;
export type RunInsert = typeof runs.$inferInsert;
export type TaskRow = typeof runTasks.$inferSelect;
export type ArtifactRow = typeof artifacts.$inferSelect;
type TaskStatus = TaskRow['status'];

/** Creates the run row, or updates the given fields of an existing one. */
export async function upsertRun(db: Db, row: RunInsert): Promise<void> {
  const { id: _id, createdAt: _c, ...update } = row;
  await db
    .insert(runs)
    .values(row)
    .onConflictDoUpdate({ target: runs.id, set: { ...update, updatedAt: sql`now()` } });
}

export async function updateRun(db: Db, id: string, fields: Partial<Omit<RunInsert, 'id'>>): Promise<void> {
  await db
    .update(runs)
    .set({ ...fields, updatedAt: sql`now()` })
    .where(eq(runs.id, id));
}

export interface TaskTransition {
  runId: string;
  phase: string;
  attempt: number;
  status: TaskStatus;
  startedAt?: Date;
  completedAt?: Date;
  exitCode?: number | null;
  metadata?: Record<string, unknown>;
}

/** Records one phase attempt's state; unique on (run, phase, attempt). Returns the row id. */
export async function recordTask(db: Db, t: TaskTransition): Promise<string> {
  const set: Record<string, unknown> = { status: t.status, updatedAt: sql`now()` };
  if (t.startedAt) set.startedAt = t.startedAt;
  if (t.completedAt) set.completedAt = t.completedAt;
  if (t.exitCode !== undefined) set.exitCode = t.exitCode;
  if (t.metadata) set.metadata = sql`${runTasks.metadata} || ${JSON.stringify(t.metadata)}::jsonb`;
  const [row] = await db
    .insert(runTasks)
    .values({
      runId: t.runId,
      phase: t.phase,
      attempt: t.attempt,
      status: t.status,
      startedAt: t.startedAt,
      completedAt: t.completedAt,
      exitCode: t.exitCode ?? null,
      metadata: t.metadata ?? {},
    })
    .onConflictDoUpdate({ target: [runTasks.runId, runTasks.phase, runTasks.attempt], set })
    .returning({ id: runTasks.id });
  return row!.id;
}

export type ArtifactInsert = typeof artifacts.$inferInsert;

/** Registers an artifact file; unique on (run, name), so rewriting a file updates its row. */
export async function upsertArtifact(db: Db, a: ArtifactInsert): Promise<string> {
  const [row] = await db
    .insert(artifacts)
    .values(a)
    .onConflictDoUpdate({
      target: [artifacts.runId, artifacts.name],
      set: {
        taskId: a.taskId,
        type: a.type,
        storagePath: a.storagePath,
        contentType: a.contentType,
        sizeBytes: a.sizeBytes,
        sha256: a.sha256,
        expiresAt: a.expiresAt,
      },
    })
    .returning({ id: artifacts.id });
  return row!.id;
}

export async function upsertAgentConfiguration(db: Db, c: typeof agentConfigurations.$inferInsert): Promise<void> {
  const { runId: _r, ...update } = c;
  await db
    .insert(agentConfigurations)
    .values(c)
    .onConflictDoUpdate({ target: agentConfigurations.runId, set: { ...update, updatedAt: sql`now()` } });
}

export async function upsertCredentialAudit(db: Db, c: typeof credentialAudits.$inferInsert): Promise<void> {
  const { runId: _r, ...update } = c;
  await db
    .insert(credentialAudits)
    .values(c)
    .onConflictDoUpdate({ target: credentialAudits.runId, set: { ...update, updatedAt: sql`now()` } });
}

export async function getRun(db: Db, id: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(runs).where(eq(runs.id, id));
  return row;
}

export async function getRunDetail(db: Db, id: string) {
  const run = await getRun(db, id);
  if (!run) return undefined;
  const [tasks, files, [agent], [audit]] = await Promise.all([
    db.select().from(runTasks).where(eq(runTasks.runId, id)).orderBy(runTasks.createdAt, runTasks.attempt),
    db.select().from(artifacts).where(eq(artifacts.runId, id)).orderBy(artifacts.createdAt, artifacts.name),
    db.select().from(agentConfigurations).where(eq(agentConfigurations.runId, id)),
    db.select().from(credentialAudits).where(eq(credentialAudits.runId, id)),
  ]);
  return { run, tasks, artifacts: files, agentConfiguration: agent, credentialAudit: audit };
}

export async function getArtifact(db: Db, runId: string, artifactId: string): Promise<ArtifactRow | undefined> {
  const [row] = await db
    .select()
    .from(artifacts)
    .where(and(eq(artifacts.runId, runId), eq(artifacts.id, artifactId)));
  return row;
}

export interface ListRunsQuery {
  status?: RunRow['status'];
  repository?: string;
  /** Only these repositories (a token limited to some). */
  repositories?: string[];
  limit: number;
  /** Keyset cursor: the (createdAt, id) of the last row of the previous page. */
  after?: { createdAt: Date; id: string };
}

/** Newest first, keyset-paginated on (created_at, id) so pages stay stable while runs are added. */
export async function listRuns(db: Db, q: ListRunsQuery): Promise<RunRow[]> {
  const where: SQL[] = [];
  if (q.status) where.push(eq(runs.status, q.status));
  if (q.repository) where.push(eq(runs.repository, q.repository));
  if (q.repositories) where.push(q.repositories.length ? inArray(sql`lower(${runs.repository})`, q.repositories) : sql`false`);
  if (q.after) {
    where.push(or(lt(runs.createdAt, q.after.createdAt), and(eq(runs.createdAt, q.after.createdAt), lt(runs.id, q.after.id)))!);
  }
  return db
    .select()
    .from(runs)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(q.limit);
}

/**
 * The run's row as its workflow starts: created when the run came from `temporal workflow start`,
 * moved from `queued` to `in_progress` when it came from the API. Idempotent under retries.
 */
export async function markRunStarted(db: Db, row: RunInsert): Promise<void> {
  await db
    .insert(runs)
    .values({ ...row, status: 'in_progress', startedAt: new Date() })
    .onConflictDoUpdate({
      target: runs.id,
      set: {
        workflowId: row.workflowId,
        temporalRunId: row.temporalRunId,
        workerHostname: row.workerHostname,
        status: 'in_progress',
        startedAt: sql`coalesce(${runs.startedAt}, now())`,
        updatedAt: sql`now()`,
      },
    });
}
