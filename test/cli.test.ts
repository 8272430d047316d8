// The operator CLI (bin/spec-automation.ts) as operators run it: a child process talking HTTP to the
// real API, backed by a real Temporal server, a worker and job containers; plus its live display on
// a (fake) terminal.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { createLogger } from '../config/logger.js';
import { createReporter } from '../cli/progress.js';
import type { PhaseRow, RunDetail } from '../cli/types.js';
import { serve } from './support/http.js';
import { Pipeline } from './support/pipeline.js';
import { waitFor } from './support/temporal.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const BIN = path.join(ROOT, 'bin', 'spec-automation.ts');
const QUEUE = 'cli-test';
const NINE = ['validate', 'prepare_workspace', 'start_container', 'discover', 'submit:specify', 'submit:plan', 'submit:tasks', 'publish', 'finalize'];
const SIX = ['discover-next-phase.log', 'submit-codex-job.log', 'apply-and-publish.log', 'diff-summary.txt', 'credential-audit.json', 'commit_status.env'];
const STACK = /\n\s+at /;
const logger = createLogger({ level: 'silent', pretty: false });

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Spawned {
  done: Promise<Exit>;
  /** Resolves once stdout has matched (bounded by the child's own timeout). */
  until(pattern: RegExp): Promise<void>;
  interrupt(): void;
}

/** Starts the real CLI as a child process; every child is killed after `timeoutMs` at the latest. */
function start(args: string[], timeoutMs = 240_000): Spawned {
  const env = { ...process.env };
  delete env.SPEC_AUTOMATION_API_URL;
  delete env.SPEC_AUTOMATION_API_TOKEN;
  const child = spawn(TSX, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve(): void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of [...waiters]) if (w.pattern.test(stdout)) w.resolve();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    done,
    until: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stdout)) return resolve();
        waiters.push({ pattern, resolve });
        void done.then(() => reject(new Error(`the CLI ended before its output matched ${pattern}:\n${stdout}\n${stderr}`)));
      }),
    interrupt: () => child.kill('SIGINT'),
  };
}

const cli = (args: string[], timeoutMs?: number) => start(args, timeoutMs).done;

