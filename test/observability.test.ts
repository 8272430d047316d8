// Secrets and observability across a whole run: canary secrets must appear in no log line, no
// artifact, no database row and nowhere in Temporal's history; metrics arrive over real UDP; a
// StatsD outage never fails a run; a missing credential fails fast with an audit.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { WorkflowFailedError } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { createLogger } from '../config/logger.js';
import { createMetrics } from '../config/metrics.js';
import { createDataConverter, parsePayloadKeys, AesGcmPayloadCodec } from '../config/payload-codec.js';
import { codecCors, createCodecRouter } from '../api/codec-routes.js';
import { installTemporalRuntime } from '../config/temporal-runtime.js';
import { statusQuery } from '../workflows/shared.js';
import { api, serve } from './support/http.js';
import { Pipeline, codexWritesSpecKitFiles } from './support/pipeline.js';
import { waitFor } from './support/temporal.js';

const canary = (label: string) => `CANARY${label}${randomBytes(12).toString('hex')}`;
const CANARY_GITHUB = canary('gh');
const CANARY_CODEX = canary('codex');
const CANARY_RUNTIME = canary('rt');
const CANARIES = [CANARY_GITHUB, CANARY_CODEX, CANARY_RUNTIME];

// Every record the worker and the Temporal SDK log in this process, as the JSON lines pino writes.
const logLines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _enc, cb) {
    logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  },
});
const logger = createLogger({ level: 'debug', destination: capture });
installTemporalRuntime(logger);

const keys = parsePayloadKeys(randomBytes(32).toString('base64'));
const p = new Pipeline();
p.installRuntime = false;
p.dataConverter = createDataConverter(keys);
p.env = { GITHUB_TOKEN: CANARY_GITHUB, CODEX_API_KEY: CANARY_CODEX };

// A real StatsD listener on 127.0.0.1.
const statsd = dgram.createSocket('udp4');
const datagrams: string[] = [];
statsd.on('message', (m) => datagrams.push(...m.toString('utf8').split('\n').filter(Boolean)));

beforeAll(async () => {
  await new Promise<void>((r) => statsd.bind(0, '127.0.0.1', r));
  p.metrics = createMetrics({ enabled: true, host: '127.0.0.1', port: statsd.address().port, namespace: 'speckit_test' }, logger);
  await p.start();
  p.origins.create('acme/widgets');
  p.github.addRepo('acme', 'widgets');
  await p.startWorker('observability');
});
afterAll(async () => {
  await p.metrics?.close();
  await p.stop();
  statsd.close();
});

describe('secrets', () => {
  it('keeps canary secrets out of logs, artifacts, database rows and Temporal history; the codec endpoint still decodes the history', async () => {
    // The agent prints its whole environment, so the canaries reach its output and must be scrubbed.
    p.model.setScript([{ tools: [{ shell: ['env'] }] }, ...codexWritesSpecKitFiles()]);
    const handle = await p.startRun('observability', {
      repository: 'acme/widgets',
      featureDescription: 'Let staff reserve widgets',
      runtimeEnvironment: { SPEC_AUTOMATION_SECRET_DEPLOY_KEY: CANARY_RUNTIME },
    });
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(p.github.requests.every((r) => r.auth?.token === CANARY_GITHUB)).toBe(true);

    // Proof the canaries were really there to leak: the agent's env output carried them to the model.
    const envOutput = p.model.requests.flatMap((r) => r.toolOutputs.map((o) => o.output)).join('\n');
    for (const c of CANARIES) expect(envOutput).toContain(c);

    // Logs.
    expect(logLines.length).toBeGreaterThan(20);
    expect(logLines.some((l) => l.includes(handle.workflowId))).toBe(true);
    for (const c of CANARIES) expect(logLines.filter((l) => l.includes(c))).toEqual([]);

    // Artifacts (the submit logs hold the agent's env output, redacted).
    const dir = p.paths(handle.workflowId).artifacts;
    const files = fs.readdirSync(dir);
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      for (const c of CANARIES) expect(text.includes(c), `${f} contains a canary`).toBe(false);
    }
    expect(fs.readFileSync(path.join(dir, 'submit-codex-job.log'), 'utf8')).toContain('***REDACTED***');

    // Every row of every table.
    const { db } = p.database.database;
    const tables = (await db.execute(sql`select table_name from information_schema.tables where table_schema = 'public'`)) as unknown as { rows: { table_name: string }[] };
    expect(tables.rows.length).toBeGreaterThanOrEqual(6);
    for (const { table_name } of tables.rows) {
      const rows = (await db.execute(sql.raw(`select * from "${table_name}"`))) as unknown as { rows: unknown[] };
      const dump = JSON.stringify(rows.rows);
      for (const c of CANARIES) expect(dump.includes(c), `${table_name} contains a canary`).toBe(false);
    }

    // Temporal's history, as the CLI shows it (decoding base64 payloads too).
    const shown = execFileSync(process.env.TEMPORAL_CLI_PATH!, ['workflow', 'show', '--output', 'json', '--address', p.temporal.address, '-w', handle.workflowId], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const decodedBase64 = [...shown.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('latin1')).join('\n');
    for (const c of CANARIES) {
      expect(shown.includes(c)).toBe(false);
      expect(decodedBase64.includes(c)).toBe(false);
    }

    // ...and the same history decodes through the API's codec endpoint.
    const app = createApp({
      settings: p.settings,
      database: p.database.database,
      temporal: p.client,
      logger,
      tokens: [],
      codec: { cors: codecCors(), router: createCodecRouter({ codec: new AesGcmPayloadCodec(keys), basePath: '' }) },
    });
    const server = await serve(app);
    try {
      const history = JSON.parse(shown) as { events: { workflowExecutionStartedEventAttributes?: { input?: { payloads: unknown[] } } }[] };
      const started = history.events.find((e) => e.workflowExecutionStartedEventAttributes)!.workflowExecutionStartedEventAttributes!.input!;
      const decoded = await api(server.url, '/codec/decode', { method: 'POST', json: { payloads: started.payloads } });
      expect(decoded.status).toBe(200);
      const input = JSON.parse(Buffer.from(decoded.body.payloads[0].data, 'base64').toString('utf8'));
      expect(input).toMatchObject({ repository: 'acme/widgets', featureDescription: 'Let staff reserve widgets' });
      expect(input.runtimeEnvironment.SPEC_AUTOMATION_SECRET_DEPLOY_KEY).toBe(CANARY_RUNTIME);
      // The Temporal CLI sends `{}` for a call without payloads (a query with no arguments).
      expect((await api(server.url, '/codec/decode', { method: 'POST', json: {} })).body).toEqual({ payloads: [] });
    } finally {
      await server.close();
    }
  });

  it('fails a run with a missing credential at once with CredentialValidationError, the audit written and no container left', async () => {
    const saved = p.env;
    p.env = { GITHUB_TOKEN: CANARY_GITHUB };
    await p.startWorker('observability-nokey');
    try {
      const handle = await p.startRun('observability-nokey', { repository: 'acme/widgets', featureDescription: 'Anything' });
      const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(err.cause?.message).toMatch(/run failed in start_container: Credential validation failed: missing CODEX_API_KEY/);
      const status = await handle.query(statusQuery);
      expect(status.error).toMatchObject({ phase: 'start_container', type: 'CredentialValidationError' });
      expect(status.phases.start_container.attempt).toBe(1);
      const audit = JSON.parse(p.artifact(handle.workflowId, 'credential-audit.json'));
      expect(audit.missing.map((m: { key: string }) => m.key)).toEqual(['CODEX_API_KEY']);
      expect(audit.entries.map((e: { key: string; value: string }) => [e.key, e.value])).toEqual([['GITHUB_TOKEN', '***REDACTED***']]);
      expect(await p.leftovers(handle.workflowId)).toEqual({ containers: 0, repo: false, home: false });
    } finally {
      await p.stopWorker('observability-nokey');
      p.env = saved;
    }
  });
});

