// StatsD metrics against real UDP sockets on 127.0.0.1: the wire format, and what happens when StatsD
// is not there (closed port, unresolvable or hanging host): no throws, nothing awaited by callers, one
// warning per backoff window, and recovery when StatsD comes back.
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMetrics,
  metricsSettingsFromEnv,
  type Metrics,
  type MetricsLookup,
  type MetricsOptions,
  type MetricsSettings,
} from '../config/metrics.js';

interface LogRecord {
  level: number;
  time: number;
  msg: string;
  component?: string;
  backoffMs?: number;
  consecutiveFailures?: number;
  error?: string;
  code?: string;
}

const WARN = 40;
const INFO = 30;

function memoryLogger() {
  const records: LogRecord[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return {
    logger,
    records,
    warnings: () => records.filter((r) => r.level === WARN),
    infos: () => records.filter((r) => r.level === INFO),
  };
}

interface Listener {
  port: number;
  lines: string[];
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(port = 0): Promise<Listener> {
  const socket = dgram.createSocket('udp4');
  const lines: string[] = [];
  socket.on('message', (buf) => lines.push(...buf.toString('utf8').split('\n').filter(Boolean)));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  };
  cleanups.push(close);
  return { port: socket.address().port, lines, close };
}

/** A port nothing listens on: the kernel answers datagrams to it with ICMP port-unreachable. */
async function closedPort(): Promise<number> {
  const l = await listen();
  await l.close();
  return l.port;
}

function metrics(settings: Partial<MetricsSettings>, logger: pino.Logger, options?: MetricsOptions): Metrics {
  const m = createMetrics(
    { enabled: true, host: '127.0.0.1', port: 8125, namespace: 'spec_automation', ...settings },
    logger,
    options,
  );
  cleanups.push(() => m.close());
  return m;
}

async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 2000, everyMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Emits one metric every `everyMs` for `forMs`, as a busy worker would during an outage. */
async function emitFor(forMs: number, emit: () => unknown, everyMs = 5): Promise<void> {
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    expect(emit()).toBeUndefined();
    await sleep(everyMs);
  }
}

function parse(line: string) {
  const m = /^([^:|]+):([^|]+)\|([a-z]+)(?:\|#(.*))?$/.exec(line);
  if (!m) throw new Error(`not a DogStatsD line: ${line}`);
  const tags = Object.fromEntries(
    (m[4] ?? '')
      .split(',')
      .filter(Boolean)
      .map((t) => [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)]),
  );
  return { name: m[1], value: Number(m[2]), type: m[3], tags };
}

/**
 * Each window gets exactly one warning: failures count up by one, the window doubles from `base`
 * up to `max`, and (on the real clock) a warning never comes before the previous window has run out.
 */
function expectOneWarningPerWindow(warnings: LogRecord[], base: number, max: number, clock: 'real' | 'stepped' = 'real') {
  warnings.forEach((w, i) => {
    expect(w.component).toBe('metrics');
    expect(w.consecutiveFailures).toBe(i + 1);
    expect(w.backoffMs).toBe(Math.min(base * 2 ** i, max));
    expect(w.msg).toContain(`dropping metrics for ${w.backoffMs} ms`);
    expect(w.error).toBeTruthy();
    expect(w.msg).toContain(w.error);
    const previous = warnings[i - 1];
    // pino stamps whole milliseconds; the backoff runs on the monotonic clock.
    if (previous && clock === 'real') expect(w.time - previous.time).toBeGreaterThanOrEqual(previous.backoffMs! - 2);
  });
}

const TAGS = { run_id: 'run-1', repo: 'acme/widgets' };

