// Spec Kit knowledge, for specify-cli 1.2.x: where each agent's command files live, how a command file
// becomes a headless prompt, how an existing tasks.md is read, and how a step's output is verified.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { AgentBackend, SpecKitStep } from '../workflows/shared.js';
import { readRepoFile } from './repo-files.js';

/** Spec Kit integration key per backend (`specify init --integration <key>`). */
export const INTEGRATION: Record<AgentBackend, string> = {
  codex_cli: 'codex',
  claude_code: 'claude',
  gemini_cli: 'gemini',
  // The stub needs no agent files, but an initialised repository looks like a codex one.
  stub: 'codex',
};

export function commandFilePath(repoDir: string, backend: AgentBackend, step: SpecKitStep): string {
  switch (INTEGRATION[backend]) {
    case 'claude':
      return path.join(repoDir, '.claude', 'skills', `speckit-${step}`, 'SKILL.md');
    case 'gemini':
      return path.join(repoDir, '.gemini', 'commands', `speckit.${step}.toml`);
    default:
      return path.join(repoDir, '.agents', 'skills', `speckit-${step}`, 'SKILL.md');
  }
}

export interface PromptContext {
  step: SpecKitStep;
  arguments: string;
  featureDirectory: string;
}

/**
 * Renders an installed Spec Kit command file into a prompt for a headless run: frontmatter stripped,
 * the argument placeholder substituted, and an instruction appended that the run is non-interactive
 * (Spec Kit's specify otherwise stops to ask up to three questions and waits for an answer).
 */
export function renderSpecKitPrompt(repoDir: string, commandFile: string, ctx: PromptContext): string {
  const raw = readRepoFile(repoDir, commandFile);
  if (raw === undefined) throw new Error(`${commandFile} is missing`);
  let body: string;
  if (commandFile.endsWith('.toml')) {
    const parsed = parseToml(raw) as { prompt?: unknown };
    if (typeof parsed.prompt !== 'string') throw new Error(`${commandFile} has no prompt`);
    body = parsed.prompt;
  } else {
    body = raw.replace(/^---\n[\s\S]*?\n---\n/, '');
  }
  const args = ctx.arguments.trim() || '(no additional guidance)';
  // Every occurrence: specify and tasks mention the placeholder more than once.
  body = body.split('$ARGUMENTS').join(args).split('{{args}}').join(args);
  return `${body.trim()}\n\n${nonInteractiveInstruction(ctx)}\n`;
}

export function nonInteractiveInstruction(ctx: PromptContext): string {
  return [
    '## Non-interactive run',
    '',
    'This is an unattended automation run: nobody will answer questions.',
    '- Never ask questions and never wait for a response. Where something is ambiguous, make an informed guess and record it in the Assumptions section of the spec.',
    '- Leave no `[NEEDS CLARIFICATION]` markers and no template placeholders in the files you write.',
    `- The feature directory is \`${ctx.featureDirectory}\` (also in the environment as SPECIFY_FEATURE_DIRECTORY). Use it; do not create another.`,
    '- The project constitution may be an unratified template: treat its gates as not applicable rather than stopping.',
    '- Do not create git branches or commits; the automation commits and publishes the result.',
    `- Finish the ${ctx.step} step completely before you stop.`,
  ].join('\n');
}

// ------------------------------------------------------------------ tasks.md

/** `- [ ] T001 [P] [US1] Description` (also `- [x]`), the line format Spec Kit's tasks step requires. */
export const TASK_LINE = /^- \[([ xX])\] (T\d{3,})((?: \[P\])?(?: \[US\d+\])?) (\S.*)$/;

export interface TaskLine {
  id: string;
  complete: boolean;
  parallel: boolean;
  story?: string;
  description: string;
  phase: string | null;
  line: number;
}

export function parseTasks(markdown: string): TaskLine[] {
  const tasks: TaskLine[] = [];
  let phase: string | null = null;
  markdown.split('\n').forEach((text, i) => {
    const heading = /^#{2,3} (.+)$/.exec(text);
    if (heading) {
      phase = heading[1]!.trim();
      return;
    }
    const m = TASK_LINE.exec(text);
    if (!m) return;
    tasks.push({
      id: m[2]!,
      complete: m[1] !== ' ',
      parallel: m[3]!.includes('[P]'),
      story: /\[(US\d+)\]/.exec(m[3]!)?.[1],
      description: m[4]!,
      phase,
      line: i + 1,
    });
  });
  return tasks;
}

// ------------------------------------------------------------------ verification

