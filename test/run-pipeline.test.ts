// Full runs against real components: Temporal, Docker, git origins, the real Codex CLI talking to a
// scripted model server, and a GitHub API server that holds every call to GitHub's OpenAPI description.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../config/settings.js';
import { getRunDetail } from '../db/runs-repository.js';
import { statusQuery } from '../workflows/shared.js';
import { CODEX_API_KEY, GITHUB_TOKEN, Pipeline, codexWritesSpecKitFiles } from './support/pipeline.js';
import { waitFor } from './support/temporal.js';

const SIX_ARTIFACTS = ['apply-and-publish.log', 'commit_status.env', 'credential-audit.json', 'diff-summary.txt', 'discover-next-phase.log', 'submit-codex-job.log'];
const QUEUE = 'pipeline';
const p = new Pipeline();

beforeAll(async () => {
  await p.start();
  p.origins.create('acme/widgets');
  p.github.addRepo('acme', 'widgets');
  await p.startWorker(QUEUE);
});
afterAll(() => p.stop());

async function failure(handle: { result(): Promise<unknown> }) {
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as Error & { type?: string };
}

describe('a run with codex_cli', () => {
  it('writes spec, plan and tasks with the real Codex CLI and opens a labelled draft PR on one pushed commit', async () => {
    // The agent also touches a CI workflow: only Spec Kit's paths may be committed.
    const [first, ...rest] = codexWritesSpecKitFiles();
    const stray = { shell: ['bash', '-c', 'mkdir -p .github/workflows && echo "on: push" > .github/workflows/exfiltrate.yml'] };
    p.model.setScript([{ tools: [...(first as { tools: object[] }).tools, stray] } as never, ...rest]);
    const handle = await p.startRun(QUEUE, { repository: 'acme/widgets', featureDescription: 'Let shop staff reserve widgets for a customer for 24 hours' });
    const result = await handle.result();

    expect(result.status).toBe('succeeded');
    expect(result.steps).toEqual({ specify: 'succeeded', plan: 'succeeded', tasks: 'succeeded' });
    expect(result.featureDirectory).toMatch(/^specs\/001-/);

    // The branch on the origin: exactly one commit on top of main, carrying the three files.
    const branch = result.branchName!;
    expect(branch).toMatch(/^spec_automation\/\d{8}\/[0-9a-f]{8}$/);
    const commits = p.origins.commitsAhead('acme/widgets', branch);
    expect(commits).toEqual([{ sha: result.commitSha, subject: 'chore(spec-kit): apply specify/plan/tasks' }]);
    const files = p.origins.filesChanged('acme/widgets', branch);
    for (const f of ['spec.md', 'plan.md', 'tasks.md']) expect(files).toContain(`${result.featureDirectory}/${f}`);
    expect(files).toContain('.specify/templates/spec-template.md');
    expect(files.filter((f) => f.startsWith('.github/'))).toEqual([]);
    expect(p.artifact(handle.workflowId, 'apply-and-publish.log')).toContain('.github/');
    expect(p.origins.show('acme/widgets', branch, `${result.featureDirectory}/tasks.md`)).toMatch(/- \[ \] T001/);

    // The draft PR, found on the GitHub server, with its labels, opened with the run's token.
    expect(p.github.violations).toEqual([]);
    expect(p.github.pulls).toHaveLength(1);
    const pr = p.github.pulls[0]!;
    expect(pr).toMatchObject({ draft: true, title: `Spec Kit Automation – acme/widgets – ${branch.split('/').at(-1)}`, head: { ref: branch }, base: { ref: 'main' } });
    expect(pr.labels.map((l) => l.name)).toEqual(['spec-kit', 'automation']);
    expect(pr.body).toContain(`/api/spec-automation/runs/${handle.workflowId}`);
    expect(pr.body).toMatch(/5 tasks \(5 open\)/);
    expect(result.pullRequestUrl).toBe(pr.html_url);
    expect(p.github.requests.every((r) => r.auth?.token === GITHUB_TOKEN)).toBe(true);

    // Codex really ran: three conversations, each opened with the rendered Spec Kit prompt.
    expect(p.model.requests).toHaveLength(6);
    expect(p.model.requests.every((r) => r.authorization === `Bearer ${CODEX_API_KEY}`)).toBe(true);
    const prompts = p.model.requests.filter((_, i) => i % 2 === 0).map((r) => r.userTexts.join('\n'));
    expect(prompts[0]).toContain('Let shop staff reserve widgets for a customer for 24 hours');
    expect(prompts[0]).toContain('Never ask questions');
    expect(prompts[1]).toContain('setup-plan.sh --json');
    expect(prompts[2]).toContain('setup-tasks.sh --json');

    expect(p.artifactNames(handle.workflowId)).toEqual(expect.arrayContaining(SIX_ARTIFACTS));
    expect(result.artifacts).toEqual(expect.arrayContaining(SIX_ARTIFACTS));
    expect(p.artifact(handle.workflowId, 'commit_status.env')).toContain('changes_pushed=1');
    expect(p.artifact(handle.workflowId, 'diff-summary.txt')).toMatch(/spec\.md/);
    expect(p.artifact(handle.workflowId, 'submit-codex-job.log')).toMatch(/"type":"turn.completed"/);
    const audit = JSON.parse(p.artifact(handle.workflowId, 'credential-audit.json'));
    expect(audit.entries.map((e: { key: string }) => e.key)).toEqual(['CODEX_API_KEY', 'GITHUB_TOKEN']);
    expect(JSON.stringify(audit)).not.toContain(GITHUB_TOKEN);
    expect(await p.leftovers(handle.workflowId)).toEqual({ containers: 0, repo: false, home: false });

    // The operator-facing record was written as the run went.
    const detail = (await getRunDetail(p.database.database.db, handle.workflowId))!;
    expect(detail.run).toMatchObject({ status: 'succeeded', repository: 'acme/widgets', branchName: branch, pullRequestUrl: pr.html_url, currentPhase: null });
    expect(detail.run.completedAt).toBeInstanceOf(Date);
    expect(detail.tasks.map((t) => `${t.phase}#${t.attempt}:${t.status}`)).toEqual([
      'validate#1:succeeded', 'prepare_workspace#1:succeeded', 'start_container#1:succeeded', 'discover#1:succeeded',
      'submit:specify#1:succeeded', 'submit:plan#1:succeeded', 'submit:tasks#1:succeeded', 'publish#1:succeeded', 'finalize#1:succeeded',
    ]);
    expect(detail.artifacts.map((a) => a.name)).toEqual(expect.arrayContaining(SIX_ARTIFACTS));
    expect(detail.agentConfiguration).toMatchObject({ agentBackend: 'codex_cli', agentVersion: '0.169.0', promptPackVersion: 'specify-cli 1.2.3' });
    expect(detail.credentialAudit?.entries).toEqual([
      { key: 'CODEX_API_KEY', source: 'process_env', from: 'CODEX_API_KEY', overrides: [] },
      { key: 'GITHUB_TOKEN', source: 'process_env', from: 'GITHUB_TOKEN', overrides: [] },
    ]);
  });

  it('ends no_changes, with no push and no PR, when the branch already holds the finished feature', async () => {
    const before = p.github.pulls.length;
    const baseBranch = p.origins.branches('acme/widgets').find((b) => b.startsWith('spec_automation/'))!;
    const handle = await p.startRun(QUEUE, { repository: 'acme/widgets', baseBranch, featureDescription: 'Let shop staff reserve widgets for a customer for 24 hours' });
    const result = await handle.result();
    expect(result.status).toBe('no_changes');
    expect(result.phases.submit.state).toBe('skipped');
    expect(p.github.pulls).toHaveLength(before);
    expect(p.origins.branches('acme/widgets')).not.toContain(result.branchName);
    expect(p.artifact(handle.workflowId, 'commit_status.env')).toContain('changes_pushed=0');
    expect(await p.leftovers(handle.workflowId)).toEqual({ containers: 0, repo: false, home: false });
  });

  it('fails in submit when the agent exits non-zero, and cleans up', async () => {
    p.model.setScript([], { httpError: 400, body: '{"error":{"message":"model refused the request"}}' });
    const handle = await p.startRun(QUEUE, { repository: 'acme/widgets', featureDescription: 'Export the inventory as CSV' });
    const cause = await failure(handle);
    expect(cause.message).toMatch(/run failed in submit: codex_cli specify exited with 1/);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ status: 'failed', error: { phase: 'submit', type: 'AgentFailedError' } });
    expect(status.phases.publish.state).toBe('skipped');
    expect(await p.leftovers(handle.workflowId)).toEqual({ containers: 0, repo: false, home: false });
  });

  it('fails in submit when the agent exits 0 but writes nothing', async () => {
    p.model.setScript([], { message: 'I would rather not.' });
    const handle = await p.startRun(QUEUE, { repository: 'acme/widgets', featureDescription: 'Show low-stock alerts' });
    const cause = await failure(handle);
    expect(cause.message).toMatch(/exited 0 but its output is not usable: specs\/\d{3}-[a-z0-9-]+\/spec\.md still has template placeholders/);
    expect((await handle.query(statusQuery)).error?.type).toBe('AgentOutputInvalidError');
    expect(await p.leftovers(handle.workflowId)).toEqual({ containers: 0, repo: false, home: false });
  });
});

