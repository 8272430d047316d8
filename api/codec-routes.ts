// The remote codec endpoints (Temporal's codec server protocol) so the Temporal Web UI and CLI can
// show decoded history: POST /codec/decode and POST /codec/encode, body and reply
// `{"payloads":[{"metadata":{"<key>":"<base64>"},"data":"<base64>"}]}` (proto3 JSON of Payloads).
// The Web UI's codec endpoint is the API's base URL + `/codec` (it appends /decode and /encode).
//
// Mounting (api/app.ts). The router does no authentication: mount it behind the API's bearer-token
// middleware. A browser's CORS preflight (OPTIONS) carries no Authorization header, so the CORS
// middleware must answer it BEFORE authentication:
//
//   app.use('/codec', codecCors(origins), auth, createCodecRouter({ codec, allowedOrigins: origins, basePath: '' }));
//
// or, with the router's default basePath '/codec', mounted at the root:
//
//   app.use('/codec', codecCors(origins));   // preflights end here, unauthenticated
//   app.use(auth);                            // the API's auth
//   app.use(createCodecRouter({ codec, allowedOrigins: origins }));
//
// Mounted that way, a 401 from the auth middleware still carries the CORS headers, so the Web UI can
// report it instead of an opaque network error.
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { PayloadCodecError } from '../config/payload-codec.js';

/** The Web UI of `npm start`'s dev server (TEMPORAL_UI_PORT 8233). */
export const DEFAULT_CODEC_ALLOWED_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];

/** The dev server Web UI's origins for a given UI port. */
export function codecOriginsForUiPort(uiPort: number): string[] {
  return [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`];
}

const ALLOWED_HEADERS = 'Content-Type, Authorization, X-Namespace';
const ALLOWED_METHODS = 'POST, OPTIONS';
const BODY_LIMIT = '10mb';
const MAX_PAYLOADS = 10_000;

function normaliseOrigins(origins: string[]): Set<string> {
  return new Set(
    origins.map((o) => {
      if (o.trim() === '*') throw new Error('codec CORS: "*" cannot be used with credentials; list the Web UI origins');
      try {
        return new URL(o.trim()).origin;
      } catch {
        throw new Error(`codec CORS: "${o}" is not an origin (scheme://host[:port])`);
      }
    }),
  );
}

/**
 * CORS for the codec endpoints: the allowed origins (exact match) get Access-Control-Allow-Origin
 * and -Credentials; an OPTIONS request (a preflight) is answered here with 204 and never reaches
 * later middleware, authentication included. Other origins get no CORS headers, so browsers refuse.
 */
export function codecCors(allowedOrigins: string[] = DEFAULT_CODEC_ALLOWED_ORIGINS): RequestHandler {
  const allowed = normaliseOrigins(allowedOrigins);
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.headers.origin;
    const ok = typeof origin === 'string' && allowed.has(origin);
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method !== 'OPTIONS') return next();
    if (ok) {
      res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.status(204).end();
  };
}

export interface CodecRouterOptions {
  codec: PayloadCodec;
  /** Browser origins allowed to call the endpoints (the Web UI's); default the dev server's UI. */
  allowedOrigins?: string[];
  /** Told about unexpected failures (never the request body); the reply is a bare 500. */
  onError?: (err: unknown) => void;
  /**
   * Where the routes live within the router: '/codec' (default: POST /codec/decode when the router
   * is mounted at the root) or '' when the app mounts the router at '/codec' itself.
   */
  basePath?: '/codec' | '';
}

// proto3 JSON for bytes: standard or URL-safe base64, padding optional; empty allowed.
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const BodySchema = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), base64).nullish(),
        data: base64.nullish(),
      }),
    )
    .max(MAX_PAYLOADS)
    // The Temporal CLI sends `{}` when a call has no payloads (a query without arguments).
    .default([]),
}).strict();

type JsonPayload = z.infer<typeof BodySchema>['payloads'][number];

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(p.data ?? new Uint8Array()),
  };
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** POST {basePath}/decode and {basePath}/encode (CORS included; authentication is the mounting app's). */
export function createCodecRouter(opts: CodecRouterOptions): Router {
  const router = Router();
  // Any content type is read as JSON: the protocol always sends JSON, and a client that forgets the
  // header should get a decoded reply, not a confusing "body required".
  const json = express.json({ limit: BODY_LIMIT, type: () => true });

  const handle = (op: 'encode' | 'decode'): RequestHandler => async (req, res) => {
    const parsed = BodySchema.safeParse(req.body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first?.path.length ? `${first.path.join('.')}: ` : '';
      throw new BadRequest(400, 'invalid_request', `expected {"payloads":[{"metadata":{...},"data":"<base64>"}]}; ${where}${first?.message ?? 'invalid body'}`);
    }
    const payloads = parsed.data.payloads.map(fromJson);
    const out = op === 'decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
    res.json({ payloads: out.map(toJson) });
  };

  const base = opts.basePath ?? '/codec';
  router.use(base || '/', codecCors(opts.allowedOrigins));
  router.post(`${base}/decode`, json, handle('decode'));
  router.post(`${base}/encode`, json, handle('encode'));
  router.all([`${base}/decode`, `${base}/encode`], (_req, res) => {
    res.setHeader('Allow', 'POST, OPTIONS');
    res.status(405).json({ error: { code: 'method_not_allowed', message: 'use POST' } });
  });

  // Errors of the codec routes only: a code and a message, never a stack trace or key material.
  router.use(base || '/', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const bodyError = err as { type?: string; status?: number };
    if (err instanceof BadRequest) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
    } else if (err instanceof PayloadCodecError) {
      res.status(400).json({ error: { code: err.code, message: err.message } });
    } else if (bodyError?.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'invalid_json', message: 'the body is not valid JSON' } });
    } else if (bodyError?.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'payload_too_large', message: `the body exceeds ${BODY_LIMIT}` } });
    } else if (typeof bodyError?.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
      res.status(400).json({ error: { code: 'invalid_request', message: 'the body could not be read' } });
    } else {
      opts.onError?.(err);
      res.status(500).json({ error: { code: 'internal_error', message: 'internal error' } });
    }
  });
  return router;
}
