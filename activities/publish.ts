// Publish: commit the Spec Kit output, push the run branch and open a draft pull request with the
// labels. Safe to retry: an existing commit is reused, a push of the same commit is a no-op, and an
// open pull request for the branch is found before one is created.
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { ErrorType } from '../workflows/errors.js';
import type { PublishResult } from '../workflows/shared.js';
import { writeArtifact } from './artifacts.js';
import { classifyGitHubError, createGitHubClient } from './github.js';
import { lastLine } from './job-session.js';
import { updateRun } from '../db/runs-repository.js';
import { openPhase, type PhaseDeps, type PhaseInput } from './phase.js';
import { recordPhase } from './recording.js';
import { readRepoFile } from './repo-files.js';
import { parseTasks } from './speckit.js';

export const PUBLISH_LOG = 'apply-and-publish.log';
export const DIFF_SUMMARY = 'diff-summary.txt';
export const COMMIT_STATUS = 'commit_status.env';
export const COMMIT_MESSAGE = 'chore(spec-kit): apply specify/plan/tasks';

export interface PublishInput extends PhaseInput {
  featureDirectory: string;
}

export function createPublishActivities(deps: PhaseDeps) {
  const { settings } = deps;
  return {
    async applyAndPublish(input: PublishInput): Promise<PublishResult & { artifacts: string[] }> {
      return recordPhase(deps, { runId: input.run.runId, repo: input.run.repository, phase: 'publish', artifactsOnFailure: [PUBLISH_LOG, DIFF_SUMMARY, COMMIT_STATUS] }, async () => {
        const result = await publish(input);
        await updateRun(deps.db, input.run.runId, { pullRequestUrl: result.pullRequestUrl ?? null });
        return result;
      });
    },
  };

  async function publish(input: PublishInput): Promise<PublishResult & { artifacts: string[] }> {
      const { run } = input;
      const { paths, log, session, credentials } = openPhase(deps, input, PUBLISH_LOG);
      const git = (...args: string[]) => session.run(['git', '-C', paths.repo, ...args]);
      const artifacts = [PUBLISH_LOG, DIFF_SUMMARY, COMMIT_STATUS];
      const writeStatus = (fields: Record<string, string | number>) =>
        writeArtifact(paths.artifacts, COMMIT_STATUS, Object.entries(fields).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', credentials.secretValues);
      try {
        // Only Spec Kit's own output is committed: the feature's directory, Spec Kit's files and the
        // agent command files it installed. Anything else the agent touched (say .github/workflows,
        // which would run with the repository's secrets) stays out of the commit.
        await git('add', '-A', '--', ...COMMITTED_PATHS.filter((p) => fs.existsSync(path.join(paths.repo, p))));
        const stray = (await git('status', '--porcelain', '--untracked-files=all')).stdout.split('\n').filter((l) => l && !/^[AMDR] /.test(l));
        if (stray.length) log.line(`Not committed (outside Spec Kit's paths):\n${stray.join('\n')}`);
        const pending = (await git('diff', '--cached', '--name-only')).stdout.trim();
        if (pending) await refuseSecretsInDiff(git, credentials.secretValues);
        const base = `origin/${run.baseBranch}`;
        const ahead = Number((await git('rev-list', '--count', `${base}..HEAD`)).stdout.trim());
        if (!pending && ahead === 0) {
          log.line('No changes against the base branch: nothing to commit, push or propose.');
          await writeArtifact(paths.artifacts, DIFF_SUMMARY, 'no changes\n', credentials.secretValues);
          await writeStatus({ changes_pushed: 0, branch: run.branchName, commit_sha: '' });
          return { outcome: 'no_changes', branchName: run.branchName, artifacts };
        }
        if (pending) {
          await git('commit', '--quiet', '--no-verify', '-m', COMMIT_MESSAGE);
        } else {
          // A retried attempt: the commit was made before; reuse it rather than adding another.
          log.line('The run branch already carries its commit (retried attempt): reusing it.');
        }
        const commitSha = (await git('rev-parse', 'HEAD')).stdout.trim();
        const stat = (await git('diff', '--stat', `${base}...HEAD`)).stdout;
        await writeArtifact(paths.artifacts, DIFF_SUMMARY, stat || 'no changes\n', credentials.secretValues);

        if (run.publishMode === 'local_only') {
          log.line(`${run.dryRun ? 'Dry run' : 'SPEC_WORKFLOW_TEST_MODE'}: committed ${commitSha} locally; nothing pushed, no pull request opened.`);
          await writeStatus({ changes_pushed: 0, branch: run.branchName, commit_sha: commitSha });
          return { outcome: 'committed_locally', commitSha, branchName: run.branchName, artifacts };
        }

        heartbeat({ step: 'push' });
        // Never move a branch this run did not create: an existing remote branch must already be ours.
        const remote = (await git('ls-remote', 'origin', `refs/heads/${run.branchName}`)).stdout.trim().split(/\s+/)[0];
        if (remote && remote !== commitSha) {
          throw ApplicationFailure.create({ type: ErrorType.PushRejected, nonRetryable: true, message: `branch ${run.branchName} already exists on the origin at ${remote.slice(0, 12)}; refusing to push to it` });
        }
        const push = await session.run(['git', '-C', paths.repo, 'push', '--porcelain', 'origin', `HEAD:refs/heads/${run.branchName}`], { allowFailure: true, timeoutMs: settings.git.timeoutSeconds * 1000 });
        if (push.exitCode !== 0) throw classifyPushFailure(run.branchName, push.stderr + push.stdout);

        heartbeat({ step: 'pull request' });
        const pr = await openDraftPullRequest(input, paths.repo, commitSha, credentials.env.GITHUB_TOKEN ?? '', (m) => log.line(m));
        await writeStatus({ changes_pushed: 1, branch: run.branchName, commit_sha: commitSha, pull_request_url: pr.url });
        return { outcome: 'published', commitSha, branchName: run.branchName, pullRequestUrl: pr.url, pullRequestNumber: pr.number, artifacts };
      } catch (err) {
        log.line(`ERROR: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      } finally {
        await log.close();
      }
  }

  async function openDraftPullRequest(input: PublishInput, repoDir: string, commitSha: string, token: string, log: (m: string) => void) {
    const { run } = input;
    const [owner, repo] = run.repositorySlug.split('/') as [string, string];
    const octokit = createGitHubClient(settings, token, log);
    const existing = await octokit.pulls
      .list({ owner, repo, head: `${owner}:${run.branchName}`, state: 'open', per_page: 10 })
      .catch((err: unknown) => {
        throw classifyGitHubError(err, `listing pull requests of ${run.repositorySlug}`);
      });
    let pr = existing.data[0];
    if (pr) {
      log(`Pull request #${pr.number} already exists for ${run.branchName} (retried attempt): reusing it.`);
    } else {
      const created = await octokit.pulls
        .create({
          owner,
          repo,
          title: `Spec Kit Automation – ${run.repositorySlug} – ${run.runIdShort}`,
          head: run.branchName,
          base: run.baseBranch,
          body: pullRequestBody(input, repoDir, commitSha),
          draft: true,
        })
        .catch((err: unknown) => {
          throw classifyGitHubError(err, `opening a pull request on ${run.repositorySlug}`);
        });
      pr = created.data as unknown as typeof pr;
      log(`Opened draft pull request #${created.data.number}: ${created.data.html_url}`);
    }
    if (run.labels.length) {
      await octokit.issues.addLabels({ owner, repo, issue_number: pr!.number, labels: run.labels }).catch((err: unknown) => {
        throw classifyGitHubError(err, `labelling pull request #${pr!.number}`);
      });
      log(`Labels: ${run.labels.join(', ')}`);
    }
    return { url: pr!.html_url, number: pr!.number };
  }

  function pullRequestBody(input: PublishInput, repoDir: string, commitSha: string): string {
    const { run, featureDirectory } = input;
    const read = (name: string) => readRepoFile(repoDir, path.join(featureDirectory, name)) ?? '';
    const spec = read('spec.md');
    const plan = read('plan.md');
    const tasks = parseTasks(read('tasks.md'));
    const title = /^# (.+)$/m.exec(spec)?.[1] ?? featureDirectory;
    const summary = /## Summary\s+([\s\S]*?)(?:\n## |$)/.exec(plan)?.[1]?.trim().slice(0, 800) ?? '';
    const stories = new Set(tasks.map((t) => t.story).filter(Boolean)).size;
    const runUrl = `${settings.publicUrl.replace(/\/+$/, '')}/api/spec-automation/runs/${encodeURIComponent(run.runId)}`;
    const uiUrl = settings.temporal.uiUrl
      ? `${settings.temporal.uiUrl.replace(/\/+$/, '')}/namespaces/${settings.temporal.namespace}/workflows/${encodeURIComponent(run.runId)}`
      : undefined;
    return [
      `Generated by Spec Kit Automation with \`${run.agentBackend}\` running \`/speckit.specify\`, \`/speckit.plan\` and \`/speckit.tasks\`.`,
      '',
      `- **Run**: [${run.runId}](${runUrl})${uiUrl ? ` · [Temporal history](${uiUrl})` : ''}`,
      `- **Feature directory**: \`${featureDirectory}\``,
      `- **Commit**: ${commitSha}`,
      '',
      '### Spec',
      title,
      '',
      '### Plan',
      summary || '_see plan.md_',
      '',
      '### Tasks',
      `${tasks.length} tasks (${tasks.filter((t) => !t.complete).length} open) across ${stories} user stor${stories === 1 ? 'y' : 'ies'}; ${tasks.filter((t) => t.parallel).length} can run in parallel.`,
      '',
      '> Feature request:',
      ...run.featureDescription.split('\n').map((l) => `> ${l}`),
    ].join('\n');
  }
}

/** Paths a run commits (relative to the repository root). */
const COMMITTED_PATHS = ['specs', '.specify', '.agents', '.claude', '.gemini'];

/** An agent that wrote a credential into a file must not get it pushed. */
async function refuseSecretsInDiff(git: (...args: string[]) => Promise<{ stdout: string }>, secrets: string[]): Promise<void> {
  const diff = (await git('diff', '--cached')).stdout;
  if (secrets.some((s) => s.length >= 6 && diff.includes(s))) {
    throw ApplicationFailure.create({ type: 'SecretInOutput', nonRetryable: true, message: 'the changes contain a credential value; nothing was committed or pushed' });
  }
}

function classifyPushFailure(branch: string, output: string): ApplicationFailure {
  const detail = lastLine(output);
  if (/Authentication failed|could not read Username|403|Permission denied|access denied/i.test(output)) {
    return ApplicationFailure.create({ type: ErrorType.AuthenticationRefused, nonRetryable: true, message: `push of ${branch} was refused: ${detail}` });
  }
  if (/\[rejected\]|\[remote rejected\]|rejected|pre-receive hook declined|non-fast-forward/i.test(output)) {
    return ApplicationFailure.create({ type: ErrorType.PushRejected, nonRetryable: true, message: `push of ${branch} was rejected: ${detail}` });
  }
  return ApplicationFailure.create({ type: ErrorType.CommandFailed, message: `push of ${branch} failed: ${detail}` });
}