describe('metricsSettingsFromEnv', () => {
  it('defaults to disabled, 127.0.0.1:8125, namespace spec_automation', () => {
    expect(metricsSettingsFromEnv({})).toEqual({ enabled: false, host: '127.0.0.1', port: 8125, namespace: 'spec_automation' });
  });

  it('reads the SPEC_WORKFLOW_METRICS_* variables, treating empty values as unset', () => {
    expect(
      metricsSettingsFromEnv({
        SPEC_WORKFLOW_METRICS_ENABLED: 'true',
        SPEC_WORKFLOW_METRICS_HOST: 'statsd.internal',
        SPEC_WORKFLOW_METRICS_PORT: '9125',
        SPEC_WORKFLOW_METRICS_NAMESPACE: 'acme.spec.',
      }),
    ).toEqual({ enabled: true, host: 'statsd.internal', port: 9125, namespace: 'acme.spec' });
    expect(metricsSettingsFromEnv({ SPEC_WORKFLOW_METRICS_PORT: '', SPEC_WORKFLOW_METRICS_ENABLED: '' })).toMatchObject({
      enabled: false,
      port: 8125,
    });
  });

  it.each(['abc', '0', '70000', '81.5', '-1'])('rejects SPEC_WORKFLOW_METRICS_PORT=%s naming the variable', (port) => {
    expect(() => metricsSettingsFromEnv({ SPEC_WORKFLOW_METRICS_PORT: port })).toThrow(
      /invalid metrics configuration: SPEC_WORKFLOW_METRICS_PORT must be an integer port between 1 and 65535/,
    );
  });

  it('rejects a bad flag and a namespace that would break the line format', () => {
    expect(() => metricsSettingsFromEnv({ SPEC_WORKFLOW_METRICS_ENABLED: 'maybe' })).toThrow(/SPEC_WORKFLOW_METRICS_ENABLED/);
    expect(() => metricsSettingsFromEnv({ SPEC_WORKFLOW_METRICS_NAMESPACE: 'a:b' })).toThrow(/SPEC_WORKFLOW_METRICS_NAMESPACE/);
  });
});

describe('metrics on a reachable StatsD', () => {
  it('sends each metric with the namespaced name, its type and its tags', async () => {
    const l = await listen();
    const log = memoryLogger();
    const m = metrics({ port: l.port }, log.logger);

    m.runStart(TAGS);
    m.phaseDuration(1234, { ...TAGS, phase: 'specify', result: 'succeeded' });
    m.phaseRetry({ ...TAGS, phase: 'plan' });
    m.cleanupDuration(56, { ...TAGS, result: 'succeeded' });
    m.runFinish({ ...TAGS, result: 'failed' });

    await waitFor('five datagrams', () => l.lines.length >= 5);
    expect(l.lines.map(parse)).toEqual(
      expect.arrayContaining([
        { name: 'spec_automation.run.start', value: 1, type: 'c', tags: { run_id: 'run-1', repo: 'acme/widgets' } },
        {
          name: 'spec_automation.phase.duration',
          value: 1234,
          type: 'ms',
          tags: { run_id: 'run-1', phase: 'specify', repo: 'acme/widgets', result: 'succeeded' },
        },
        { name: 'spec_automation.phase.retry', value: 1, type: 'c', tags: { run_id: 'run-1', phase: 'plan', repo: 'acme/widgets' } },
        {
          name: 'spec_automation.cleanup.duration',
          value: 56,
          type: 'ms',
          tags: { run_id: 'run-1', repo: 'acme/widgets', result: 'succeeded' },
        },
        { name: 'spec_automation.run.finish', value: 1, type: 'c', tags: { run_id: 'run-1', repo: 'acme/widgets', result: 'failed' } },
      ]),
    );
    expect(l.lines).toHaveLength(5);
    expect(l.lines[0]).toBe('spec_automation.run.start:1|c|#run_id:run-1,repo:acme/widgets');
    expect(log.warnings()).toEqual([]);
  });

  it('replaces , | # : in tag values so a value cannot forge tags or fields', async () => {
    const l = await listen();
    const m = metrics({ port: l.port }, memoryLogger().logger);
    m.runFinish({ run_id: 'r:1', repo: 'a,b|c#d', result: 'x@y\nz', phase: '' });
    const line = await waitFor('a datagram', () => l.lines[0]);
    expect(line).toBe('spec_automation.run.finish:1|c|#run_id:r_1,repo:a_b_c_d,result:x_y_z');
  });

  it('uses the namespace as a dotted prefix, or none when it is empty', async () => {
    const l = await listen();
    metrics({ port: l.port, namespace: 'acme.spec' }, memoryLogger().logger).runStart(TAGS);
    metrics({ port: l.port, namespace: '' }, memoryLogger().logger).runStart(TAGS);
    await waitFor('two datagrams', () => l.lines.length >= 2);
    expect(l.lines.map((x) => parse(x).name).sort()).toEqual(['acme.spec.run.start', 'run.start']);
  });

  it('drops durations that are not numbers and sends nothing after close', async () => {
    const l = await listen();
    const m = metrics({ port: l.port }, memoryLogger().logger);
    m.phaseDuration(Number.NaN, TAGS);
    m.cleanupDuration(Number.POSITIVE_INFINITY, TAGS);
    m.runStart(TAGS);
    // close() lets the queued run.start out before releasing the socket.
    await m.close();
    expect(m.close()).toBe(m.close());
    m.runFinish(TAGS);
    await sleep(50);
    expect(l.lines).toEqual(['spec_automation.run.start:1|c|#run_id:run-1,repo:acme/widgets']);
  });

  it('re-resolves a host name after dnsTtlMs', async () => {
    const l = await listen();
    let clock = 0;
    let lookups = 0;
    const lookup: MetricsLookup = (_host, cb) => {
      lookups++;
      setImmediate(() => cb(null, '127.0.0.1', 4));
    };
    const m = metrics({ host: 'statsd.test', port: l.port }, memoryLogger().logger, { lookup, dnsTtlMs: 1000, now: () => clock });
    m.runStart(TAGS);
    m.runStart(TAGS);
    await waitFor('two datagrams', () => l.lines.length >= 2);
    expect(lookups).toBe(1);
    clock += 1000;
    m.runFinish(TAGS);
    await waitFor('a third datagram', () => l.lines.length >= 3);
    expect(lookups).toBe(2);
  });

  it('is a no-op when disabled', async () => {
    const l = await listen();
    const m = createMetrics({ enabled: false, host: '127.0.0.1', port: l.port, namespace: 'x' }, memoryLogger().logger);
    expect(m.runStart(TAGS)).toBeUndefined();
    expect(m.phaseDuration(1, TAGS)).toBeUndefined();
    await m.close();
    await sleep(30);
    expect(l.lines).toEqual([]);
  });
});

