// /openapi.json, generated from the same zod schemas that validate requests.
import { z } from 'zod';
import {
  CancelAcceptedSchema,
  ErrorSchema,
  ListRunsQuerySchema,
  ListRunsResponseSchema,
  RunAcceptedSchema,
  RunDetailSchema,
  RunInputSchema,
} from './schemas.js';

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') => ({
  'application/json': { schema: z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) },
});
const error = (description: string) => ({ description, content: json(ErrorSchema) });
const runIdParam = { name: 'runId', in: 'path', required: true, schema: { type: 'string' }, description: 'The run id (= the Temporal workflow id).' };
const secured = [{ bearerAuth: [] }];

function queryParameters(schema: typeof ListRunsQuerySchema) {
  const js = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as { properties: Record<string, unknown> };
  return Object.entries(js.properties).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
}

export function buildOpenApiDocument() {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Spec Kit Automation API',
      version: '1.0.0',
      description: 'Start Spec Kit runs (specify, plan, tasks by a coding agent, delivered as a draft PR), follow them and download their artifacts. Each run is a Temporal workflow (SpecAutomationRun on task queue spec-automation).',
    },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A token from SPEC_AUTOMATION_API_TOKENS (not required when none is configured).' } },
    },
    paths: {
      '/healthz': { get: { summary: 'Liveness: the process is up', responses: { 200: { description: 'up' } } } },
      '/readyz': { get: { summary: 'Readiness: database and Temporal reachable', responses: { 200: { description: 'ready' }, 503: { description: 'a dependency is unavailable' } } } },
      '/api/spec-automation/runs': {
        post: {
          summary: 'Start a run',
          security: secured,
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 }, description: 'The same key returns the same run.' }],
          requestBody: { required: true, content: json(RunInputSchema, 'input') },
          responses: {
            202: { description: 'accepted; the run is queued', content: json(RunAcceptedSchema) },
            400: error('invalid body (the field is named)'),
            401: error('missing or invalid token'),
            403: error('the token may not act on this repository'),
            503: error('Temporal unavailable'),
          },
        },
        get: {
          summary: 'List runs, newest first (keyset pagination)',
          security: secured,
          parameters: queryParameters(ListRunsQuerySchema),
          responses: { 200: { description: 'a page of runs', content: json(ListRunsResponseSchema) }, 400: error('invalid query'), 401: error('missing or invalid token'), 403: error('repository not allowed') },
        },
      },
      '/api/spec-automation/runs/{runId}': {
        get: {
          summary: 'A run: metadata, phases, artifacts, agent configuration, links',
          security: secured,
          parameters: [runIdParam],
          responses: { 200: { description: 'the run', content: json(RunDetailSchema) }, 401: error('missing or invalid token'), 403: error('repository not allowed'), 404: error('unknown run') },
        },
      },
      '/api/spec-automation/runs/{runId}/artifacts/{artifactId}': {
        get: {
          summary: "Download an artifact (streams the file with Content-Type, Content-Length and Content-Disposition)",
          security: secured,
          parameters: [runIdParam, { name: 'artifactId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
          responses: {
            200: { description: 'the file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
            401: error('missing or invalid token'),
            403: error('repository not allowed, or a path outside the run'),
            404: error('unknown run or artifact'),
            410: error('the artifact expired'),
          },
        },
      },
      '/api/spec-automation/runs/{runId}/cancel': {
        post: {
          summary: 'Cancel a run (its workflow stops the agent and cleans up)',
          security: secured,
          parameters: [runIdParam],
          responses: { 202: { description: 'cancellation requested', content: json(CancelAcceptedSchema) }, 401: error('missing or invalid token'), 403: error('repository not allowed'), 404: error('unknown run'), 409: error('the run already ended') },
        },
      },
      '/codec/decode': {
        post: { summary: "Temporal remote codec: decode payloads (for the Web UI)", security: secured, responses: { 200: { description: 'decoded payloads' } } },
      },
    },
  };
}
