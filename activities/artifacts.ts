// Artifact files under {run}/artifacts: written through the redactor, so no secret value reaches
// them, and described (size, sha256, content type) for the metadata the API serves.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { knownSecrets, redactText } from '../config/redact.js';

export interface ArtifactInfo {
  name: string;
  type: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
}

const TYPES: Record<string, { type: string; contentType: string }> = {
  '.log': { type: 'log', contentType: 'text/plain; charset=utf-8' },
  '.txt': { type: 'diff_summary', contentType: 'text/plain; charset=utf-8' },
  '.json': { type: 'json', contentType: 'application/json' },
  '.jsonl': { type: 'jsonl', contentType: 'application/x-ndjson' },
  '.env': { type: 'commit_status', contentType: 'text/plain; charset=utf-8' },
  '.md': { type: 'markdown', contentType: 'text/markdown; charset=utf-8' },
};

export async function describeArtifact(dir: string, name: string): Promise<ArtifactInfo> {
  const file = path.join(dir, name);
  const data = await fsp.readFile(file);
  const kind = TYPES[path.extname(name)] ?? { type: 'file', contentType: 'application/octet-stream' };
  return {
    name,
    type: name === 'credential-audit.json' ? 'credential_audit' : kind.type,
    contentType: kind.contentType,
    sizeBytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

/** What goes into an artifact: scrubbed of the run's secrets and every other secret this process knows. */
export function redactForArtifact(text: string, runSecrets: string[]): string {
  return redactText(text, [...runSecrets, ...knownSecrets.list()]);
}

export async function writeArtifact(dir: string, name: string, content: string, secrets: string[]): Promise<ArtifactInfo> {
  await fsp.writeFile(path.join(dir, name), redactForArtifact(content, secrets), { mode: 0o640 });
  return describeArtifact(dir, name);
}

/**
 * An append-only log artifact. Output is redacted line by line (a secret cannot be split across
 * two writes), and may be teed into further logs (one per step plus the phase's combined log).
 */
export class ArtifactLog {
  private readonly fd: number;
  private pending = '';
  private closed = false;

  constructor(
    readonly dir: string,
    readonly name: string,
    private readonly secrets: string[],
    private readonly tees: ArtifactLog[] = [],
  ) {
    this.fd = fs.openSync(path.join(dir, name), 'a', 0o640);
  }

  /** Writes whole lines now; keeps a trailing partial line until the next write or close. */
  write(text: string): void {
    const all = this.pending + text;
    const cut = all.lastIndexOf('\n');
    if (cut < 0) {
      this.pending = all;
      // A very long line without a newline is flushed anyway rather than held forever.
      if (this.pending.length < 64 * 1024) return;
      this.flush(this.pending);
      this.pending = '';
      return;
    }
    this.flush(all.slice(0, cut + 1));
    this.pending = all.slice(cut + 1);
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  /** A stream view (for exec output), optionally prefixing nothing: bytes pass through as text. */
  stream(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.write(chunk.toString('utf8'));
        cb();
      },
    });
  }

  async close(): Promise<ArtifactInfo> {
    if (!this.closed) {
      if (this.pending) this.flush(this.pending);
      this.pending = '';
      fs.closeSync(this.fd);
      this.closed = true;
    }
    return describeArtifact(this.dir, this.name);
  }

  redact(text: string): string {
    return redactForArtifact(text, this.secrets);
  }

  private flush(text: string): void {
    const safe = this.redact(text);
    fs.writeSync(this.fd, safe);
    for (const t of this.tees) t.write(safe);
  }
}