/** Tokens Spec Kit's templates carry until an agent replaces them. */
const COMMON_PLACEHOLDERS = [/\$ARGUMENTS/, /\{\{args\}\}/, /\[FEATURE NAME\]/, /\[FEATURE\]/, /\[###-feature(?:-name)?\]/, /\[DATE\]/, /\[[^\]\n]*\be\.g\.,[^\]\n]*\]/];
const SPEC_PLACEHOLDERS = [
  /\[(?:Brief Title|initial state|action|expected outcome|boundary condition|error scenario|specific action|specific value|Entity \d+)\]/,
  /\[(?:Describe|Explain|Measurable metric|User satisfaction metric|Business metric|Assumption about|Dependency on existing|specific capability|key interaction|data requirement|behavior|What it represents|Add more user stories)\b[^\]\n]*\]/,
  /\[NEEDS CLARIFICATION\b[^\]\n]*\]/,
];
const PLAN_PLACEHOLDERS = [/\[(?:Extract from feature spec|Gates determined|REMOVE IF UNUSED|Document the selected structure|same as backend|platform-specific structure)/];
const TASKS_PLACEHOLDERS = [/\bTXXX\b/, /\[(?:Brief description|How to verify|Add more user story phases)/];

/** Removes HTML comments (templates' guidance) and fenced code (which may show brackets legitimately). */
function prose(markdown: string): string {
  return markdown.replace(/<!--[\s\S]*?-->/g, '').replace(/^```[\s\S]*?^```/gm, '');
}

function findPlaceholders(text: string, patterns: RegExp[]): string[] {
  const found: string[] = [];
  for (const p of patterns) {
    const m = p.exec(text);
    if (m) found.push(m[0]);
  }
  return found;
}

export interface StepVerification {
  ok: boolean;
  problems: string[];
  files: string[];
}

/** Checks a step's output files rather than trusting the agent's exit code. */
export function verifyStepOutput(repoDir: string, featureDirectory: string, step: SpecKitStep): StepVerification {
  const dir = path.join(repoDir, featureDirectory);
  const file = path.join(dir, `${step === 'specify' ? 'spec' : step}.md`);
  const rel = path.relative(repoDir, file);
  const text = readRepoFile(repoDir, file);
  if (text === undefined) return { ok: false, problems: [`${rel} was not written`], files: [] };
  const problems: string[] = [];
  if (text.trim().length === 0) problems.push(`${rel} is empty`);
  if (step === 'specify') {
    const left = findPlaceholders(prose(text), [...COMMON_PLACEHOLDERS, ...SPEC_PLACEHOLDERS]);
    if (left.length) problems.push(`${rel} still has template placeholders: ${left.join(', ')}`);
  }
  if (step === 'plan') {
    const left = findPlaceholders(prose(text), [...COMMON_PLACEHOLDERS.slice(0, 6), ...PLAN_PLACEHOLDERS]);
    if (left.length) problems.push(`${rel} still has template placeholders: ${left.join(', ')}`);
  }
  if (step === 'tasks') {
    const tasks = parseTasks(text);
    if (tasks.length === 0) problems.push(`${rel} has no task lines (- [ ] T001 …)`);
    const left = findPlaceholders(text, TASKS_PLACEHOLDERS);
    if (left.length) problems.push(`${rel} still has template placeholders: ${left.join(', ')}`);
  }
  return { ok: problems.length === 0, problems, files: [rel] };
}

// ------------------------------------------------------------------ feature directory

const STOP_WORDS = new Set(['a', 'an', 'the', 'to', 'for', 'of', 'and', 'or', 'in', 'on', 'with', 'i', 'we', 'want', 'add', 'should', 'be', 'able', 'that', 'so', 'it', 'is', 'as', 'by', 'from', 'into', 'let', 'lets', 'users', 'user', 'can']);

/**
 * A 2–4 word short name for the feature plus a short hash of the whole description: deterministic
 * (a rerun of the same request finds its directory) and distinct for descriptions that merely start
 * alike or have no ASCII words.
 */
export function featureShortName(description: string): string {
  const words = description
    .toLowerCase()
    .replace(/[^a-z0-9\s-]/g, ' ')
    .split(/\s+/)
    .filter((w) => w && !STOP_WORDS.has(w));
  const picked = (words.length ? words : ['feature']).slice(0, 4).join('-').slice(0, 40).replace(/-+$/, '');
  const digest = createHash('sha256').update(description.trim()).digest('hex').slice(0, 6);
  return `${picked}-${digest}`;
}
