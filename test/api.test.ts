// The REST API over HTTP against the real app, a real Temporal server, real workers and job
// containers, on both PGlite and PostgreSQL.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { parseApiTokens } from '../api/auth.js';
import { createLogger } from '../config/logger.js';
import { upsertArtifact } from '../db/runs-repository.js';
import { BACKENDS } from './support/databases.js';
import { api, serve } from './support/http.js';
import { Pipeline } from './support/pipeline.js';
import { waitFor } from './support/temporal.js';

const SIX = ['apply-and-publish.log', 'commit_status.env', 'credential-audit.json', 'diff-summary.txt', 'discover-next-phase.log', 'submit-codex-job.log'];
const logger = createLogger({ level: 'silent', pretty: false });

describe.each(BACKENDS)('REST API on %s', (kind) => {
  const p = new Pipeline();
  const queue = `api-${kind}`;
  let base = '';
  let close: () => Promise<void>;
  const stubRun = (feature: string, extra: Record<string, unknown> = {}) => ({ repository: 'acme/widgets', featureDescription: feature, agentBackend: 'stub', dryRun: true, ...extra });

  async function untilTerminal(runId: string) {
    return waitFor(async () => {
      const r = await api(base, `/api/spec-automation/runs/${runId}`);
      return ['succeeded', 'failed', 'cancelled', 'no_changes'].includes(r.body.status) && r.body.completedAt ? r.body : undefined;
    }, 120_000, `run ${runId} to end`);
  }

  beforeAll(async () => {
    await p.start({}, kind);
    p.origins.create('acme/widgets');
    p.github.addRepo('acme', 'widgets');
    await p.startWorker(queue);
    const app = createApp({ settings: p.settings, database: p.database.database, temporal: p.temporal.client, logger, tokens: [], taskQueue: queue, maxBodyBytes: 16 * 1024 });
    ({ url: base, close } = await serve(app));
  });
  afterAll(async () => {
    await close?.();
    await p.stop();
  });

  it('starts a stub dry run, reports it succeeded with six artifacts, each downloadable with the right size and sha256', async () => {
    const start = await api(base, '/api/spec-automation/runs', { method: 'POST', json: stubRun('Reserve widgets for customers') });
    expect(start.status).toBe(202);
    expect(start.body).toMatchObject({ runId: expect.any(String), status: 'queued', links: { self: `${base}/api/spec-automation/runs/${start.body.runId}` } });
    expect(start.body.workflowId).toBe(start.body.runId);
    expect(start.headers.get('location')).toBe(start.body.links.self);

    const run = await untilTerminal(start.body.runId);
    expect(run.status).toBe('succeeded');
    expect(run.artifacts.map((a: { name: string }) => a.name).sort()).toEqual(SIX);
    expect(run.stepLogs.map((a: { name: string }) => a.name).sort()).toEqual(['submit-plan.log', 'submit-specify.log', 'submit-tasks.log']);
    expect(run.phases.map((t: { phase: string }) => t.phase)).toContain('submit:tasks');
    expect(run.agentConfiguration).toMatchObject({ agentBackend: 'stub' });
    expect(run.links.self).toContain(run.runId);
    for (const a of [...run.artifacts, ...run.stepLogs]) {
      const res = await fetch(a.downloadUrl);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('content-length'))).toBe(a.sizeBytes);
      expect(bytes.length).toBe(a.sizeBytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(a.sha256);
      expect(res.headers.get('content-type')).toContain(a.contentType.split(';')[0]);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${a.name}"`);
    }
  });

  it('returns the same run for the same Idempotency-Key, and a new one for another key', async () => {
    const body = stubRun('Idempotent widgets');
    const a = await api(base, '/api/spec-automation/runs', { method: 'POST', json: body, headers: { 'Idempotency-Key': `key-${kind}-1` } });
    const b = await api(base, '/api/spec-automation/runs', { method: 'POST', json: body, headers: { 'Idempotency-Key': `key-${kind}-1` } });
    const c = await api(base, '/api/spec-automation/runs', { method: 'POST', json: body, headers: { 'Idempotency-Key': `key-${kind}-2` } });
    expect([a.status, c.status]).toEqual([202, 202]);
    // 202 while the first run is still going, 200 once it has ended: the same run either way.
    expect([200, 202]).toContain(b.status);
    expect(b.body.runId).toBe(a.body.runId);
    expect(c.body.runId).not.toBe(a.body.runId);
    await untilTerminal(a.body.runId);
    await untilTerminal(c.body.runId);
  });

  it('lists a run started with `temporal workflow start`, and pages newest first without repeats', async () => {
    const workflowId = `cli-started-${kind}-${Date.now()}`;
    execFileSync(process.env.TEMPORAL_CLI_PATH!, [
      'workflow', 'start', '--address', p.temporal.address, '--type', 'SpecAutomationRun', '--task-queue', queue, '--workflow-id', workflowId,
      '--input', JSON.stringify(stubRun('Started from the CLI')),
    ]);
    const done = await untilTerminal(workflowId);
    expect(done).toMatchObject({ runId: workflowId, repository: 'acme/widgets', status: 'succeeded' });

    const all = await api(base, '/api/spec-automation/runs?limit=100&repository=acme%2Fwidgets');
    expect(all.body.items.map((r: { runId: string }) => r.runId)).toContain(workflowId);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const r: { body: { items: { runId: string }[]; nextCursor: string | null } } = await api(base, `/api/spec-automation/runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...r.body.items.map((i) => i.runId));
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(all.body.items.map((r: { runId: string }) => r.runId));
    const succeeded = await api(base, '/api/spec-automation/runs?status=succeeded');
    expect(succeeded.body.items.every((r: { status: string }) => r.status === 'succeeded')).toBe(true);
    expect((await api(base, '/api/spec-automation/runs?cursor=not-a-cursor')).body.error.code).toBe('invalid_cursor');
  });

  it('cancels a running run: 202, then the run ends cancelled and a second cancel is 409', async () => {
    const start = await api(base, '/api/spec-automation/runs', { method: 'POST', json: stubRun('Slow widgets', { runtimeEnvironment: { SPEC_AUTOMATION_STUB_DELAY_SECONDS: '300' } }) });
    await waitFor(async () => (await api(base, `/api/spec-automation/runs/${start.body.runId}`)).body.currentPhase === 'submit:specify', 90_000, 'the agent to run');
    const cancel = await api(base, `/api/spec-automation/runs/${start.body.runId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    const run = await untilTerminal(start.body.runId);
    expect(run.status).toBe('cancelled');
    expect((await api(base, `/api/spec-automation/runs/${start.body.runId}/cancel`, { method: 'POST' })).status).toBe(409);
    expect((await api(base, '/api/spec-automation/runs/no-such-run/cancel', { method: 'POST' })).status).toBe(404);
  });

  it('refuses every path traversal and serves nothing outside the run, and 410 once expired', async () => {
    const start = await api(base, '/api/spec-automation/runs', { method: 'POST', json: stubRun('Traversal target') });
    const runId: string = start.body.runId;
    const run = await untilTerminal(runId);
    const artifactsDir = path.dirname(p.paths(runId).artifacts + '/x');
    for (const probe of ['..%2F..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%2F', '%2F', `${run.artifacts[0].id}%2F..%2F..`, '....//....//etc/passwd']) {
      const r = await api(base, `/api/spec-automation/runs/${runId}/artifacts/${probe}`);
      expect([400, 403, 404], probe).toContain(r.status);
      expect(r.text).not.toContain('root:');
    }
    expect((await api(base, `/api/spec-automation/runs/..%2F..%2Fetc/artifacts/x`)).status).toBe(404);

    // A symlink inside the artifacts directory that points out, and a stored path with `..`.
    fs.symlinkSync('/etc/passwd', path.join(artifactsDir, 'escape.log'));
    const expiresAt = new Date(Date.now() + 3_600_000);
    const row = { runId, type: 'log', contentType: 'text/plain', sizeBytes: 1, sha256: '0'.repeat(64), expiresAt };
    const linkId = await upsertArtifact(p.database.database.db, { ...row, name: 'escape.log', storagePath: 'escape.log' });
    const dotId = await upsertArtifact(p.database.database.db, { ...row, name: 'dots.log', storagePath: '../../../../etc/passwd' });
    for (const id of [linkId, dotId]) {
      const r = await api(base, `/api/spec-automation/runs/${runId}/artifacts/${id}`);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('artifact_path_refused');
    }
    const expiredId = await upsertArtifact(p.database.database.db, { ...row, name: 'old.log', storagePath: run.artifacts[0].name, expiresAt: new Date(Date.now() - 1000) });
    expect((await api(base, `/api/spec-automation/runs/${runId}/artifacts/${expiredId}`)).status).toBe(410);
    expect((await api(base, `/api/spec-automation/runs/${runId}/artifacts/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });

  it('answers bad bodies with 400, the field named, and no stack trace', async () => {
    const post = (init: Parameters<typeof api>[2]) => api(base, '/api/spec-automation/runs', { method: 'POST', ...init });
    const cases = [
      { init: { body: 'repository=acme/widgets', headers: { 'content-type': 'text/plain' } }, code: 'invalid_json' },
      { init: { body: '{"repository": ', headers: { 'content-type': 'application/json' } }, code: 'invalid_json' },
      { init: { json: { ...stubRun('x'), featureDescription: 'y'.repeat(20_000) } }, code: 'body_too_large' },
      { init: { json: { ...stubRun('x'), colour: 'blue' } }, code: 'invalid_request', field: 'colour' },
      { init: { json: { ...stubRun('x'), dryRun: 'yes' } }, code: 'invalid_request', field: 'dryRun' },
      { init: { json: { repository: 'acme/widgets' } }, code: 'invalid_request', field: 'featureDescription' },
      { init: { json: { ...stubRun('x'), agentBackend: 'claude_code' } }, code: 'invalid_request', field: 'agentBackend' },
      { init: { json: { ...stubRun('x'), repository: 'not a repo' } }, code: 'invalid_request', field: 'repository' },
      // A file:// origin would be bind-mounted into the job container: none is allowed by default.
      { init: { json: { ...stubRun('x'), repository: 'file:///etc' } }, code: 'invalid_request', field: 'SPEC_AUTOMATION_FILE_ORIGIN_ROOTS' },
      { init: { json: { ...stubRun('x'), repository: 'https://user:ghp_secret@github.com/acme/widgets.git' } }, code: 'invalid_request', field: 'repository' },
      { init: { json: { ...stubRun('x'), branchName: 'main' } }, code: 'invalid_request', field: 'branchName' },
      { init: { json: { ...stubRun('x'), featureDescription: '--help' } }, code: 'invalid_request', field: 'featureDescription' },
    ];
    for (const c of cases) {
      const r = await post(c.init as never);
      expect(r.status, JSON.stringify(c)).toBe(400);
      expect(r.body.error.code).toBe(c.code);
      if (c.field) expect(r.body.error.message).toContain(c.field);
      expect(r.text).not.toMatch(/\n\s+at /);
    }
    expect((await api(base, '/api/spec-automation/runs?limit=0')).body.error.message).toContain('limit');
    expect((await api(base, '/api/spec-automation/runs?colour=blue')).status).toBe(400);
    expect((await api(base, '/api/spec-automation/nothing-here')).status).toBe(404);
    // Without tokens only loopback Host names are answered (a DNS-rebinding page sends its own).
    // (node:http, because fetch will not send a Host header of the caller's choosing.)
    const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/api/spec-automation/runs`, { headers: { host: 'attacker.example' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.code).toBe('host_not_allowed');
  });

  it('describes every endpoint in /openapi.json, and its request schema accepts exactly what the server accepts', async () => {
    const doc = (await api(base, '/openapi.json')).body;
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/api/spec-automation/runs', '/api/spec-automation/runs/{runId}', '/api/spec-automation/runs/{runId}/artifacts/{artifactId}', '/api/spec-automation/runs/{runId}/cancel', '/codec/decode', '/healthz', '/openapi.json', '/readyz'].filter((x) => x !== '/openapi.json').sort(),
    );
    const schema = doc.paths['/api/spec-automation/runs'].post.requestBody.content['application/json'].schema;
    const validate = new Ajv({ strict: false }).compile(schema);
    const bodies = [stubRun('ok'), { ...stubRun('x'), colour: 1 }, { ...stubRun('x'), dryRun: 'no' }, { repository: 'acme/widgets' }, { ...stubRun('x'), labels: ['a', 7] }, { ...stubRun('x'), runtimeEnvironment: { A_B: 'c' } }];
    for (const body of bodies) {
      const r = await api(base, '/api/spec-automation/runs', { method: 'POST', json: { ...body, dryRun: (body as { dryRun?: unknown }).dryRun ?? true } });
      expect(validate({ ...body, dryRun: (body as { dryRun?: unknown }).dryRun ?? true }), JSON.stringify(body)).toBe(r.status === 202);
      if (r.status === 202) await untilTerminal(r.body.runId);
    }
  });

  it('with tokens configured: 401 without one, 403 outside its repositories, 200 within', async () => {
    const tokens = parseApiTokens('token-for-everything-0001,token-for-gadgets-only-01=acme/gadgets');
    const app = createApp({ settings: p.settings, database: p.database.database, temporal: p.temporal.client, logger, tokens, taskQueue: queue });
    const secured = await serve(app);
    try {
      expect((await api(secured.url, '/api/spec-automation/runs')).status).toBe(401);
      expect((await api(secured.url, '/api/spec-automation/runs', { token: 'wrong-token-000000000' })).status).toBe(401);
      expect((await api(secured.url, '/api/spec-automation/runs', { token: 'token-for-everything-0001' })).status).toBe(200);
      const limited = await api(secured.url, '/api/spec-automation/runs', { token: 'token-for-gadgets-only-01' });
      expect(limited.body.items).toEqual([]);
      const anyRun = (await api(base, '/api/spec-automation/runs', { method: 'POST', json: stubRun('Token probe') })).body.runId;
      await untilTerminal(anyRun);
      expect((await api(secured.url, `/api/spec-automation/runs/${anyRun}`, { token: 'token-for-gadgets-only-01' })).status).toBe(403);
      expect((await api(secured.url, '/api/spec-automation/runs', { method: 'POST', token: 'token-for-gadgets-only-01', json: stubRun('x') })).status).toBe(403);
      expect((await api(secured.url, '/healthz')).status).toBe(200);
      expect((await api(secured.url, '/readyz')).body).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
    } finally {
      await secured.close();
    }
  });
});
