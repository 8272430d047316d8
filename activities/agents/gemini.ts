// Gemini CLI (`gemini -p`), headless inside the job container.
import type { AgentAdapter, AgentInvocation } from './adapter.js';

export const geminiAdapter: AgentAdapter = {
  logName: 'submit-gemini-job.log',
  command(inv: AgentInvocation) {
    const model = inv.model ?? inv.settings.agent.gemini.model;
    const argv = ['gemini', '-p', inv.prompt, '--approval-mode', 'yolo', '--output-format', 'json', ...(model ? ['-m', model] : [])];
    return {
      argv,
      env: {},
      directories: [],
      display: `gemini -p <prompt: ${inv.step}, ${inv.prompt.length} chars> ${argv.slice(3).join(' ')}`,
    };
  },
};
