// Downloads one artifact and checks it against the listing's size and sha256 before anyone sees it:
// to a file through a temporary sibling renamed into place, or to stdout once verified. A mismatch
// leaves nothing behind, so a corrupted or tampered artifact is never mistaken for the real one.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ApiClient } from './api-client.js';
import { CliError, EXIT } from './errors.js';
import type { ArtifactRef } from './types.js';

export interface Verified {
  bytes: number;
  sha256: string;
  /** Set when written to stdout: the verified content. */
  content?: Buffer;
}

export async function downloadVerified(client: ApiClient, runId: string, ref: ArtifactRef, outFile: string | undefined, timeoutMs: number): Promise<Verified> {
  const signal = AbortSignal.timeout(timeoutMs);
  const res = await client.download(runId, ref.id, signal);
  if (!res.body) throw new CliError('empty_response', `${ref.name}: the API sent no body`, EXIT.unavailable);
  const digest = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      digest.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  const chunks: Buffer[] = [];
  const temp = outFile ? path.join(path.dirname(outFile), `.${path.basename(outFile)}.${process.pid}.partial`) : undefined;
  const sink = temp
    ? fs.createWriteStream(temp, { flags: 'wx' })
    : new Writable({
        write(chunk: Buffer, _enc, cb) {
          chunks.push(chunk);
          cb();
        },
      });
  try {
    await pipeline(source, tap, sink);
  } catch (err) {
    if (temp) fs.rmSync(temp, { force: true });
    if (signal.aborted) throw new CliError('download_timeout', `${ref.name}: not downloaded within ${timeoutMs / 1000} s`, EXIT.unavailable);
    const e = err as NodeJS.ErrnoException;
    if (e.code && e.syscall) throw new CliError('write_failed', `${outFile}: ${e.code}`, EXIT.failed);
    throw new CliError('download_failed', `${ref.name}: ${e.message}`, EXIT.unavailable);
  }
  const sha256 = digest.digest('hex');
  if (sha256 !== ref.sha256 || bytes !== ref.sizeBytes) {
    if (temp) fs.rmSync(temp, { force: true });
    throw new CliError(
      'checksum_mismatch',
      `${ref.name}: expected ${ref.sizeBytes} bytes with sha256 ${ref.sha256}, received ${bytes} bytes with sha256 ${sha256}; nothing written`,
      EXIT.failed,
    );
  }
  if (temp && outFile) {
    fs.renameSync(temp, outFile);
    return { bytes, sha256 };
  }
  return { bytes, sha256, content: Buffer.concat(chunks) };
}
