// Submit: one Spec Kit step (specify, plan or tasks) run by the selected agent CLI, headless, in the
// job container as the non-root user; then the step's output files are verified, not the exit code.
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../workflows/errors.js';
import { SPEC_KIT_STEPS, type SpecKitStep } from '../workflows/shared.js';
import { AGENT_ADAPTERS } from './agents/index.js';
import { ArtifactLog } from './artifacts.js';
import { lastLine } from './job-session.js';
import { openPhase, type PhaseDeps, type PhaseInput } from './phase.js';
import { mkdirForJob } from './workspace.js';
import { recordPhase } from './recording.js';
import { commandFilePath, renderSpecKitPrompt, verifyStepOutput } from './speckit.js';

/** The submit phase's combined log keeps the name operators know from the earlier design. */
export const SUBMIT_LOG = 'submit-codex-job.log';
export const stepLogName = (step: SpecKitStep) => `submit-${step}.log`;
export const isStepLog = (name: string) => SPEC_KIT_STEPS.some((step) => stepLogName(step) === name);

export interface SubmitStepInput extends PhaseInput {
  featureDirectory: string;
  step: SpecKitStep;
}

export function createSubmitActivities(deps: PhaseDeps) {
  const { settings } = deps;
  return {
    async runSpecKitStep(input: SubmitStepInput): Promise<{ step: SpecKitStep; files: string[]; artifacts: string[] }> {
      return recordPhase(deps, { runId: input.run.runId, repo: input.run.repository, phase: `submit:${input.step}`, artifactsOnFailure: [SUBMIT_LOG, stepLogName(input.step)] }, () => runStep(input));
    },
  };

  async function runStep(input: SubmitStepInput): Promise<{ step: SpecKitStep; files: string[]; artifacts: string[] }> {
      const { run, step, featureDirectory } = input;
      const { paths, log, credentials, session } = openPhase(deps, input, SUBMIT_LOG);
      const stepLog = new ArtifactLog(paths.artifacts, stepLogName(step), credentials.secretValues);
      const adapter = AGENT_ADAPTERS[run.agentBackend];
      try {
        const stepArguments = step === 'specify' ? run.featureDescription : step === 'plan' ? run.planGuidance : run.tasksGuidance;
        const commandFile = commandFilePath(paths.repo, run.agentBackend, step);
        if (!fs.existsSync(commandFile)) {
          throw ApplicationFailure.create({ type: ErrorType.CommandFailed, nonRetryable: true, message: `Spec Kit command file ${path.relative(paths.repo, commandFile)} is missing` });
        }
        const prompt = renderSpecKitPrompt(paths.repo, commandFile, { step, arguments: stepArguments, featureDirectory });
        stepLog.line(`# ${step} with ${run.agentBackend} — ${new Date().toISOString()}`);
        stepLog.line(`## Prompt (rendered from ${path.relative(paths.repo, commandFile)})`);
        stepLog.write(`${prompt}\n`);
        stepLog.line('## Agent output');

        const command = adapter.command({
          step,
          prompt,
          stepArguments,
          featureDescription: run.featureDescription,
          repoDir: paths.repo,
          homeDir: paths.home,
          featureDirectory,
          lastMessageFile: path.join(paths.home, `last-message-${step}.txt`),
          model: run.agentModel,
          settings,
        });
        for (const dir of command.directories) await mkdirForJob(dir, settings);

        log.line(`## ${step}`);
        const result = await session.run(command.argv, {
          workdir: paths.repo,
          env: { ...command.env, SPECIFY_FEATURE_DIRECTORY: featureDirectory },
          timeoutMs: settings.agent.timeoutSeconds * 1000,
          allowFailure: true,
          display: command.display,
          tee: stepLog.stream(),
        });
        const verification = verifyStepOutput(paths.repo, featureDirectory, step);
        const summary = `${step}: agent exit code ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}; output ${verification.ok ? 'verified' : `rejected: ${verification.problems.join('; ')}`}`;
        log.line(summary);
        stepLog.line(summary);
        if (result.exitCode !== 0) {
          throw ApplicationFailure.create({
            type: ErrorType.AgentFailed,
            message: `${run.agentBackend} ${step} exited with ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}: ${lastLine(result.stderr || result.stdout)}`,
            details: [{ step, exitCode: result.exitCode, log: stepLogName(step) }],
          });
        }
        if (!verification.ok) {
          throw ApplicationFailure.create({
            type: ErrorType.AgentOutputInvalid,
            message: `${run.agentBackend} ${step} exited 0 but its output is not usable: ${verification.problems.join('; ')}`,
            details: [{ step, problems: verification.problems, log: stepLogName(step) }],
          });
        }
        return { step, files: verification.files, artifacts: [SUBMIT_LOG, stepLogName(step)] };
      } catch (err) {
        log.line(`ERROR (${step}): ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      } finally {
        await stepLog.close();
        await log.close();
      }
  }
}
