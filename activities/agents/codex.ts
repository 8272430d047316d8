// Codex CLI (`codex exec`), headless inside the job container.
import path from 'node:path';
import type { AgentAdapter, AgentInvocation } from './adapter.js';

export const codexAdapter: AgentAdapter = {
  logName: 'submit-codex-job.log',
  command(inv: AgentInvocation) {
    const codexHome = path.join(inv.homeDir, '.codex');
    const { baseUrl } = inv.settings.agent.codex;
    const model = inv.model ?? inv.settings.agent.codex.model;
    // A custom endpoint (a gateway, an Azure-style deployment, a test server) is declared as a
    // provider of its own that reads CODEX_API_KEY; Codex otherwise talks to OpenAI with that key.
    const provider = baseUrl
      ? [
          '-c', 'model_provider="spec_automation"',
          '-c', 'model_providers.spec_automation.name="Spec Kit Automation"',
          '-c', `model_providers.spec_automation.base_url=${JSON.stringify(baseUrl)}`,
          '-c', 'model_providers.spec_automation.env_key="CODEX_API_KEY"',
          '-c', 'model_providers.spec_automation.wire_api="responses"',
          '-c', 'model_providers.spec_automation.request_max_retries=2',
          '-c', 'model_providers.spec_automation.stream_max_retries=2',
        ]
      : [];
    const argv = [
      'codex', 'exec',
      '--json',
      '--color', 'never',
      '--ephemeral',
      '--strict-config',
      '--skip-git-repo-check',
      // The job container is the isolation boundary; Codex's own Linux sandbox cannot start inside it.
      '--dangerously-bypass-approvals-and-sandbox',
      '-C', inv.repoDir,
      '-o', inv.lastMessageFile,
      '-m', model,
      ...provider,
      '-c', 'check_for_update_on_startup=false',
      '-c', 'analytics.enabled=false',
      '-c', 'feedback.enabled=false',
      // No plugin sync, no endless reconnects when the endpoint is down, no login-shell snapshot.
      '--disable', 'plugins',
      '--disable', 'unbounded_connection_retries',
      '--disable', 'shell_snapshot',
      '--',
      inv.prompt,
    ];
    return {
      argv,
      env: { CODEX_HOME: codexHome, CODEX_MODEL: model },
      directories: [codexHome],
      display: `${argv.slice(0, -1).join(' ')} <prompt: ${inv.step}, ${inv.prompt.length} chars>`,
    };
  },
};