describe('metrics', () => {
  it('a run emits run.start, phase.duration, cleanup.duration and run.finish with the namespace, types and tags', async () => {
    datagrams.length = 0;
    const handle = await p.startRun('observability', { repository: 'acme/widgets', featureDescription: 'Count widgets', agentBackend: 'stub', dryRun: true });
    await handle.result();
    const id = handle.workflowId;
    await waitFor(async () => datagrams.some((d) => d.startsWith('speckit_test.run.finish:')), 10_000, 'run.finish');
    const mine = datagrams.filter((d) => d.includes(`run_id:${id}`));
    expect(mine).toContain(`speckit_test.run.start:1|c|#run_id:${id},repo:acme/widgets`);
    expect(mine).toContain(`speckit_test.run.finish:1|c|#run_id:${id},repo:acme/widgets,result:succeeded`);
    for (const phase of ['validate', 'prepare_workspace', 'start_container', 'discover', 'submit_specify', 'submit_plan', 'submit_tasks', 'publish', 'finalize']) {
      expect(mine.some((d) => new RegExp(`^speckit_test\\.phase\\.duration:\\d+(\\.\\d+)?\\|ms\\|#run_id:${id},phase:${phase},repo:acme/widgets,result:succeeded$`).test(d)), phase).toBe(true);
    }
    expect(mine.some((d) => /^speckit_test\.cleanup\.duration:\d+(\.\d+)?\|ms\|#run_id:.*,phase:finalize,repo:acme\/widgets,result:succeeded$/.test(d))).toBe(true);
  });

  it('with StatsD unreachable a run still succeeds, and the outage is logged once per backoff window', async () => {
    const closed = dgram.createSocket('udp4');
    await new Promise<void>((r) => closed.bind(0, '127.0.0.1', r));
    const port = closed.address().port;
    await new Promise<void>((r) => closed.close(() => r()));
    const saved = p.metrics;
    p.metrics = createMetrics({ enabled: true, host: '127.0.0.1', port, namespace: 'speckit_test' }, logger, { baseBackoffMs: 300, maxBackoffMs: 1200 });
    await p.startWorker('observability-statsd-down');
    try {
      const before = logLines.length;
      const handle = await p.startRun('observability-statsd-down', { repository: 'acme/widgets', featureDescription: 'Count widgets again', agentBackend: 'stub', dryRun: true });
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      const warnings = logLines.slice(before).map((l) => JSON.parse(l)).filter((r) => /StatsD unreachable/.test(r.msg));
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      // One warning per window: consecutive warnings are at least the previous window apart.
      for (let i = 1; i < warnings.length; i++) expect(warnings[i].time - warnings[i - 1].time).toBeGreaterThanOrEqual(warnings[i - 1].backoffMs - 5);
    } finally {
      await p.stopWorker('observability-statsd-down');
      await p.metrics.close();
      p.metrics = saved;
    }
  });
});
