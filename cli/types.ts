// The API's response shapes, taken from the server's own zod schemas at compile time only (type
// imports are erased), so the CLI cannot drift from what the API returns nor load server code.
import type { z } from 'zod';
import type {
  ArtifactRefSchema,
  CancelAcceptedSchema,
  ListRunsResponseSchema,
  PhaseSchema,
  RunAcceptedSchema,
  RunDetailSchema,
  RunSummarySchema,
} from '../api/schemas.js';

export type RunAccepted = z.infer<typeof RunAcceptedSchema>;
export type RunSummary = z.infer<typeof RunSummarySchema>;
export type RunDetail = z.infer<typeof RunDetailSchema>;
export type ListRunsResponse = z.infer<typeof ListRunsResponseSchema>;
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;
export type PhaseRow = z.infer<typeof PhaseSchema>;
export type CancelAccepted = z.infer<typeof CancelAcceptedSchema>;
export type RunStatus = RunSummary['status'];

/** Where a command writes: injected so output goes to one place per stream. */
export interface Io {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Statuses after which a run never changes again. */
export const TERMINAL: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'no_changes'];

/** The phase rows a full run records, in order: what the progress display counts against. */
export const EXPECTED_PHASES = [
  'validate',
  'prepare_workspace',
  'start_container',
  'discover',
  'submit:specify',
  'submit:plan',
  'submit:tasks',
  'publish',
  'finalize',
] as const;