describe('metrics when StatsD is unreachable', () => {
  it('port closed: calls stay synchronous, one warning per doubling window, recovery when the port opens again', async () => {
    const port = await closedPort();
    const log = memoryLogger();
    const base = 50;
    const max = 200;
    // A generous confirmation period keeps a slow event loop from mistaking a probe for recovery.
    const m = metrics({ port }, log.logger, { baseBackoffMs: base, maxBackoffMs: max, recoveryConfirmMs: 200 });

    // Fire-and-forget by construction: every call returns undefined (nothing to await), and the whole
    // loop finishes before any network event could have been observed.
    for (let i = 0; i < 200; i++) {
      expect(m.runStart({ run_id: `run-${i}` })).toBeUndefined();
      expect(m.phaseDuration(i, { run_id: `run-${i}`, phase: 'plan' })).toBeUndefined();
    }
    expect(log.records).toEqual([]);

    await waitFor('the first warning', () => log.warnings().length === 1);
    // Windows only open on a send, and nothing is sent without an emit: still one warning.
    await sleep(100);
    expect(log.warnings()).toHaveLength(1);
    expect(log.warnings()[0]).toMatchObject({ backoffMs: base, consecutiveFailures: 1, code: 'ECONNREFUSED' });

    await emitFor(900, () => m.runStart(TAGS));
    const warnings = log.warnings();
    // 50 + 100 + 200 ms of windows fit in 900 ms with room to spare.
    expect(warnings.length).toBeGreaterThanOrEqual(4);
    expectOneWarningPerWindow(warnings, base, max);

    // StatsD comes back on the same port: metrics flow again once the current window runs out.
    const back = await listen(port);
    await waitFor(
      'a metric after StatsD came back',
      () => {
        m.runFinish({ run_id: 'after', result: 'succeeded' });
        return back.lines.some((x) => x.includes('run_id:after'));
      },
      max + 2000,
      10,
    );
    await waitFor(
      'the recovery record',
      () => {
        m.runStart({ run_id: 'after' });
        return log.infos().find((r) => r.msg === 'StatsD reachable again; metrics resumed');
      },
      2000,
      10,
    );
    const failuresDuringOutage = log.warnings().length;

    // The backoff was reset: the next outage starts again at the base window.
    await back.close();
    await waitFor(
      'a warning for the second outage',
      () => {
        m.runStart(TAGS);
        return log.warnings().length > failuresDuringOutage;
      },
      2000,
      5,
    );
    expect(log.warnings().at(-1)).toMatchObject({ backoffMs: base, consecutiveFailures: 1 });
  });

  it('port closed, stepped clock: windows double up to the cap, drop in between, and reset after recovery', async () => {
    const port = await closedPort();
    const log = memoryLogger();
    let clock = 0;
    const m = metrics({ port }, log.logger, { baseBackoffMs: 50, maxBackoffMs: 400, recoveryConfirmMs: 50, now: () => clock });

    m.runStart(TAGS);
    await waitFor('warning 1', () => log.warnings().length === 1);
    for (const window of [50, 100, 200, 400, 400]) {
      const seen = log.warnings().length;
      expect(log.warnings().at(-1)?.backoffMs).toBe(window);
      clock += window - 1;
      m.runStart(TAGS);
      await sleep(20);
      expect(log.warnings()).toHaveLength(seen);
      clock += 1;
      m.runStart(TAGS);
      await waitFor(`warning ${seen + 1}`, () => log.warnings().length === seen + 1);
    }
    expectOneWarningPerWindow(log.warnings(), 50, 400, 'stepped');

    const back = await listen(port);
    clock += 400;
    m.runStart({ run_id: 'back' });
    await waitFor('the probe to arrive', () => back.lines.some((x) => x.includes('run_id:back')));
    clock += 50;
    m.runStart({ run_id: 'confirmed' });
    expect(log.infos().at(-1)).toMatchObject({ msg: 'StatsD reachable again; metrics resumed', consecutiveFailures: 6 });
    await waitFor('the next metric', () => back.lines.some((x) => x.includes('run_id:confirmed')));

    await back.close();
    const seen = log.warnings().length;
    clock += 1;
    m.runStart(TAGS);
    m.runStart(TAGS);
    await waitFor('a warning for the new outage', () => log.warnings().length === seen + 1);
    expect(log.warnings().at(-1)).toMatchObject({ backoffMs: 50, consecutiveFailures: 1 });
  });

  it('host unresolvable (metrics.invalid): no throw, one lookup and one warning per window', async () => {
    const log = memoryLogger();
    let lookups = 0;
    // Fails the way dns.lookup does for metrics.invalid, without sending a query off this machine.
    const lookup: MetricsLookup = (host, cb) => {
      lookups++;
      setImmediate(() =>
        cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: host })),
      );
    };
    const m = metrics({ host: 'metrics.invalid' }, log.logger, { baseBackoffMs: 50, maxBackoffMs: 200, recoveryConfirmMs: 200, lookup });

    for (let i = 0; i < 200; i++) expect(m.runFinish({ run_id: `run-${i}`, result: 'succeeded' })).toBeUndefined();
    // One lookup in flight for all of them, none of it waited for by the caller.
    expect(lookups).toBe(1);
    expect(log.records).toEqual([]);

    await waitFor('the first warning', () => log.warnings().length === 1);
    expect(log.warnings()[0]).toMatchObject({ code: 'ENOTFOUND', error: 'getaddrinfo ENOTFOUND metrics.invalid', backoffMs: 50 });
    await sleep(100);
    expect(log.warnings()).toHaveLength(1);

    await emitFor(700, () => m.runStart(TAGS));
    const warnings = log.warnings();
    expect(warnings.length).toBeGreaterThanOrEqual(4);
    expectOneWarningPerWindow(warnings, 50, 200);
    expect(lookups).toBe(warnings.length);
  });

  it('a lookup that hangs: times out into a window and never stacks a second lookup on the threadpool', async () => {
    const log = memoryLogger();
    const hung: Array<Parameters<MetricsLookup>[1]> = [];
    const lookup: MetricsLookup = (_host, cb) => void hung.push(cb);
    const m = metrics({ host: 'statsd.test' }, log.logger, { baseBackoffMs: 50, maxBackoffMs: 200, connectTimeoutMs: 50, lookup });

    m.runStart(TAGS);
    await waitFor('the timeout warning', () => log.warnings().length === 1);
    expect(log.warnings()[0]!.msg).toContain('no connection to statsd.test:8125 within 50 ms');

    await emitFor(200, () => m.runStart(TAGS));
    expect(hung).toHaveLength(1);
    expect(log.warnings()).toHaveLength(1);

    // Once the resolver answers (late), the next window probes with a fresh lookup.
    hung[0]!(Object.assign(new Error('getaddrinfo EAI_AGAIN statsd.test'), { code: 'EAI_AGAIN' }));
    await waitFor('a second lookup', () => {
      m.runStart(TAGS);
      return hung.length === 2;
    });
  });
});
