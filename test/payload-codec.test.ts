// Payload encryption: the AES-256-GCM codec and its keys, the codec endpoints the Web UI and CLI call
// (CORS before auth), and, against the shared Temporal server, that a run's history holds ciphertext
// only while the codec endpoint still decodes it.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { Client, WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure, Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import Docker from 'dockerode';
import express, { type RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecCors, createCodecRouter } from '../api/codec-routes.js';
import { listen } from '../api/listen.js';
import {
  AesGcmPayloadCodec,
  createDataConverter,
  deriveKeyId,
  loadOrCreateLocalKey,
  parsePayloadKeys,
  PayloadCodecError,
  resolvePayloadKeys,
} from '../config/payload-codec.js';
import { createWorker } from '../worker/create-worker.js';
import { ErrorType } from '../workflows/errors.js';
import { SpecAutomationRun } from '../workflows/index.js';
import type { RunInput } from '../workflows/shared.js';
import { openTestDatabase, type TestDatabase } from './support/databases.js';
import { testSettings } from './support/settings.js';
import { connectTemporal } from './support/temporal.js';

const newKey = () => randomBytes(32).toString('base64');
const json = (v: unknown): Payload => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) });
const str = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

/** Every error a failing call throws, for assertions on its code and message. */
async function rejection(p: Promise<unknown>): Promise<PayloadCodecError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PayloadCodecError);
  return err as PayloadCodecError;
}

