// StatsD metrics for runs: hot-shots formats DogStatsD lines, and a connected UDP socket of our own
// carries them. Metrics are an operator convenience, so they must never fail or slow a run: every emit
// is fire-and-forget, and a StatsD outage costs only dropped datagrams plus one warning per backoff
// window.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import StatsD from 'hot-shots';
import { z } from 'zod';
import type { Logger } from './logger.js';

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

export interface MetricsSettings {
  enabled: boolean;
  host: string;
  port: number;
  /** Prefix of every metric name, joined with a dot (`spec_automation.run.start`); empty for none. */
  namespace: string;
}

const PORT_MESSAGE = 'must be an integer port between 1 and 65535';

const MetricsEnvSchema = z.object({
  SPEC_WORKFLOW_METRICS_ENABLED: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  SPEC_WORKFLOW_METRICS_HOST: z.string().default('127.0.0.1'),
  SPEC_WORKFLOW_METRICS_PORT: z.coerce
    .number({ error: PORT_MESSAGE })
    .int({ error: PORT_MESSAGE })
    .min(1, { error: PORT_MESSAGE })
    .max(65535, { error: PORT_MESSAGE })
    .default(8125),
  // The namespace becomes part of every metric name, where `:` and `|` would break the line format.
  SPEC_WORKFLOW_METRICS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]*$/, { error: 'may contain only letters, digits, "_", "-" and "."' })
    .default('spec_automation')
    .transform((v) => v.replace(/^\.+|\.+$/g, '')),
});

type MetricsEnvKey = keyof z.input<typeof MetricsEnvSchema>;

