// What every agent backend provides: the argv (never a shell string) and extra environment that run
// one Spec Kit step headless inside the job container.
import type { Settings } from '../../config/settings.js';
import type { SpecKitStep } from '../../workflows/shared.js';

export interface AgentInvocation {
  step: SpecKitStep;
  prompt: string;
  /** The arguments given to the step (the feature description for specify). */
  stepArguments: string;
  featureDescription: string;
  repoDir: string;
  homeDir: string;
  featureDirectory: string;
  /** Where the agent may leave its final message. */
  lastMessageFile: string;
  model?: string;
  settings: Settings;
}

export interface AgentCommand {
  argv: string[];
  env: Record<string, string>;
  /** Directories (host paths under the workspace) that must exist before the command runs. */
  directories: string[];
  /** How the command appears in logs (prompts are long: they go to their own artifact). */
  display: string;
}

export interface AgentAdapter {
  /** Log name: `submit-codex-job.log` for the default backend. */
  readonly logName: string;
  command(inv: AgentInvocation): AgentCommand;
}
