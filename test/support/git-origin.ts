// Real git origins for the pipeline: bare repositories holding a small but realistic project, served
// to the job container by file:// URL (the worker mounts them at the same path).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' } }).trim();

export class GitOrigins {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-automation-origins-'));

  /** file:// base URL under which `owner/name` resolves to `owner/name.git`. */
  get baseUrl(): string {
    return `file://${this.root}`;
  }

  /** Creates `owner/name.git` with a TypeScript project on `main` (and anything in `extraFiles`). */
  create(slug: string, extraFiles: Record<string, string> = {}): string {
    const bare = path.join(this.root, `${slug}.git`);
    fs.mkdirSync(path.dirname(bare), { recursive: true });
    git(this.root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-automation-seed-'));
    git(work, 'init', '--quiet', '--initial-branch=main');
    const files: Record<string, string> = {
      'README.md': '# Widgets\n\nA small inventory service for widgets.\n',
      'package.json': JSON.stringify({ name: 'widgets', version: '1.0.0', type: 'module', scripts: { test: 'node --test' } }, null, 2) + '\n',
      'src/inventory.ts': 'export interface Widget { id: string; name: string; stock: number }\n\nexport function inStock(w: Widget): boolean {\n  return w.stock > 0;\n}\n',
      'src/server.ts': "import { createServer } from 'node:http';\n\ncreateServer((_req, res) => res.end('ok')).listen(8080);\n",
      'test/inventory.test.ts': "import { test } from 'node:test';\n\ntest('placeholder', () => {});\n",
      ...extraFiles,
    };
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(work, rel)), { recursive: true });
      fs.writeFileSync(path.join(work, rel), content);
    }
    git(work, 'add', '-A');
    git(work, 'commit', '--quiet', '-m', 'Initial widgets service');
    git(work, 'push', '--quiet', bare, 'main');
    fs.rmSync(work, { recursive: true, force: true });
    // The job container's user (another uid) pushes here.
    execFileSync('chmod', ['-R', 'a+rwX', this.root]);
    return bare;
  }

  /** Makes every push to the origin fail, like a protected branch or a server-side policy. */
  rejectPushes(slug: string): void {
    const hook = path.join(this.root, `${slug}.git`, 'hooks', 'pre-receive');
    fs.writeFileSync(hook, '#!/bin/sh\necho "pushes are blocked by policy" >&2\nexit 1\n', { mode: 0o755 });
  }

  /** Creates `branch` at main's tip, as a person or another tool might have. */
  branchFromMain(slug: string, branch: string): void {
    git(path.join(this.root, `${slug}.git`), 'branch', branch, 'main');
  }

  branches(slug: string): string[] {
    const out = git(path.join(this.root, `${slug}.git`), 'for-each-ref', '--format=%(refname:short)', 'refs/heads');
    return out ? out.split('\n') : [];
  }

  /** Commits on `branch` that are not on main, newest first. */
  commitsAhead(slug: string, branch: string): { sha: string; subject: string }[] {
    const out = git(path.join(this.root, `${slug}.git`), 'log', '--format=%H %s', `main..${branch}`);
    return out ? out.split('\n').map((l) => ({ sha: l.slice(0, 40), subject: l.slice(41) })) : [];
  }

  filesChanged(slug: string, branch: string): string[] {
    return git(path.join(this.root, `${slug}.git`), 'diff', '--name-only', `main...${branch}`).split('\n').filter(Boolean);
  }

  show(slug: string, branch: string, file: string): string {
    return git(path.join(this.root, `${slug}.git`), 'show', `${branch}:${file}`);
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