describe('failure paths with the stub agent', () => {
  it('fails in discover, without retrying, when the repository does not exist', async () => {
    const handle = await p.startRun(QUEUE, { repository: 'acme/missing', featureDescription: 'Anything', agentBackend: 'stub' });
    const cause = await failure(handle);
    expect(cause.message).toMatch(/run failed in discover: repository acme\/missing was not found/);
    const status = await handle.query(statusQuery);
    expect(status.error?.type).toBe('RepositoryNotFoundError');
    expect(status.phases.discover.attempt).toBe(1);
    expect(p.artifact(handle.workflowId, 'discover-next-phase.log')).toMatch(/git clone/);
    expect(await p.leftovers(handle.workflowId)).toEqual({ containers: 0, repo: false, home: false });
  });

  it('fails in publish when the push is rejected', async () => {
    p.origins.create('acme/locked');
    p.origins.rejectPushes('acme/locked');
    p.github.addRepo('acme', 'locked');
    const handle = await p.startRun(QUEUE, { repository: 'acme/locked', featureDescription: 'Track widget suppliers', agentBackend: 'stub' });
    const cause = await failure(handle);
    expect(cause.message).toMatch(/run failed in publish: push of .* was rejected/);
    expect((await handle.query(statusQuery)).error?.type).toBe('PushRejectedError');
    expect(p.artifact(handle.workflowId, 'apply-and-publish.log')).toMatch(/pushes are blocked by policy/);
    expect(await p.leftovers(handle.workflowId)).toEqual({ containers: 0, repo: false, home: false });
  });

  it('refuses to push to a branch that already exists on the origin', async () => {
    p.origins.create('acme/taken');
    p.github.addRepo('acme', 'taken');
    const before = p.origins.commitsAhead('acme/taken', 'main');
    const handle = await p.startRun(QUEUE, { repository: 'acme/taken', featureDescription: 'Reuse a branch', agentBackend: 'stub', branchName: 'main-copy' });
    p.origins.branchFromMain('acme/taken', 'main-copy');
    const cause = await failure(handle);
    expect(cause.message).toMatch(/branch main-copy already exists on the origin/);
    expect(p.origins.commitsAhead('acme/taken', 'main-copy')).toEqual(before);
  });

  it('fails in publish when GitHub answers 422 to the pull request', async () => {
    p.github.failNextCreatePull(422);
    const before = p.github.pulls.length;
    const handle = await p.startRun(QUEUE, { repository: 'acme/widgets', featureDescription: 'Archive discontinued widgets', agentBackend: 'stub' });
    const cause = await failure(handle);
    expect(cause.message).toMatch(/run failed in publish: GitHub rejected opening a pull request on acme\/widgets \(422\)/);
    expect(p.github.pulls).toHaveLength(before);
    expect(p.github.requests.filter((r) => r.operationId === 'pulls/create' && r.status === 422)).toHaveLength(1);
    expect(await p.leftovers(handle.workflowId)).toEqual({ containers: 0, repo: false, home: false });
  });

  it('rejects invalid input at once, naming the field', async () => {
    const handle = await p.startRun(QUEUE, { repository: 'acme/widgets', featureDescription: '', dryRun: 'yes' } as never);
    const cause = await failure(handle);
    expect(cause.message).toMatch(/invalid run input: .*featureDescription: is required/);
    expect(cause.message).toMatch(/dryRun: /);
    expect((await handle.query(statusQuery)).phases.prepare_workspace.state).toBe('skipped');
  });

  it('refuses a backend that is not allowed', async () => {
    const handle = await p.startRun(QUEUE, { repository: 'acme/widgets', featureDescription: 'x', agentBackend: 'claude_code' });
    const cause = await failure(handle);
    expect(cause.message).toMatch(/agentBackend: "claude_code" is not allowed/);
  });
});

