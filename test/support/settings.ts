// Settings for a test file: its own workspace root under the system temp dir, removed afterwards.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadSettings, type Settings } from '../../config/settings.js';

export async function testSettings(overrides: Record<string, string> = {}): Promise<{ settings: Settings; cleanup: () => Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'spec-automation-test-'));
  await fs.chmod(root, 0o755);
  const settings = loadSettings({
    ...process.env,
    SPEC_AUTOMATION_DATA_DIR: path.join(root, 'data'),
    SPEC_AUTOMATION_WORKSPACE_ROOT: path.join(root, 'work'),
    // Test servers listen on 127.0.0.1, which a bridged container cannot reach.
    SPEC_AUTOMATION_JOB_NETWORK: 'host',
    SPEC_AUTOMATION_LOG_LEVEL: 'warn',
    ...overrides,
  });
  return { settings, cleanup: () => fs.rm(root, { recursive: true, force: true }) };
}
