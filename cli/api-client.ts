// The REST API over Node's fetch. Every request is bounded by a timeout, and every failure becomes a
// CliError whose exit code says whether the request was wrong (2) or the outcome is unknown (3).
import { CliError, EXIT, oneLine } from './errors.js';
import type { CancelAccepted, ListRunsResponse, RunAccepted, RunDetail } from './types.js';

export interface ApiClientOptions {
  apiUrl: string;
  token?: string;
  /** Bound on each JSON request; downloads pass their own signal. */
  requestTimeoutMs?: number;
}

interface RequestOptions {
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class ApiClient {
  private readonly base: string;

  constructor(private readonly options: ApiClientOptions) {
    let url: URL;
    try {
      url = new URL(options.apiUrl);
    } catch {
      throw new CliError('invalid_api_url', `--api-url: not a URL: ${options.apiUrl}`, EXIT.usage);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('invalid_api_url', `--api-url: must be http(s): ${options.apiUrl}`, EXIT.usage);
    // A base with a path (behind a reverse proxy) keeps it; only the trailing slash goes.
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, '')}/api/spec-automation`;
  }

  startRun(body: Record<string, unknown>, idempotencyKey?: string): Promise<RunAccepted> {
    return this.json('POST', '/runs', { json: body, headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {} });
  }

  getRun(runId: string, signal?: AbortSignal): Promise<RunDetail> {
    return this.json('GET', `/runs/${encodeURIComponent(runId)}`, { signal });
  }

  listRuns(query: { status?: string; repository?: string; limit?: number; cursor?: string }): Promise<ListRunsResponse> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.json('GET', `/runs${qs ? `?${qs}` : ''}`, {});
  }

  cancelRun(runId: string): Promise<CancelAccepted> {
    return this.json('POST', `/runs/${encodeURIComponent(runId)}/cancel`, {});
  }

  /**
   * The artifact's bytes as a stream. Built from the API URL the operator gave rather than the
   * listing's downloadUrl, which carries the host the server saw (wrong behind a proxy).
   */
  async download(runId: string, artifactId: string, signal: AbortSignal): Promise<Response> {
    return this.send('GET', `/runs/${encodeURIComponent(runId)}/artifacts/${encodeURIComponent(artifactId)}`, { signal });
  }

  private async json<T>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError('invalid_response', `${method} ${path}: the API answered ${res.status} with something that is not JSON`, EXIT.unavailable);
    }
  }

  /** Sends one request; resolves only for 2xx, with the body unread. */
  private async send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (opts.json !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const timeoutMs = opts.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, body: opts.json === undefined ? undefined : JSON.stringify(opts.json), signal });
    } catch (err) {
      // The caller's own abort (Ctrl-C) is not an API failure: let it through untouched.
      if (opts.signal?.aborted) throw err;
      if (timeout.aborted) throw new CliError('api_timeout', `${method} ${path}: no answer from ${this.options.apiUrl} within ${timeoutMs / 1000} s`, EXIT.unavailable);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError('api_unreachable', `cannot reach ${this.options.apiUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, EXIT.unavailable);
    }
    if (res.ok) return res;
    throw await errorOf(res);
  }
}

/** The API's `{error: {code, message}}`, or a generic one for a proxy's HTML page. */
async function errorOf(res: Response): Promise<CliError> {
  const exitCode = res.status >= 500 ? EXIT.unavailable : EXIT.usage;
  const text = await res.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (error && typeof error.code === 'string') return new CliError(error.code, oneLine(String(error.message ?? '')), exitCode);
  } catch {
    // not JSON: fall through
  }
  return new CliError(`http_${res.status}`, oneLine(res.statusText || text.slice(0, 200) || 'request failed'), exitCode);
}