describe('spec-automation CLI', () => {
  const p = new Pipeline();
  let base = '';
  let close: () => Promise<void>;
  let runId = '';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-automation-cli-'));
  const api = () => ['--api-url', base];

  beforeAll(async () => {
    await p.start({}, 'pglite');
    p.origins.create('acme/widgets');
    p.github.addRepo('acme', 'widgets');
    await p.startWorker(QUEUE);
    const app = createApp({ settings: p.settings, database: p.database.database, temporal: p.temporal.client, logger, tokens: [], taskQueue: QUEUE });
    ({ url: base, close } = await serve(app));
  });
  afterAll(async () => {
    await close?.();
    await p.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('`run --follow` of a stub-agent dry run prints each phase, the outcome and every artifact, and exits 0', async () => {
    const r = await cli(['run', ...api(), '--repo', 'acme/widgets', '--feature', 'Reserve widgets for customers', '--agent', 'stub', '--dry-run', '--follow']);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    for (const phase of NINE) expect(lines, phase).toContain(`phase ${phase}: succeeded`);
    // Phases are told in the order they ran.
    expect(NINE.map((ph) => lines.indexOf(`phase ${ph}: succeeded`))).toEqual([...NINE.map((ph) => lines.indexOf(`phase ${ph}: succeeded`))].sort((a, b) => a - b));
    expect(lines).toContain('status: succeeded');
    expect(r.stdout).toContain('pull request: none (dry run)');
    expect(r.stdout).toMatch(/^branch: \S+$/m);
    for (const name of SIX) expect(r.stdout).toMatch(new RegExp(`^  ${name.replace(/\./g, '\\.')}\\s+${base}/api/spec-automation/runs/[^/]+/artifacts/[0-9a-f-]{36}$`, 'm'));
    // The accepted status is told once, then each change.
    expect(lines.filter((l) => l === 'status: queued')).toEqual([]);
    // Not a terminal: plain lines only, no progress bar escape codes.
    expect(r.stdout).not.toContain('\x1b');
    runId = /^run ([0-9a-f-]{36}): queued$/m.exec(r.stdout)![1]!;
  });

  it('`status` shows the run with its phases, and `list` shows it (table and JSON)', async () => {
    const status = await cli(['status', runId, ...api()]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`run ${runId}`);
    expect(status.stdout).toContain('status: succeeded');
    for (const phase of NINE) expect(status.stdout).toMatch(new RegExp(`^${phase}\\s+1\\s+succeeded\\s`, 'm'));

    const json = await cli(['--json', 'status', runId, ...api()]);
    expect(JSON.parse(json.stdout)).toMatchObject({ runId, status: 'succeeded', dryRun: true });

    const list = await cli(['list', ...api(), '--repo', 'acme/widgets']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^RUN ID\s+STATUS\s+PHASE\s+REPOSITORY/);
    expect(list.stdout).toMatch(new RegExp(`^${runId}\\s+succeeded\\s+-\\s+acme/widgets\\s`, 'm'));

    const all = await cli(['list', ...api(), '--json', '--all', '--limit', '1', '--status', 'succeeded']);
    const items = JSON.parse(all.stdout).items as { runId: string; status: string }[];
    expect(items.map((i) => i.runId)).toContain(runId);
    expect(items.every((i) => i.status === 'succeeded')).toBe(true);

    const unknown = await cli(['status', 'no-such-run', ...api()]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('error: run_not_found: no run no-such-run\n');
  });

  it('`artifacts` lists them, `--get` downloads one verified (file or stdout), and refuses one whose bytes changed', async () => {
    const listing = await cli(['artifacts', runId, ...api()]);
    expect(listing.code).toBe(0);
    for (const name of [...SIX, 'submit-specify.log']) expect(listing.stdout).toContain(name);

    const file = path.join(tmp, 'commit_status.env');
    const got = await cli(['artifacts', runId, ...api(), '--get', 'commit_status.env', '-o', file]);
    expect(got.code, got.stderr).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain('changes_pushed=0');
    expect(got.stderr).toMatch(/sha256 [0-9a-f]{64} verified/);

    const toStdout = await cli(['artifacts', runId, ...api(), '--get', 'commit_status.env']);
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout).toBe(fs.readFileSync(file, 'utf8'));

    // Tamper with the stored file: the download no longer matches the recorded sha256.
    fs.appendFileSync(path.join(p.paths(runId).artifacts, 'diff-summary.txt'), 'tampered\n');
    const bad = path.join(tmp, 'diff-summary.txt');
    const mismatch = await cli(['artifacts', runId, ...api(), '--get', 'diff-summary.txt', '-o', bad]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/^error: checksum_mismatch: diff-summary\.txt: expected \d+ bytes with sha256 [0-9a-f]{64}, received \d+ bytes/);
    expect(fs.existsSync(bad)).toBe(false);
    expect(fs.readdirSync(tmp)).toEqual(['commit_status.env']);

    const missing = await cli(['artifacts', runId, ...api(), '--get', 'nope.txt']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: artifact_not_found: .*commit_status\.env/);
  });

  it('rejects bad input with a one-line error and exit 2, and an unreachable API with exit 3, never a stack trace', async () => {
    // A port that was free a moment ago: nothing answers there.
    const closedPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const cases: { args: string[]; code: number; error: RegExp }[] = [
      { args: ['run', ...api(), '--repo', 'acme/widgets', '--agent', 'stub'], code: 2, error: /^error: required option '--feature <description>' not specified$/ },
      { args: ['run', ...api(), '--repo', 'acme/widgets', '--feature', 'x', '--agent', 'claude_code', '--follow'], code: 2, error: /^error: invalid_request: agentBackend: "claude_code" is not allowed here \(SPEC_AUTOMATION_ALLOWED_AGENT_BACKENDS=codex_cli,stub\)$/ },
      { args: ['run', ...api(), '--repo', 'not a repo', '--feature', 'x', '--agent', 'stub'], code: 2, error: /^error: invalid_request: repository: / },
      { args: ['run', ...api(), '--repo', 'acme/widgets', '--feature', 'x', '--env', 'NOEQUALS'], code: 2, error: /^error: invalid_argument: --env: expected KEY=VALUE/ },
      { args: ['list', ...api(), '--status', 'sideways'], code: 2, error: /^error: invalid_request: status: / },
      { args: ['list', ...api(), '--limit', '0'], code: 2, error: /^error: option '--limit <n>' argument '0' is invalid/ },
      { args: ['cancel', runId, ...api()], code: 2, error: /^error: run_finished: / },
      { args: ['list', '--api-url', `http://127.0.0.1:${closedPort}`], code: 3, error: new RegExp(`^error: api_unreachable: cannot reach http://127\\.0\\.0\\.1:${closedPort}: ECONNREFUSED$`) },
    ];
    for (const c of cases) {
      const r = await cli(c.args);
      expect(r.code, c.args.join(' ')).toBe(c.code);
      expect(r.stderr.trimEnd().split('\n'), c.args.join(' ')).toHaveLength(1);
      expect(r.stderr.trimEnd(), c.args.join(' ')).toMatch(c.error);
      expect(r.stderr).not.toMatch(STACK);
    }
  });

  it('`run --follow` of a run that fails shows the failing phase and the error, and exits 1', async () => {
    const r = await cli(['run', ...api(), '--repo', 'acme/missing', '--feature', 'Anything', '--agent', 'stub', '--dry-run', '--follow']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^phase discover: failed: RepositoryNotFoundError: .*acme\/missing/m);
    expect(r.stdout).toContain('phase finalize: succeeded');
    expect(r.stdout).not.toContain('phase submit:specify');
    expect(r.stdout).toMatch(/^status: failed$/m);
    expect(r.stdout).toMatch(/^error: RepositoryNotFoundError: discover: .*acme\/missing was not found/m);
    expect(r.stdout).toMatch(/^  discover-next-phase\.log\s+http/m);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('Ctrl-C detaches with 130 and leaves the run going; `status --follow` reattaches and exits 1 once `cancel` ends it', async () => {
    const run = start(['run', ...api(), '--repo', 'acme/widgets', '--feature', 'Slow widgets', '--agent', 'stub', '--dry-run', '--env', 'SPEC_AUTOMATION_STUB_DELAY_SECONDS=300', '--follow']);
    await run.until(/^phase submit:specify: running$/m);
    run.interrupt();
    const detached = await run.done;
    expect(detached.code, detached.stdout + detached.stderr).toBe(130);
    const id = /^run ([0-9a-f-]{36}): queued$/m.exec(detached.stdout)![1]!;
    expect(detached.stderr).toContain(`interrupted: run ${id} keeps going`);
    expect(detached.stderr).not.toMatch(STACK);
    expect(JSON.parse((await cli(['status', id, ...api(), '--json'])).stdout).status).toBe('in_progress');

    const follower = start(['status', id, ...api(), '--follow', '--timeout', '180']);
    await follower.until(/^phase submit:specify: running$/m);
    const cancel = await cli(['cancel', id, ...api()]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain(`run ${id}: cancelling`);
    const ended = await follower.done;
    expect(ended.code, ended.stdout + ended.stderr).toBe(1);
    expect(ended.stdout).toMatch(/^phase submit:specify: failed/m);
    expect(ended.stdout).toMatch(/^status: cancelled$/m);
    expect((await cli(['status', id, ...api()])).code).toBe(1);
  });

  it('`--follow` gives up after --timeout seconds with exit 3, naming the run', async () => {
    const r = await cli(['run', ...api(), '--repo', 'acme/widgets', '--feature', 'Slower widgets', '--agent', 'stub', '--dry-run', '--env', 'SPEC_AUTOMATION_STUB_DELAY_SECONDS=300', '--follow', '--timeout', '3']);
    expect(r.code).toBe(3);
    const id = /^run ([0-9a-f-]{36}): queued$/m.exec(r.stdout)![1]!;
    expect(r.stderr).toMatch(new RegExp(`^error: follow_timeout: run ${id} is still \\w+ after 3 s`));
    // Leave nothing running behind.
    expect((await cli(['cancel', id, ...api()])).code).toBe(0);
    await waitFor(async () => JSON.parse((await cli(['status', id, ...api(), '--json'])).stdout).completedAt, 120_000, 'the cancelled run to end');
  });
});

describe('live display on a terminal', () => {
  const row = (phase: string, status: PhaseRow['status']): PhaseRow => ({ phase, status, attempt: 1, startedAt: null, completedAt: null, exitCode: null, metadata: {} });
  const snapshot = (status: RunDetail['status'], phases: PhaseRow[]) => ({ status, phases, currentPhase: phases.at(-1)?.phase ?? null }) as RunDetail;

  it('draws a progress bar with each phase line above it, and fills it when the run succeeds', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const reporter = createReporter(stream);
    reporter.update(snapshot('in_progress', [row('validate', 'running')]));
    reporter.update(snapshot('in_progress', [row('validate', 'succeeded'), row('prepare_workspace', 'running')]));
    reporter.stop(true);
    expect(out).toContain('phase validate: running\n');
    expect(out).toContain('phase validate: succeeded\n');
    expect(out).toContain('phase prepare_workspace: running\n');
    expect(out).toMatch(/1\/9 phases \| prepare_workspace/);
    expect(out).toMatch(/9\/9 phases \| done/);
  });

  it('without a terminal, tells each change once, as plain lines', () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const reporter = createReporter(stream);
    reporter.update(snapshot('queued', []));
    reporter.update(snapshot('in_progress', [row('validate', 'succeeded')]));
    reporter.update(snapshot('in_progress', [row('validate', 'succeeded'), { ...row('discover', 'failed'), metadata: { error: { type: 'Boom', message: 'it\nbroke' } } }]));
    reporter.update(snapshot('in_progress', [row('validate', 'succeeded'), row('discover', 'failed'), { ...row('discover', 'running'), attempt: 2 }]));
    reporter.stop(false);
    expect(out).toBe(['status: queued', 'status: in_progress', 'phase validate: succeeded', 'phase discover: failed: Boom: it broke', 'phase discover: running (attempt 2)', ''].join('\n'));
  });
});
