// Reading files of the cloned repository on the worker's host. The clone is untrusted input: a file
// may be a symlink to /proc/self/environ or to another run's workspace. Only regular files that
// really lie inside the clone are read.
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';

const MAX_BYTES = 5 * 1024 * 1024;

/** The file's text, or undefined when it does not exist; refuses links and paths leaving the clone. */
export function readRepoFile(repoDir: string, file: string): string | undefined {
  const absolute = path.resolve(repoDir, file);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(absolute);
  } catch {
    return undefined;
  }
  const root = fs.realpathSync(repoDir);
  const real = fs.realpathSync(absolute);
  if (stat.isSymbolicLink() || !stat.isFile() || !real.startsWith(root + path.sep)) {
    throw ApplicationFailure.create({
      type: 'UnsafeRepositoryPath',
      nonRetryable: true,
      message: `${path.relative(repoDir, absolute)} is not a regular file inside the repository (a symlink or special file); refusing to read it`,
    });
  }
  if (stat.size > MAX_BYTES) {
    throw ApplicationFailure.create({ type: 'UnsafeRepositoryPath', nonRetryable: true, message: `${path.relative(repoDir, absolute)} is larger than ${MAX_BYTES} bytes` });
  }
  return fs.readFileSync(real, 'utf8');
}

/** A feature directory as Spec Kit makes it: `specs/<one segment>`, nothing that could climb out. */
export const FEATURE_DIRECTORY = /^specs\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