export function metricsSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): MetricsSettings {
  // Compose files and CI often set a variable to the empty string to mean "unset"; treat it so
  // instead of rejecting an empty port.
  const raw: Partial<Record<MetricsEnvKey, string>> = {};
  for (const key of Object.keys(MetricsEnvSchema.shape) as MetricsEnvKey[]) {
    const value = env[key]?.trim();
    if (value) raw[key] = key === 'SPEC_WORKFLOW_METRICS_ENABLED' ? value.toLowerCase() : value;
  }
  const parsed = MetricsEnvSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => {
        const key = i.path.join('.') as MetricsEnvKey;
        return `${key} ${i.message} (got ${JSON.stringify(raw[key])})`;
      })
      .join('; ');
    throw new Error(`invalid metrics configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    enabled: e.SPEC_WORKFLOW_METRICS_ENABLED,
    host: e.SPEC_WORKFLOW_METRICS_HOST,
    port: e.SPEC_WORKFLOW_METRICS_PORT,
    namespace: e.SPEC_WORKFLOW_METRICS_NAMESPACE,
  };
}

// ---------------------------------------------------------------------------------------------
// The emitter
// ---------------------------------------------------------------------------------------------

export interface MetricTags {
  run_id: string;
  phase?: string;
  repo?: string;
  result?: string;
}

export interface Metrics {
  /** Counter `run.start`. */
  runStart(tags: MetricTags): void;
  /** Counter `run.finish`; pass `result`. */
  runFinish(tags: MetricTags): void;
  /** Timer `phase.duration` in milliseconds. */
  phaseDuration(ms: number, tags: MetricTags): void;
  /** Counter `phase.retry`; the caller emits it only for attempts after the first. */
  phaseRetry(tags: MetricTags): void;
  /** Timer `cleanup.duration` in milliseconds. */
  cleanupDuration(ms: number, tags: MetricTags): void;
  /** Lets queued datagrams go out (bounded by `closeTimeoutMs`), then releases the socket. */
  close(): Promise<void>;
}

export const METRIC_NAMES = {
  runStart: 'run.start',
  runFinish: 'run.finish',
  phaseDuration: 'phase.duration',
  phaseRetry: 'phase.retry',
  cleanupDuration: 'cleanup.duration',
} as const;

/** Resolves a host name like `dns.lookup(host, cb)`; replaceable so tests need no real resolver. */
export type MetricsLookup = (
  hostname: string,
  callback: (err: NodeJS.ErrnoException | null, address?: string, family?: number) => void,
) => void;

export interface MetricsOptions {
  /** First backoff window after a send error; doubles per consecutive failure. Default 1000 ms. */
  baseBackoffMs?: number;
  /** Longest backoff window. Default 60 000 ms. */
  maxBackoffMs?: number;
  /**
   * How long sends must go without an error before StatsD counts as back and the backoff resets.
   * UDP has no acknowledgement: the only failure signal is an ICMP error arriving after a send,
   * so a send is "successful" once this much time passes without one. Default: `baseBackoffMs`.
   */
  recoveryConfirmMs?: number;
  /** Longest a DNS lookup plus connect may take before it counts as a failure. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** A host name is resolved again after this long, so a moved StatsD is followed. Default 60 000 ms. */
  dnsTtlMs?: number;
  /** Datagrams held while the socket connects (the rest are dropped). Default 100. */
  maxPendingDatagrams?: number;
  /** Longest `close()` waits for queued datagrams. Default 1000 ms. */
  closeTimeoutMs?: number;
  lookup?: MetricsLookup;
  /** Monotonic clock in ms; tests pass a fake one to step through windows deterministically. */
  now?: () => number;
}

const noop = () => {};
export const NOOP_METRICS: Metrics = Object.freeze({
  runStart: noop,
  runFinish: noop,
  phaseDuration: noop,
  phaseRetry: noop,
  cleanupDuration: noop,
  close: () => Promise.resolve(),
});

export function createMetrics(settings: MetricsSettings, logger: Logger, options: MetricsOptions = {}): Metrics {
  if (!settings.enabled) return NOOP_METRICS;
  const baseBackoffMs = options.baseBackoffMs ?? 1000;
  const opts: Required<MetricsOptions> = {
    baseBackoffMs,
    maxBackoffMs: Math.max(options.maxBackoffMs ?? 60_000, baseBackoffMs),
    recoveryConfirmMs: options.recoveryConfirmMs ?? baseBackoffMs,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    dnsTtlMs: options.dnsTtlMs ?? 60_000,
    maxPendingDatagrams: options.maxPendingDatagrams ?? 100,
    closeTimeoutMs: options.closeTimeoutMs ?? 1000,
    lookup: options.lookup ?? ((hostname, cb) => dns.lookup(hostname, { family: 0 }, cb)),
    now: options.now ?? (() => performance.now()),
  };
  const log = logger.child({ component: 'metrics' });
  const link = new StatsdLink(settings.host, settings.port, log, opts);

  // hot-shots' own UDP transport sends from an unconnected socket, on which Linux never reports ICMP
  // port-unreachable, so a closed StatsD port would look healthy forever. Its `stream` protocol hands
  // each formatted line to this Writable instead, and the link sends it from a connected socket.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      // The stream transport appends a newline for line-based streams; a datagram needs none.
      link.send(chunk.at(-1) === 0x0a ? chunk.subarray(0, -1) : chunk);
      // Never pass an error on: an errored Writable is destroyed for good, and delivery problems
      // are the link's to handle anyway.
      done();
    },
    destroy(err, done) {
      link.close(opts.closeTimeoutMs).then(
        () => done(err),
        () => done(err),
      );
    },
  });

  const client = new StatsD({
    protocol: 'stream',
    stream: sink,
    prefix: settings.namespace || undefined,
    // One datagram per metric, sent at once: nothing is left in a buffer when a worker stops.
    maxBufferSize: 0,
    // Off so the wire format and tag set do not change with DD_* variables in the environment
    // (Datadog mode adds container-id fields and a telemetry metric stream of its own).
    datadog: false,
    includeDatadogTelemetry: false,
    includeDataDogTags: false,
    // Without a handler hot-shots throws or writes to the console; route everything into the backoff.
    errorHandler: (err) => link.reportError(err),
  });

  let closing: Promise<void> | undefined;
  const emit = (send: () => void) => {
    // Checked before hot-shots formats the line, so an outage costs callers next to nothing.
    if (closing || link.dropping()) return;
    try {
      send();
    } catch (err) {
      link.reportError(err);
    }
  };
  const duration = (ms: number) => (Number.isFinite(ms) ? Math.max(0, ms) : undefined);

  return {
    runStart: (tags) => emit(() => client.increment(METRIC_NAMES.runStart, 1, 1, toTags(tags))),
    runFinish: (tags) => emit(() => client.increment(METRIC_NAMES.runFinish, 1, 1, toTags(tags))),
    phaseRetry: (tags) => emit(() => client.increment(METRIC_NAMES.phaseRetry, 1, 1, toTags(tags))),
    phaseDuration: (ms, tags) => {
      const value = duration(ms);
      if (value !== undefined) emit(() => client.timing(METRIC_NAMES.phaseDuration, value, 1, toTags(tags)));
    },
    cleanupDuration: (ms, tags) => {
      const value = duration(ms);
      if (value !== undefined) emit(() => client.timing(METRIC_NAMES.cleanupDuration, value, 1, toTags(tags)));
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        // hot-shots' close waits for its in-flight count and then destroys the sink, whose destroy
        // waits (bounded) for the link; this timer only guards against a callback that never comes.
        const guard = setTimeout(resolve, opts.closeTimeoutMs + 1000);
        const finish = () => {
          clearTimeout(guard);
          resolve();
        };
        try {
          client.close(finish);
        } catch {
          finish();
        }
      })),
  };
}

// `,` separates tags, `|` fields, `#` opens the tag list and `:` splits key from value; hot-shots
// lets `:` through in values, which some DogStatsD parsers then split on.
const TAG_VALUE_UNSAFE = /[,|#:@\r\n]/g;
const MAX_TAG_VALUE_LENGTH = 200;

export function sanitizeTagValue(value: string): string {
  return String(value).replace(TAG_VALUE_UNSAFE, '_').slice(0, MAX_TAG_VALUE_LENGTH);
}

function toTags(tags: MetricTags): Record<string, string> {
  const out: Record<string, string> = {};
  // Fixed order keeps the lines stable for anyone grepping a packet capture.
  for (const key of ['run_id', 'phase', 'repo', 'result'] as const) {
    const value = tags?.[key];
    if (value !== undefined && value !== null && value !== '') out[key] = sanitizeTagValue(value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Transport with backoff
// ---------------------------------------------------------------------------------------------

interface Connection {
  socket: dgram.Socket;
  connectedAt: number;
  inFlight: number;
}

/**
 * Sends datagrams from a connected UDP socket and decides when to stop trying.
 *
 * Failure signals: an ICMP port-unreachable for an earlier datagram, which the kernel reports on a
 * connected socket as ECONNREFUSED (to a later send's callback or as a `recvmsg` 'error' event); a
 * failed DNS lookup; a lookup or connect that exceeds `connectTimeoutMs`; any error hot-shots reports.
 * Success signal: sends keep completing without any of those for `recoveryConfirmMs`.
 *
 * No timers drive the state: windows are compared against the clock when a metric is emitted, so an
 * idle worker does no probing and the only probe after a window is the next real metric.
 */
class StatsdLink {
  private failures = 0;
  private blockedUntil = Number.NEGATIVE_INFINITY;
  /** When the current connection first completed a send; unset until then and after any failure. */
  private okSince: number | undefined;
  private dropped = 0;
  private conn: Connection | undefined;
  private connecting = false;
  /** A lookup occupies a libuv threadpool thread until it returns, however long the resolver hangs. */
  private resolving = false;
  private generation = 0;
  private pending: Buffer[] = [];
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly log: Logger,
    private readonly opts: Required<MetricsOptions>,
  ) {}

  /** True (and counted) while a backoff window is open. */
  dropping(now = this.opts.now()): boolean {
    if (now >= this.blockedUntil) return false;
    this.dropped++;
    return true;
  }

  send(datagram: Buffer): void {
    if (this.closed) return;
    const now = this.opts.now();
    if (this.dropping(now)) return;
    this.noteRecovery(now);
    if (this.conn && !net.isIP(this.host) && now - this.conn.connectedAt >= this.opts.dnsTtlMs) {
      this.dropConnection();
    }
    if (this.conn) {
      this.transmit(this.conn, datagram);
      return;
    }
    if (this.pending.length < this.opts.maxPendingDatagrams) this.pending.push(datagram);
    else this.dropped++;
    if (!this.connecting) this.connect();
  }

  reportError(err: unknown): void {
    this.fail(err);
  }

  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    // The last metrics of a shutting-down worker (typically run.finish) are still queued or in flight.
    await this.waitIdle(timeoutMs);
    this.closed = true;
    this.dropConnection();
    this.pending = [];
  }

  private connect(): void {
    // An abandoned lookup still holds a threadpool thread that fs and crypto work needs; starting
    // another one per window could starve the worker while the resolver hangs.
    if (this.resolving) return;
    const generation = ++this.generation;
    this.connecting = true;
    const timer = setTimeout(() => {
      if (generation === this.generation && this.connecting) {
        this.fail(new Error(`no connection to ${this.host}:${this.port} within ${this.opts.connectTimeoutMs} ms`));
      }
    }, this.opts.connectTimeoutMs);
    timer.unref();

    const onAddress = (err: unknown, address?: string, family?: number) => {
      if (generation !== this.generation || this.closed) return;
      if (err || !address) {
        clearTimeout(timer);
        this.fail(err ?? new Error(`no address for ${this.host}`));
        return;
      }
      let socket: dgram.Socket | undefined;
      try {
        const s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
        socket = s;
        // The socket must never keep the process alive, nor crash it with an unhandled 'error'.
        s.unref();
        s.on('error', (e) => {
          if (s === this.conn?.socket) this.fail(e);
        });
        s.connect(this.port, address, (connectErr?: Error) => {
          clearTimeout(timer);
          if (generation !== this.generation || this.closed) {
            closeQuietly(s);
            return;
          }
          if (connectErr) {
            closeQuietly(s);
            this.fail(connectErr);
            return;
          }
          const conn: Connection = { socket: s, connectedAt: this.opts.now(), inFlight: 0 };
          this.conn = conn;
          this.connecting = false;
          const queued = this.pending;
          this.pending = [];
          for (const datagram of queued) this.transmit(conn, datagram);
          this.notifyIfIdle();
        });
      } catch (e) {
        clearTimeout(timer);
        if (socket) closeQuietly(socket);
        this.fail(e);
      }
    };

    const family = net.isIP(this.host);
    if (family) {
      onAddress(null, this.host, family);
      return;
    }
    this.resolving = true;
    try {
      this.opts.lookup(this.host, (err, address, fam) => {
        this.resolving = false;
        onAddress(err, address, fam);
        this.notifyIfIdle();
      });
    } catch (e) {
      this.resolving = false;
      onAddress(e);
    }
  }

  private transmit(conn: Connection, datagram: Buffer): void {
    conn.inFlight++;
    try {
      conn.socket.send(datagram, (err) => {
        conn.inFlight--;
        if (conn === this.conn) {
          if (err) this.fail(err);
          else this.okSince ??= this.opts.now();
        }
        this.notifyIfIdle();
      });
    } catch (err) {
      conn.inFlight--;
      this.fail(err);
    }
  }

  private noteRecovery(now: number): void {
    if (this.failures > 0 && this.okSince !== undefined && now - this.okSince >= this.opts.recoveryConfirmMs) {
      this.log.info(
        { host: this.host, port: this.port, consecutiveFailures: this.failures, dropped: this.dropped },
        'StatsD reachable again; metrics resumed',
      );
      this.failures = 0;
      this.dropped = 0;
    }
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    const now = this.opts.now();
    // Errors from datagrams sent before the window opened belong to the failure that opened it.
    if (now < this.blockedUntil) return;
    // A connection that delivered without complaint for a while was healthy: this is a new outage,
    // not one more consecutive failure.
    if (this.okSince !== undefined && now - this.okSince >= this.opts.recoveryConfirmMs) this.failures = 0;
    this.failures++;
    const backoffMs = Math.min(this.opts.baseBackoffMs * 2 ** Math.min(this.failures - 1, 40), this.opts.maxBackoffMs);
    this.blockedUntil = now + backoffMs;
    this.okSince = undefined;
    this.dropped += this.pending.length;
    this.pending = [];
    // A fresh socket (and lookup) for the next probe follows a StatsD that moved to another address.
    this.dropConnection();
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    this.log.warn(
      { host: this.host, port: this.port, backoffMs, consecutiveFailures: this.failures, error: message, code },
      `StatsD unreachable (${message}); dropping metrics for ${backoffMs} ms`,
    );
    this.notifyIfIdle();
  }

  private dropConnection(): void {
    this.generation++;
    this.connecting = false;
    if (this.conn) closeQuietly(this.conn.socket);
    this.conn = undefined;
  }

  private isIdle(): boolean {
    return !this.connecting && this.pending.length === 0 && (this.conn?.inFlight ?? 0) === 0;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private waitIdle(timeoutMs: number): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.push(done);
    });
  }
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // Already closed.
  }
}
