// The stub backend: deterministic, no model. Writes minimal Spec Kit-shaped files for smoke runs and
// fast tests. Refused unless SPEC_AUTOMATION_ALLOWED_AGENT_BACKENDS lists `stub`.
import type { AgentAdapter, AgentInvocation } from './adapter.js';

/**
 * A constant script; the step, directory and description arrive as positional arguments and are
 * only ever printed with `%s`, never interpreted. SPEC_AUTOMATION_STUB_DELAY_SECONDS (from the run's
 * runtimeEnvironment) makes it take a while, for cancellation and restart drills.
 */
const STUB_SCRIPT = `set -eu
step="$1"; dir="$2"; desc="$3"
title=$(printf '%s\\n' "$desc" | head -n 1)
sleep "\${SPEC_AUTOMATION_STUB_DELAY_SECONDS:-0}"
mkdir -p "$dir"
case "$step" in
specify)
  printf '# Feature Specification: %s\\n\\n**Status**: Draft\\n\\n**Input**: User description: "%s"\\n\\n## User Scenarios & Testing *(mandatory)*\\n\\n### User Story 1 - %s (Priority: P1)\\n\\nAs a user I can use the feature described above.\\n\\n**Acceptance Scenarios**:\\n\\n1. **Given** the feature is available, **When** a user uses it, **Then** it behaves as described.\\n\\n## Requirements *(mandatory)*\\n\\n- **FR-001**: System MUST provide: %s\\n\\n## Success Criteria *(mandatory)*\\n\\n- **SC-001**: The primary flow completes end to end.\\n\\n## Assumptions\\n\\n- Written by the deterministic stub agent; no model was consulted.\\n' "$title" "$desc" "$title" "$title" > "$dir/spec.md"
  ;;
plan)
  printf '# Implementation Plan: %s\\n\\n## Summary\\n\\nImplement the feature in the existing project structure.\\n\\n## Technical Context\\n\\n**Language/Version**: as used by the repository\\n\\n**Testing**: the repository test runner\\n\\n## Constitution Check\\n\\nNo ratified constitution; no gates apply.\\n' "$title" > "$dir/plan.md"
  ;;
tasks)
  printf '# Tasks: %s\\n\\n## Phase 1: Setup\\n\\n- [ ] T001 Create the module skeleton in src/feature.ts\\n\\n## Phase 3: User Story 1 (Priority: P1)\\n\\n- [ ] T002 [US1] Implement the primary flow in src/feature.ts\\n- [ ] T003 [P] [US1] Add tests in tests/feature.test.ts\\n' "$title" > "$dir/tasks.md"
  ;;
*) echo "stub agent: unknown step $step" >&2; exit 2 ;;
esac
echo "stub agent wrote $dir for step $step"
`;

export const stubAdapter: AgentAdapter = {
  logName: 'submit-stub-job.log',
  command(inv: AgentInvocation) {
    return {
      argv: ['sh', '-c', STUB_SCRIPT, 'stub-agent', inv.step, inv.featureDirectory, inv.featureDescription],
      env: {},
      directories: [],
      display: `stub-agent ${inv.step} ${inv.featureDirectory}`,
    };
  },
};