describe('payload keys', () => {
  it('accepts one base64 key, deriving its id from its SHA-256', () => {
    const key = newKey();
    const keys = parsePayloadKeys(key);
    expect(keys.activeKeyId).toBe(deriveKeyId(Buffer.from(key, 'base64')));
    expect(keys.activeKeyId).toMatch(/^[0-9a-f]{8}$/);
    expect(parsePayloadKeys(` ${key}\n`).activeKeyId).toBe(keys.activeKeyId);
  });

  it('accepts a list whose first key encrypts and whose others only decrypt', () => {
    const [a, b, c] = [newKey(), newKey(), newKey()];
    const keys = parsePayloadKeys(`2025-06:${a}, 2025-01:${b},${c}`);
    expect(keys.activeKeyId).toBe('2025-06');
    expect(keys.keyIds).toEqual(['2025-06', '2025-01', deriveKeyId(Buffer.from(c, 'base64'))]);
    expect(keys.key('2025-01')?.equals(Buffer.from(b, 'base64'))).toBe(true);
  });

  it('rejects bad settings with errors that never carry key material', () => {
    const short = randomBytes(16).toString('base64');
    const good = newKey();
    const cases: [string, RegExp][] = [
      ['', /is empty/],
      [short, /must decode to 32 bytes.*decodes to 16/],
      [`new:${good},old:${short}`, /entry 2 of SPEC_AUTOMATION_PAYLOAD_KEY \(key id "old"\) must decode to 32 bytes/],
      [`new:${good},new:${newKey()}`, /key id "new" is listed twice/],
      [`k:not base64!`, /is not base64/],
      [`bad id:${good}`, /key id before ":" must be/],
      // A key pasted where its id belongs is refused without being echoed.
      [`${good.replace(/=+$/, '')}:${newKey()}`, /key id before ":" must be/],
    ];
    for (const [value, message] of cases) {
      let caught: Error | undefined;
      try {
        parsePayloadKeys(value);
      } catch (err) {
        caught = err as Error;
      }
      expect(caught?.message, value).toMatch(message);
      for (const secret of [short, good, good.replace(/=+$/, '')]) expect(caught?.message).not.toContain(secret);
    }
  });

  it('never shows key material when logged or serialised', () => {
    const key = newKey();
    const keys = parsePayloadKeys(`live:${key}`);
    for (const shown of [inspect(keys), JSON.stringify(keys), inspect({ keys }, { depth: 5 })]) {
      expect(shown).toContain('live');
      expect(shown).not.toContain(key);
      expect(shown).not.toContain(Buffer.from(key, 'base64').toString('hex'));
    }
  });

  it('generates a local key once, mode 0600, and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payload-key-'));
    try {
      const dataDir = path.join(dir, 'data');
      const first = loadOrCreateLocalKey(dataDir);
      expect(first).toMatchObject({ file: path.join(dataDir, 'payload-key'), created: true });
      expect(fs.statSync(first.file).mode & 0o777).toBe(0o600);
      expect(Buffer.from(first.key, 'base64')).toHaveLength(32);
      const again = loadOrCreateLocalKey(dataDir);
      expect(again).toEqual({ ...first, created: false });

      fs.chmodSync(first.file, 0o644);
      loadOrCreateLocalKey(dataDir);
      expect(fs.statSync(first.file).mode & 0o777).toBe(0o600);

      const resolved = resolvePayloadKeys({ localKeyDir: dataDir });
      expect(resolved).toMatchObject({ source: 'file', file: first.file, created: false });
      expect(resolved.keys.activeKeyId).toBe(parsePayloadKeys(first.key).activeKeyId);
      // The environment wins over the file; without either, a process refuses to start.
      const env = newKey();
      expect(resolvePayloadKeys({ value: env, localKeyDir: dataDir }).keys.activeKeyId).toBe(parsePayloadKeys(env).activeKeyId);
      expect(() => resolvePayloadKeys({})).toThrow(/SPEC_AUTOMATION_PAYLOAD_KEY is required/);

      fs.writeFileSync(first.file, 'damaged');
      expect(() => loadOrCreateLocalKey(dataDir)).toThrow(new RegExp(`${first.file}.*must decode to 32 bytes`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('AesGcmPayloadCodec', () => {
  const current = newKey();
  const old = newKey();
  const codec = new AesGcmPayloadCodec(parsePayloadKeys(`current:${current}`));

  it('round-trips payloads, metadata included, leaving only the encoding and key id in the clear', async () => {
    const input: Payload[] = [json({ featureDescription: 'secret plans' }), { metadata: { encoding: Buffer.from('binary/null') } }, json('x'.repeat(100_000))];
    const encoded = await codec.encode(input);
    expect(encoded).toHaveLength(3);
    for (const [i, p] of encoded.entries()) {
      expect(Object.keys(p.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
      expect(str(p.metadata?.encoding)).toBe('binary/encrypted');
      expect(str(p.metadata?.['encryption-key-id'])).toBe('current');
      expect(str(p.data)).not.toContain('secret plans');
      expect(str(p.data)).not.toContain('json/plain');
      // iv (12) | ciphertext (the serialised payload) | tag (16)
      const plainLength = proto.temporal.api.common.v1.Payload.encode(input[i]!).finish().length;
      expect(p.data?.length).toBe(12 + plainLength + 16);
    }
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => ({ encoding: str(p.metadata?.encoding), data: str(p.data) }))).toEqual(
      input.map((p) => ({ encoding: str(p.metadata?.encoding), data: str(p.data) })),
    );
    // A fresh IV each time: the same payload never encrypts to the same bytes.
    const [a, b] = await codec.encode([input[0]!, input[0]!]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(await codec.encode([])).toEqual([]);
  });

  it('refuses tampered ciphertext, tag or IV', async () => {
    const [sealed] = await codec.encode([json({ amount: 100 })]);
    for (const at of [0, 20, sealed!.data!.length - 1]) {
      const data = Buffer.from(sealed!.data!);
      data[at] = data[at]! ^ 0x01;
      const err = await rejection(codec.decode([{ ...sealed, data }]));
      expect(err.code).toBe('decryption_failed');
    }
    const truncated = await rejection(codec.decode([{ ...sealed, data: Buffer.from(sealed!.data!).subarray(0, 20) }]));
    expect(truncated.code).toBe('malformed_payload');
  });

  it('decodes history sealed by an old key listed after the new one (rotation), and encrypts with the new one', async () => {
    const before = new AesGcmPayloadCodec(parsePayloadKeys(`old:${old}`));
    const [sealedByOld] = await before.encode([json('written before the rotation')]);
    const rotated = new AesGcmPayloadCodec(parsePayloadKeys(`current:${current},old:${old}`));
    expect(str((await rotated.decode([sealedByOld!]))[0]!.data)).toBe('"written before the rotation"');
    const [sealedNow] = await rotated.encode([json('after')]);
    expect(str(sealedNow!.metadata?.['encryption-key-id'])).toBe('current');
    expect(str((await codec.decode([sealedNow!]))[0]!.data)).toBe('"after"');
  });

  it('names an unknown or missing key id, without key material', async () => {
    const [sealedByOld] = await new AesGcmPayloadCodec(parsePayloadKeys(`old:${old}`)).encode([json('x')]);
    const err = await rejection(codec.decode([sealedByOld!]));
    expect(err.code).toBe('unknown_key_id');
    expect(err.message).toMatch(/key id "old", which is not configured \(known: current\)/);
    expect(err.message).not.toContain(old);
    expect(err.message).not.toContain(current);

    const noId = await rejection(codec.decode([{ metadata: { encoding: Buffer.from('binary/encrypted') }, data: sealedByOld!.data }]));
    expect(noId.code).toBe('missing_key_id');
  });

  it('passes through payloads it did not encrypt (runs started without the codec)', async () => {
    const plain = [json({ repository: 'acme/widgets' }), { metadata: {}, data: Buffer.from('raw') }];
    expect(await codec.decode(plain)).toEqual(plain);
  });

  it('is the only payload codec of the data converter', () => {
    const converter = createDataConverter(parsePayloadKeys(current));
    expect(converter.payloadCodecs).toHaveLength(1);
    expect(converter.payloadCodecs?.[0]).toBeInstanceOf(AesGcmPayloadCodec);
    expect(converter.failureConverterPath).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------
// The endpoints, mounted the way api/app.ts mounts them: CORS first (a preflight carries no token),
// then bearer auth, then the router.

const TOKEN = 'test-api-token-0123456789';
const UI = 'http://127.0.0.1:8233';
const ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];

const requireToken: RequestHandler = (req, res, next) => {
  if (req.headers.authorization === `Bearer ${TOKEN}`) return next();
  res.status(401).json({ error: { code: 'unauthorized', message: 'a bearer token is required' } });
};

async function startCodecServer(codec: AesGcmPayloadCodec) {
  const app = express();
  app.use('/codec', codecCors(ORIGINS), requireToken, createCodecRouter({ codec, allowedOrigins: ORIGINS, basePath: '' }));
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such endpoint' } });
  });
  return listen(app, 0, '127.0.0.1');
}

type JsonPayload = { metadata?: Record<string, string>; data?: string };

describe('codec endpoints', () => {
  const key = newKey();
  const codec = new AesGcmPayloadCodec(parsePayloadKeys(`ui:${key}`));
  let http: Awaited<ReturnType<typeof listen>>;
  const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${http.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'x-namespace': 'default', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });

  beforeAll(async () => {
    http = await startCodecServer(codec);
  });
  afterAll(() => http?.close());

  it('encodes and decodes in the remote codec format (metadata values and data in base64)', async () => {
    const plain: JsonPayload = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"hello":"codec"}').toString('base64') };
    const enc = await post('/codec/encode', { payloads: [plain] });
    expect(enc.status).toBe(200);
    const encoded = (await enc.json()) as { payloads: JsonPayload[] };
    expect(encoded.payloads).toHaveLength(1);
    expect(Buffer.from(encoded.payloads[0]!.metadata!.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.payloads[0]!.metadata!['encryption-key-id']!, 'base64').toString()).toBe('ui');

    const dec = await post('/codec/decode', encoded);
    expect(dec.status).toBe(200);
    expect(await dec.json()).toEqual({ payloads: [plain] });
    const empty = await post('/codec/decode', { payloads: [] });
    expect(await empty.json()).toEqual({ payloads: [] });
  });

  it('answers malformed bodies and undecodable payloads with 400 and a code, never a stack or a key', async () => {
    const [foreign] = await new AesGcmPayloadCodec(parsePayloadKeys(`other:${newKey()}`)).encode([json('x')]);
    const foreignJson = { metadata: Object.fromEntries(Object.entries(foreign!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(foreign!.data!).toString('base64') };
    const cases: [string | object, string][] = [
      ['{not json', 'invalid_json'],
      [{ nope: [] }, 'invalid_request'],
      [{ payloads: [{ data: 'not base64!' }] }, 'invalid_request'],
      [{ payloads: 'x' }, 'invalid_request'],
      [{ payloads: [foreignJson] }, 'unknown_key_id'],
    ];
    for (const [body, code] of cases) {
      const res = await post('/codec/decode', body);
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect(JSON.parse(text)).toEqual({ error: { code, message: expect.any(String) } });
      expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
      expect(text).not.toContain(key);
    }
    const tooBig = await post('/codec/decode', { payloads: [{ data: 'A'.repeat(11 * 1024 * 1024) }] });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('sits behind the API token: no token, no decoding', async () => {
    const res = await post('/codec/decode', { payloads: [] }, { authorization: '' });
    expect(res.status).toBe(401);
  });

  it('answers the Web UI preflight without a token, with the CORS headers, for allowed origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${http.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization,x-namespace' },
        signal: AbortSignal.timeout(10_000),
      });
    for (const origin of ORIGINS) {
      const ok = await preflight(origin);
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
      expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
      expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
      expect(ok.headers.get('access-control-allow-headers')).toBe('Content-Type, Authorization, X-Namespace');
      expect(ok.headers.get('vary')).toMatch(/Origin/);
    }
    for (const origin of ['http://evil.example', 'http://127.0.0.1:9999', 'null']) {
      const refused = await preflight(origin);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      expect(refused.headers.get('access-control-allow-credentials')).toBeNull();
      expect(refused.headers.get('access-control-allow-headers')).toBeNull();
    }

    // The real request: the UI may read the reply (and a 401) from an allowed origin only.
    const fromUi = await post('/codec/decode', { payloads: [] }, { origin: UI });
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI);
    const unauthorised = await post('/codec/decode', { payloads: [] }, { origin: UI, authorization: '' });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers.get('access-control-allow-origin')).toBe(UI);
    const fromElsewhere = await post('/codec/decode', { payloads: [] }, { origin: 'http://evil.example' });
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves /codec/decode from the root too (default basePath), with CORS before auth', async () => {
    const app = express();
    app.use('/codec', codecCors(ORIGINS));
    app.use(requireToken);
    app.use(createCodecRouter({ codec, allowedOrigins: ORIGINS }));
    const root = await listen(app, 0, '127.0.0.1');
    try {
      const [sealed] = await codec.encode([json('from the root')]);
      const body = { payloads: [{ metadata: Object.fromEntries(Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(sealed!.data!).toString('base64') }] };
      const res = await fetch(`${root.url}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(200);
      const out = (await res.json()) as { payloads: JsonPayload[] };
      expect(Buffer.from(out.payloads[0]!.data!, 'base64').toString()).toBe('"from the root"');
      const preflight = await fetch(`${root.url}/codec/decode`, { method: 'OPTIONS', headers: { origin: UI, 'access-control-request-method': 'POST' }, signal: AbortSignal.timeout(10_000) });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
      const get = await fetch(`${root.url}/codec/decode`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(10_000) });
      expect(get.status).toBe(405);
    } finally {
      await root.close();
    }
  });

  it('refuses "*" as an origin (credentials are allowed)', () => {
    expect(() => codecCors(['*'])).toThrow(/cannot be used with credentials/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Against the shared Temporal server: the product's workflow and activities, a worker from
// createWorker and a client, both with the codec. The run fails validation in its first activity
// (unknown agent backend), so no job container is started; finalization still runs.

const History = proto.temporal.api.history.v1.History;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Every `payloads` array anywhere in the history, as proto3 JSON (base64 bytes). */
function payloadsOf(node: unknown, out: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(node)) for (const n of node) payloadsOf(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'payloads' && Array.isArray(v)) out.push(...(v as JsonPayload[]));
      else payloadsOf(v, out);
    }
  }
  return out;
}

function runCli(args: string[]): Promise<string> {
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli) throw new Error('TEMPORAL_CLI_PATH is not set: run the suite through scripts/setup.sh');
  return new Promise((resolve, reject) => {
    execFile(cli, args, { timeout: 30_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(`temporal ${args[0]} ${args[1]}: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

describe('against Temporal', () => {
  const keys = parsePayloadKeys(`it-1:${newKey()}`);
  const codec = new AesGcmPayloadCodec(keys);
  let temporal: Awaited<ReturnType<typeof connectTemporal>>;
  let cleanup: (() => Promise<void>) | undefined;
  let database: TestDatabase | undefined;
  let http: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    temporal = await connectTemporal();
    database = await openTestDatabase('pglite');
    http = await startCodecServer(codec);
  });
  afterAll(async () => {
    await http?.close();
    await temporal?.close();
    await database?.dispose();
    await cleanup?.();
  });

  it('keeps a run\'s input and activity payloads out of the history in plaintext, and the codec endpoint decodes them', async () => {
    const s = await testSettings();
    cleanup = s.cleanup;
    const taskQueue = `payload-codec-${randomUUID()}`;
    const dataConverter = createDataConverter(keys);
    const client = new Client({ connection: temporal.client.connection, namespace: s.settings.temporal.namespace, dataConverter });
    const plainClient = new Client({ connection: temporal.client.connection, namespace: s.settings.temporal.namespace });

    const worker = await createWorker({
      connection: temporal.nativeConnection,
      settings: s.settings,
      docker: new Docker(),
      db: database!.database.db,
      taskQueue,
      dataConverter,
    });

    const canary = `CANARY-${randomUUID()}`;
    const control = `CONTROL-${randomUUID()}`;
    const input = (featureDescription: string) => ({ repository: 'acme/x', featureDescription, agentBackend: 'not-a-backend' }) as unknown as RunInput;
    const start = (c: Client, featureDescription: string) =>
      c.workflow.start(SpecAutomationRun, { taskQueue, workflowId: `codec-${randomUUID()}`, args: [input(featureDescription)], workflowExecutionTimeout: '2m' });

    const [encrypted, plaintext] = await worker.runUntil(async () => {
      const runs = [await start(client, canary), await start(plainClient, control)];
      for (const run of runs) {
        // Through the codec client: the worker encrypts the control's result too.
        const result = client.workflow.getHandle(run.workflowId).result();
        const err = await withTimeout(result.then(() => undefined, (e: unknown) => e), 90_000, `run ${run.workflowId}`);
        expect(err).toBeInstanceOf(WorkflowFailedError);
      }
      return runs;
    });

    // Through the codec, the client sees the run's real failure details.
    const failure = await client.workflow.getHandle(encrypted!.workflowId).result().catch((e: WorkflowFailedError) => e.cause as ApplicationFailure);
    expect((failure as ApplicationFailure).details?.[0]).toMatchObject({ phase: 'validate', type: ErrorType.InvalidInput });

    const rawHistory = async (workflowId: string) => History.decode(History.encode((await plainClient.workflow.getHandle(workflowId).fetchHistory()) as never).finish());

    // 1. The history as stored, bytes and all: no trace of the canary; every payload sealed by the key.
    const history = await rawHistory(encrypted!.workflowId);
    expect(Buffer.from(History.encode(history).finish()).includes(canary)).toBe(false);
    const historyJson = History.toObject(history, { bytes: String, longs: String, enums: String });
    expect(JSON.stringify(historyJson)).not.toContain(canary);
    const payloads = payloadsOf(historyJson);
    // at least: workflow input, validation input, validation failure details, finalization input and
    // result, workflow failure details
    expect(payloads.length).toBeGreaterThanOrEqual(5);
    for (const p of payloads) {
      expect(Buffer.from(p.metadata?.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
      expect(Buffer.from(p.metadata?.['encryption-key-id'] ?? '', 'base64').toString()).toBe('it-1');
    }

    // The control, started without the codec: the same check does see plaintext input, so the check
    // is sound; and the worker still ran it (undecorated payloads pass through).
    const controlHistory = await rawHistory(plaintext!.workflowId);
    expect(Buffer.from(History.encode(controlHistory).finish()).includes(control)).toBe(true);

    // 2. What an operator sees with the CLI and no codec: no canary (but the control's input shows).
    // The CLI prints payloads in proto JSON (data in base64), so its output is read with every
    // payload's data decoded: what an operator could read from it.
    const show = async (workflowId: string, ...extra: string[]) => {
      const out = await runCli(['workflow', 'show', '--workflow-id', workflowId, '--address', temporal.address, '--namespace', s.settings.temporal.namespace, '--output', 'json', ...extra]);
      const decodedData = payloadsOf(JSON.parse(out)).map((p) => (typeof p.data === 'string' ? Buffer.from(p.data, 'base64').toString('utf8') : JSON.stringify(p)));
      return [out, ...decodedData].join('\n');
    };
    expect(await show(encrypted!.workflowId)).not.toContain(canary);
    expect(await show(plaintext!.workflowId)).toContain(control);

    // 3. The codec endpoint decodes the stored payloads: the canary is back.
    const res = await fetch(`${http.url}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'x-namespace': 'default' },
      body: JSON.stringify({ payloads }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    const decoded = (await res.json()) as { payloads: JsonPayload[] };
    expect(decoded.payloads).toHaveLength(payloads.length);
    const texts = decoded.payloads.map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8'));
    expect(texts.filter((t) => t.includes(canary)).length).toBeGreaterThanOrEqual(2); // workflow input, validation input
    for (const p of decoded.payloads) expect(Buffer.from(p.metadata?.encoding ?? '', 'base64').toString()).toBe('json/plain');

    // 4. Temporal's own codec client (the CLI, as the Web UI would) decodes through the endpoint too.
    const viaCodec = await show(encrypted!.workflowId, '--codec-endpoint', `${http.url}/codec`, '--codec-auth', `Bearer ${TOKEN}`);
    expect(viaCodec).toContain(canary);
  });
});