describe('dry runs, cancellation and restarts', () => {
  it('a dry run leaves the origin and GitHub untouched and still writes all six artifacts', async () => {
    const branchesBefore = p.origins.branches('acme/widgets');
    const requestsBefore = p.github.requests.length;
    // Any workflow id works as a run id, even one that is no valid file or container name.
    const handle = await p.startRun(QUEUE, { repository: 'acme/widgets', featureDescription: 'Bulk import widgets from a spreadsheet', agentBackend: 'stub', dryRun: true }, `dry run/../${Date.now()} ü`);
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.commitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(result.pullRequestUrl).toBeUndefined();
    expect(p.origins.branches('acme/widgets')).toEqual(branchesBefore);
    expect(p.github.requests.length).toBe(requestsBefore);
    expect(p.artifactNames(handle.workflowId)).toEqual(expect.arrayContaining(SIX_ARTIFACTS));
    expect(p.artifact(handle.workflowId, 'commit_status.env')).toMatch(/changes_pushed=0\nbranch=spec_automation\/\d{8}\/[0-9a-f]{8}\ncommit_sha=[0-9a-f]{40}/);
    expect(p.artifact(handle.workflowId, 'diff-summary.txt')).toMatch(/spec\.md/);
  });

  it('a cancellation during submit stops the agent within seconds and cleans up', async () => {
    const handle = await p.startRun(QUEUE, {
      repository: 'acme/widgets',
      featureDescription: 'Forecast widget demand',
      agentBackend: 'stub',
      runtimeEnvironment: { SPEC_AUTOMATION_STUB_DELAY_SECONDS: '300' },
    });
    await waitFor(async () => (await handle.query(statusQuery)).steps.specify === 'running', 90_000, 'the specify step to run');
    await new Promise((r) => setTimeout(r, 1500));
    const cancelledAt = Date.now();
    await handle.cancel();
    const cause = await failure(handle);
    expect(cause.name).toBe('CancelledFailure');
    expect(Date.now() - cancelledAt).toBeLessThan(20_000);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ status: 'cancelled', steps: { specify: 'cancelled' } });
    expect(status.phases.finalize.state).toBe('succeeded');
    expect(await p.leftovers(handle.workflowId)).toEqual({ containers: 0, repo: false, home: false });
  });

  it('a worker restarted during submit still completes the run with one PR and one commit', async () => {
    const queue = 'pipeline-restart';
    p.origins.create('acme/restart');
    p.github.addRepo('acme', 'restart');
    // No shutdown grace: the running agent step is cut off, as in a crash, and must be retried.
    const crashy = (s: Settings) => ({ ...s, worker: { ...s.worker, shutdownGraceSeconds: 0 }, agent: { ...s.agent, maxAttempts: 3 } });
    await p.startWorker(queue, crashy);
    const handle = await p.startRun(queue, {
      repository: 'acme/restart',
      featureDescription: 'Audit widget price changes',
      agentBackend: 'stub',
      runtimeEnvironment: { SPEC_AUTOMATION_STUB_DELAY_SECONDS: '6' },
    });
    await waitFor(async () => (await handle.query(statusQuery)).steps.plan === 'running', 90_000, 'the plan step to run');
    await new Promise((r) => setTimeout(r, 1000));
    await p.stopWorker(queue);
    await p.startWorker(queue, crashy);
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.phases.submit).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect(p.origins.commitsAhead('acme/restart', result.branchName!)).toHaveLength(1);
    expect(p.github.pulls.filter((pr) => pr.base.repo.full_name === 'acme/restart')).toHaveLength(1);
    // The cut-off attempt and its retry are two rows; nothing else was duplicated.
    const tasks = (await getRunDetail(p.database.database.db, handle.workflowId))!.tasks;
    const keys = tasks.map((t) => `${t.phase}#${t.attempt}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(tasks.filter((t) => t.phase === 'submit:plan').map((t) => [t.attempt, t.status])).toEqual([[1, 'failed'], [2, 'succeeded']]);
    expect(await p.leftovers(handle.workflowId)).toEqual({ containers: 0, repo: false, home: false });
  });
});
