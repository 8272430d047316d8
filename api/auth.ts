// Bearer-token access. SPEC_AUTOMATION_API_TOKENS is a comma-separated list of `token` or
// `token=owner/a|owner/b` (limited to those repositories). With no token configured the API runs
// open, and the entry points bind it to 127.0.0.1 only.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors.js';

export interface ApiToken {
  digest: Buffer;
  /** undefined: every repository. */
  repositories?: Set<string>;
}

/**
 * With no token configured the API is open to local users only; it must also refuse requests whose
 * Host is not this machine's loopback name (a web page using DNS rebinding would send its own).
 */
export function loopbackHostOnly(tokens: ApiToken[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (tokens.length > 0) return next();
    const port = req.socket.localPort;
    const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    if (!allowed.includes(String(req.headers.host ?? '').toLowerCase())) {
      return sendError(res, 403, 'host_not_allowed', 'without API tokens this API only answers requests addressed to 127.0.0.1 or localhost');
    }
    return next();
  };
}

/** Payload decryption reveals every run's secrets: only tokens not limited to repositories may use it. */
export function requireUnrestrictedToken(req: Request, res: Response, next: NextFunction) {
  if (accessOf(res).repositories) return sendError(res, 403, 'codec_forbidden', 'this token is limited to repositories and may not decode payloads');
  return next();
}

export interface Access {
  /** Whether the caller may see or act on runs of this repository. */
  allows(repository: string): boolean;
  /** The repositories the caller is limited to, or undefined for all. */
  repositories?: string[];
  /** A stable, non-secret id of the caller's token (scopes idempotency keys); undefined when open. */
  principal?: string;
}

const digest = (token: string) => createHash('sha256').update(token).digest();

export function parseApiTokens(value: string | undefined): ApiToken[] {
  if (!value?.trim()) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf('=');
      const token = eq < 0 ? entry : entry.slice(0, eq);
      if (token.length < 16) throw new Error('SPEC_AUTOMATION_API_TOKENS: every token must be at least 16 characters');
      const repos = eq < 0 ? undefined : new Set(entry.slice(eq + 1).split('|').map((r) => r.trim().toLowerCase()).filter(Boolean));
      return { digest: digest(token), repositories: repos };
    });
}

const OPEN: Access = { allows: () => true };

/** Authenticates `Authorization: Bearer <token>` and puts the caller's Access on res.locals.access. */
export function requireToken(tokens: ApiToken[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (tokens.length === 0) {
      res.locals.access = OPEN;
      return next();
    }
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    // Compare digests in constant time, so response timing reveals nothing about a token.
    const presented = m ? digest(m[1]!) : undefined;
    const match = presented && tokens.find((t) => timingSafeEqual(t.digest, presented));
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, 'unauthorized', 'a valid bearer token is required (Authorization: Bearer <token>)');
    }
    const repos = match.repositories;
    res.locals.access = repos ? ({ allows: (r: string) => repos.has(r.toLowerCase()), repositories: [...repos], principal: match.digest.toString('hex').slice(0, 16) } satisfies Access) : { ...OPEN, principal: match.digest.toString('hex').slice(0, 16) };
    return next();
  };
}

export function accessOf(res: Response): Access {
  return (res.locals.access as Access | undefined) ?? OPEN;
}
