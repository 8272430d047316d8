// The suite's view of the real Docker engine.
import Docker from 'dockerode';
import { RUN_ID_LABEL } from '../../activities/container.js';

export const docker = new Docker();

export async function containersOfRun(runId: string) {
  return docker.listContainers({ all: true, filters: { label: [`${RUN_ID_LABEL}=${runId}`] } });
}
