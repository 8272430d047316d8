// Run metadata on both backends: migrations apply, upserts are idempotent, pages are stable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRunDetail, listRuns, recordTask, upsertArtifact, upsertRun } from '../db/runs-repository.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from './support/databases.js';

describe.each(BACKENDS)('run metadata on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('applies the migrations and reports its kind', async () => {
    expect(t.database.kind).toBe(kind);
    await t.database.ping();
  });

  it('keeps one row per run, per (run, phase, attempt) and per (run, artifact name) however often a write is retried', async () => {
    const { db } = t.database;
    const base = { id: 'run-idem', workflowId: 'run-idem', repository: 'acme/widgets', requestedSpecInput: { featureDescription: 'x' } };
    await upsertRun(db, base);
    await upsertRun(db, { ...base, status: 'in_progress', currentPhase: 'discover' });
    for (let i = 0; i < 3; i++) {
      await recordTask(db, { runId: 'run-idem', phase: 'discover', attempt: 1, status: 'running', startedAt: new Date() });
    }
    await recordTask(db, { runId: 'run-idem', phase: 'discover', attempt: 1, status: 'failed', exitCode: 2, metadata: { error: 'boom' } });
    await recordTask(db, { runId: 'run-idem', phase: 'discover', attempt: 2, status: 'succeeded', exitCode: 0 });
    const artifact = { runId: 'run-idem', name: 'discover-next-phase.log', type: 'log', storagePath: 'discover-next-phase.log', contentType: 'text/plain', sha256: 'a'.repeat(64), expiresAt: new Date(Date.now() + 86_400_000) };
    const id1 = await upsertArtifact(db, { ...artifact, sizeBytes: 10 });
    const id2 = await upsertArtifact(db, { ...artifact, sizeBytes: 20 });
    expect(id2).toBe(id1);

    const detail = await getRunDetail(db, 'run-idem');
    expect(detail?.run).toMatchObject({ status: 'in_progress', currentPhase: 'discover', repository: 'acme/widgets' });
    expect(detail?.tasks.map((r) => [r.phase, r.attempt, r.status, r.exitCode])).toEqual([
      ['discover', 1, 'failed', 2],
      ['discover', 2, 'succeeded', 0],
    ]);
    expect(detail?.tasks[0]?.metadata).toEqual({ error: 'boom' });
    expect(detail?.artifacts).toHaveLength(1);
    expect(detail?.artifacts[0]?.sizeBytes).toBe(20);
  });

  it('lists newest first with a keyset cursor that neither skips nor repeats rows', async () => {
    const { db } = t.database;
    for (let i = 0; i < 5; i++) {
      await upsertRun(db, { id: `page-${i}`, workflowId: `page-${i}`, repository: 'acme/paging', createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)) });
    }
    const first = await listRuns(db, { repository: 'acme/paging', limit: 2 });
    const last = first[first.length - 1]!;
    const second = await listRuns(db, { repository: 'acme/paging', limit: 10, after: { createdAt: last.createdAt, id: last.id } });
    expect([...first, ...second].map((r) => r.id)).toEqual(['page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
  });
});
