// API errors: always JSON `{error: {code, message, details}}` with the right status, never a stack.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../config/logger.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function sendError(res: Response, status: number, code: string, message: string, details?: unknown): void {
  res.status(status).json({ error: { code, message, ...(details === undefined ? {} : { details }) } });
}

/** Maps body-parser's failures and ApiErrors to JSON; anything else is a logged 500. */
export function errorHandler(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ApiError) return sendError(res, err.status, err.code, err.message, err.details);
    const e = err as { type?: string; status?: number; limit?: number };
    if (e?.type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', 'the request body is not valid JSON');
    if (e?.type === 'entity.too.large') return sendError(res, 400, 'body_too_large', `the request body is larger than the ${e.limit} bytes accepted`);
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return sendError(res, 400, 'unsupported_encoding', 'the request body encoding is not supported');
    logger.error({ err }, 'unhandled API error');
    return sendError(res, 500, 'internal_error', 'internal error');
  };
}
