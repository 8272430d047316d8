// The worker's workflowsPath: every workflow type this service registers.
export { SpecAutomationRun } from './spec-automation-run.js';
