// Discover: clone the repository at the base branch, create the run branch, initialise Spec Kit when
// needed, take stock of every existing tasks.md, and decide which of specify/plan/tasks must run.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { ErrorType } from '../workflows/errors.js';
import { SPEC_KIT_STEPS, type DiscoverResult, type SpecKitStep } from '../workflows/shared.js';
import { lastLine } from './job-session.js';
import { openPhase, type PhaseDeps, type PhaseInput } from './phase.js';
import { recordPhase } from './recording.js';
import { FEATURE_DIRECTORY, readRepoFile } from './repo-files.js';
import { commandFilePath, featureShortName, INTEGRATION, parseTasks, verifyStepOutput } from './speckit.js';

export const DISCOVER_LOG = 'discover-next-phase.log';

/**
 * git asks this helper for credentials: the token is read from the container's environment when
 * git needs it, so it never appears in a URL, an argv or a log. A constant: nothing is interpolated.
 */
const CREDENTIAL_HELPER = '!f() { test "$1" = get || exit 0; echo username=x-access-token; echo "password=${GITHUB_TOKEN}"; }; f';

export function createDiscoverActivities(deps: PhaseDeps) {
  return {
    async discoverNextPhase(input: PhaseInput): Promise<DiscoverResult & { artifacts: string[] }> {
      return recordPhase(deps, { runId: input.run.runId, repo: input.run.repository, phase: 'discover', artifactsOnFailure: [DISCOVER_LOG] }, () => discover(input));
    },
  };

  async function discover(input: PhaseInput): Promise<DiscoverResult & { artifacts: string[] }> {
      const { run } = input;
      const { paths, log, session, credentials } = openPhase(deps, input, DISCOVER_LOG);
      try {
        // The token goes only to the configured git host (github.com or the Enterprise host), never to
        // another host a run's repository URL might name.
        const gitHost = tokenHost(deps.settings.github.gitBaseUrl);
        if (credentials.env.GITHUB_TOKEN && gitHost) {
          await session.run(['git', 'config', '--global', `credential.${gitHost}.helper`, CREDENTIAL_HELPER], { display: `git config --global credential.${gitHost}.helper <token from environment>` });
        }
        for (const origin of run.originMounts) {
          // A local origin owned by another uid is refused by git's ownership check unless trusted.
          await session.run(['git', 'config', '--global', '--add', 'safe.directory', origin]);
        }

        // A retried attempt starts from a clean clone.
        await emptyDirectory(paths.repo);
        heartbeat({ step: 'clone' });
        const clone = await session.run(['git', 'clone', '--no-tags', '--branch', run.baseBranch, '--', run.cloneUrl, paths.repo], { allowFailure: true, timeoutMs: deps.settings.git.timeoutSeconds * 1000 });
        if (clone.exitCode !== 0) throw classifyCloneFailure(run.repository, run.baseBranch, clone.stderr);
        await session.run(['git', '-C', paths.repo, 'checkout', '-B', run.branchName]);

        const integration = INTEGRATION[run.agentBackend];
        const initialised = fs.existsSync(path.join(paths.repo, '.specify'));
        const hasCommands = SPEC_KIT_STEPS.every((s) => fs.existsSync(commandFilePath(paths.repo, run.agentBackend, s)));
        let specKitInitialised = false;
        if (!initialised || !hasCommands) {
          log.line(initialised ? `Spec Kit is initialised but has no ${integration} commands: adding them` : 'Spec Kit is not initialised: running specify init');
          heartbeat({ step: 'specify init' });
          await session.run(['specify', 'init', '--here', '--force', '--non-interactive', '--integration', integration, '--script', 'sh', '--ignore-agent-tools'], { workdir: paths.repo, timeoutMs: deps.settings.specifyInitTimeoutSeconds * 1000 });
          specKitInitialised = true;
        } else {
          log.line('Spec Kit is initialised (.specify/ present)');
        }

        const inventory = await readTaskInventory(paths.repo);
        log.line('');
        log.line(`## Task inventory: ${inventory.files.length} tasks.md file(s)`);
        for (const f of inventory.files) {
          log.line(`### ${f.file}: ${f.tasks.filter((t) => t.complete).length} complete, ${f.tasks.filter((t) => !t.complete).length} incomplete`);
          for (const t of f.tasks) {
            log.line(`- ${t.complete ? 'complete  ' : 'incomplete'} ${t.id}${t.parallel ? ' [P]' : ''}${t.story ? ` [${t.story}]` : ''} (phase: ${t.phase ?? 'none'}, line ${t.line}) ${t.description}`);
          }
        }

        const featureDirectory = await resolveFeatureDirectory(session, paths.repo, run.featureDescription);
        const steps = decideSteps(paths.repo, featureDirectory);
        log.line('');
        log.line(`## Decision for ${featureDirectory}`);
        for (const s of SPEC_KIT_STEPS) log.line(`- ${s}: ${steps.includes(s) ? 'run' : 'already complete, skip'}`);

        const all = inventory.files.flatMap((f) => f.tasks);
        return {
          featureDirectory,
          steps,
          specKitInitialised,
          tasks: { total: all.length, complete: all.filter((t) => t.complete).length, incomplete: all.filter((t) => !t.complete).length },
          artifacts: [DISCOVER_LOG],
        };
      } catch (err) {
        log.line(`ERROR: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      } finally {
        await log.close();
      }
  }
}

/** `https://host[:port]` of the git base URL, the only place the GitHub token is offered to. */
function tokenHost(gitBaseUrl: string): string | undefined {
  try {
    const u = new URL(gitBaseUrl);
    return u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

async function emptyDirectory(dir: string): Promise<void> {
  for (const entry of await fsp.readdir(dir)) await fsp.rm(path.join(dir, entry), { recursive: true, force: true });
}

function classifyCloneFailure(repository: string, baseBranch: string, stderr: string): ApplicationFailure {
  const detail = lastLine(stderr);
  if (/Remote branch .* not found|couldn't find remote ref/i.test(stderr)) {
    return ApplicationFailure.create({ type: ErrorType.RepositoryNotFound, nonRetryable: true, message: `base branch "${baseBranch}" does not exist in ${repository}: ${detail}` });
  }
  if (/repository .* not found|does not appear to be a git repository|not found|does not exist/i.test(stderr)) {
    return ApplicationFailure.create({ type: ErrorType.RepositoryNotFound, nonRetryable: true, message: `repository ${repository} was not found: ${detail}` });
  }
  if (/Authentication failed|could not read Username|terminal prompts disabled|403|Permission denied|access denied/i.test(stderr)) {
    return ApplicationFailure.create({ type: ErrorType.AuthenticationRefused, nonRetryable: true, message: `access to ${repository} was refused: ${detail}` });
  }
  return ApplicationFailure.create({ type: ErrorType.CommandFailed, message: `git clone of ${repository} failed: ${detail}` });
}

interface TaskFile {
  file: string;
  tasks: ReturnType<typeof parseTasks>;
}

/** Reads every specs/*\/tasks.md of the clone (on the host: the workspace is shared with the container). */
async function readTaskInventory(repoDir: string): Promise<{ files: TaskFile[] }> {
  const specs = path.join(repoDir, 'specs');
  if (!fs.existsSync(specs)) return { files: [] };
  const files: TaskFile[] = [];
  for (const dir of (await fsp.readdir(specs, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const file = path.join(specs, dir, 'tasks.md');
    const text = readRepoFile(repoDir, file);
    if (text !== undefined) files.push({ file: path.relative(repoDir, file), tasks: parseTasks(text) });
  }
  return { files };
}

/**
 * The feature's directory: an existing `specs/NNN-<short name>` for the same description (a rerun
 * continues where the last one stopped), else a new one made by Spec Kit's own create-new-feature.sh.
 */
async function resolveFeatureDirectory(session: ReturnType<typeof openPhase>['session'], repoDir: string, description: string): Promise<string> {
  const shortName = featureShortName(description);
  const specs = path.join(repoDir, 'specs');
  if (fs.existsSync(specs)) {
    const existing = (await fsp.readdir(specs)).filter((d) => d.replace(/^(\d{3,}|\d{8}-\d{6})-/, '') === shortName).sort();
    if (existing.length) return checkedFeatureDirectory(`specs/${existing.at(-1)}`);
  }
  const created = await session.run(['.specify/scripts/bash/create-new-feature.sh', '--json', '--short-name', shortName, description], {
    workdir: repoDir,
    display: `.specify/scripts/bash/create-new-feature.sh --json --short-name ${shortName} <feature description>`,
  });
  const json = JSON.parse(created.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1) ?? '{}') as { SPEC_FILE?: string };
  if (!json.SPEC_FILE) throw ApplicationFailure.create({ type: ErrorType.CommandFailed, message: 'create-new-feature.sh printed no SPEC_FILE' });
  return checkedFeatureDirectory(path.relative(repoDir, path.dirname(json.SPEC_FILE)));
}

/** The directory comes from a script of the (untrusted) repository: it must be one segment under specs/. */
function checkedFeatureDirectory(dir: string): string {
  if (!FEATURE_DIRECTORY.test(dir)) {
    throw ApplicationFailure.create({ type: 'UnsafeRepositoryPath', nonRetryable: true, message: `feature directory "${dir}" is not of the form specs/<name>` });
  }
  return dir;
}

/** A step runs when its output is missing or unfinished, and every step after a rerun step runs too. */
function decideSteps(repoDir: string, featureDirectory: string): SpecKitStep[] {
  const first = SPEC_KIT_STEPS.findIndex((s) => !verifyStepOutput(repoDir, featureDirectory, s).ok);
  return first < 0 ? [] : SPEC_KIT_STEPS.slice(first);
}
