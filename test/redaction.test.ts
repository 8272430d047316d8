// The log sanitiser and the artifact redactor on their own: what a secret looks like after them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ArtifactLog } from '../activities/artifacts.js';
import { collectCredentials } from '../activities/credentials.js';
import { createLogger } from '../config/logger.js';
import { REDACTED, SecretRegistry, secretsFromEnvironment } from '../config/redact.js';
import type { ResolvedRun } from '../workflows/shared.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
      cb();
    },
  });
  return { lines, stream };
}

describe('log sanitiser', () => {
  it('replaces known secret values anywhere in a record and redacts sensitive keys, sparing PATH and HOME', () => {
    const secrets = new SecretRegistry();
    secrets.add('ghp_supersecretvalue123');
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info', destination: stream, secrets }).child({ runId: 'r1', note: 'bound ghp_supersecretvalue123' });
    log.info(
      { nested: { deeper: ['x ghp_supersecretvalue123 y'] }, apiKey: 'not-known-but-sensitive', Authorization: 'Bearer abc', sessionId: 's', PATH: '/usr/bin', HOME: '/home/x', containerId: 'c1' },
      'cloning with ghp_supersecretvalue123',
    );
    const rec = lines[0]!;
    expect(JSON.stringify(rec)).not.toContain('ghp_supersecretvalue123');
    expect(rec.msg).toBe(`cloning with ${REDACTED}`);
    expect(rec.note).toBe(`bound ${REDACTED}`);
    expect(rec.nested).toEqual({ deeper: [`x ${REDACTED} y`] });
    expect(rec).toMatchObject({ apiKey: REDACTED, Authorization: REDACTED, sessionId: REDACTED, PATH: '/usr/bin', HOME: '/home/x', containerId: 'c1', runId: 'r1' });
  });

  it('learns the secrets of the environment, API tokens, payload keys and database passwords', () => {
    const found = secretsFromEnvironment({
      GITHUB_TOKEN: 'ghp_envtoken', SPEC_AUTOMATION_SECRET_X: 'sekrit-x', SPEC_AUTOMATION_API_TOKENS: 'tok-aaaaaaaaaaaaaaaa,tok-bbbbbbbbbbbbbbbb=acme/w',
      SPEC_AUTOMATION_PAYLOAD_KEY: 'k1:QUJDREVGR0g=', DATABASE_URL: 'postgres://u:p%40ss-word@h/db', PATH: '/bin',
    });
    expect(found).toEqual(expect.arrayContaining(['ghp_envtoken', 'sekrit-x', 'tok-aaaaaaaaaaaaaaaa', 'tok-bbbbbbbbbbbbbbbb', 'QUJDREVGR0g=', 'p@ss-word']));
    expect(found).not.toContain('/bin');
  });

  it('registers every injected credential of a run, so later log records are scrubbed of it', () => {
    const run = { runId: 'r', agentBackend: 'codex_cli', publishMode: 'push_and_pr' } as ResolvedRun;
    const creds = collectCredentials(run, { MY_DEPLOY_PASSWORD: 'runtime-secret-value' }, { GITHUB_TOKEN: 'ghp_from_env_1234', SPEC_WORKFLOW_GITHUB_TOKEN: 'ghp_override_5678', OPENAI_API_KEY: 'sk-openai-abcdef' });
    expect(creds.env).toMatchObject({ GITHUB_TOKEN: 'ghp_override_5678', GH_TOKEN: 'ghp_override_5678', CODEX_API_KEY: 'sk-openai-abcdef', MY_DEPLOY_PASSWORD: 'runtime-secret-value' });
    expect(creds.audit.entries.find((e) => e.key === 'GITHUB_TOKEN')).toMatchObject({ source: 'settings_override', from: 'SPEC_WORKFLOW_GITHUB_TOKEN', overrides: ['process_env'], value: REDACTED });
    expect(creds.audit.entries.find((e) => e.key === 'CODEX_API_KEY')).toMatchObject({ source: 'process_env', from: 'OPENAI_API_KEY' });
    const { lines, stream } = capture();
    createLogger({ level: 'info', destination: stream }).info(`agent said runtime-secret-value and sk-openai-abcdef`);
    expect(lines[0]!.msg).toBe(`agent said ${REDACTED} and ${REDACTED}`);
  });
});

describe('artifact redaction', () => {
  it('scrubs a secret even when it arrives split across two writes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'artifact-redaction-'));
    const log = new ArtifactLog(dir, 'x.log', ['split-secret-value']);
    log.write('first line has split-sec');
    log.write('ret-value inside\nsecond line\n');
    await log.close();
    expect(fs.readFileSync(path.join(dir, 'x.log'), 'utf8')).toBe(`first line has ${REDACTED} inside\nsecond line\n`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
