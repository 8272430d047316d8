import type { AgentBackend } from '../../workflows/shared.js';
import type { AgentAdapter } from './adapter.js';
import { claudeAdapter } from './claude.js';
import { codexAdapter } from './codex.js';
import { geminiAdapter } from './gemini.js';
import { stubAdapter } from './stub.js';

export type { AgentAdapter, AgentCommand, AgentInvocation } from './adapter.js';

export const AGENT_ADAPTERS: Record<AgentBackend, AgentAdapter> = {
  codex_cli: codexAdapter,
  claude_code: claudeAdapter,
  gemini_cli: geminiAdapter,
  stub: stubAdapter,
};
