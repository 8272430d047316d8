// Claude Code (`claude -p`), headless inside the job container as the non-root user.
import type { AgentAdapter, AgentInvocation } from './adapter.js';

export const claudeAdapter: AgentAdapter = {
  logName: 'submit-claude-job.log',
  command(inv: AgentInvocation) {
    const model = inv.model ?? inv.settings.agent.claude.model;
    const argv = [
      'claude', '-p', inv.prompt,
      // In -p mode anything not pre-approved is silently denied; the container is the boundary.
      '--permission-mode', 'bypassPermissions',
      '--output-format', 'stream-json', '--verbose',
      '--max-turns', '80',
      ...(model ? ['--model', model] : []),
    ];
    return {
      argv,
      env: {},
      directories: [],
      display: `claude -p <prompt: ${inv.step}, ${inv.prompt.length} chars> ${argv.slice(3).join(' ')}`,
    };
  },
};
