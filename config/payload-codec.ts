// Payload encryption: an AES-256-GCM PayloadCodec that the clients (API, CLI, npm start) and the
// worker share, so workflow and activity inputs, results and failure details reach Temporal's
// history only as ciphertext. Keys come from SPEC_AUTOMATION_PAYLOAD_KEY (or, for `npm start`, a
// generated key kept under the data directory); each encrypted payload names the key that sealed it,
// so keys can rotate: the first key encrypts, every listed key decrypts.
//
// What the codec does not cover: search attributes (the server indexes them, so SpecRepository etc.
// stay readable) and failure messages/stack traces unless the data converter is also given a failure
// converter with `encodeCommonAttributes: true` (see createDataConverter).
//
// Runs outside the workflow sandbox only (node:crypto, node:fs): never import it from workflows/.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
// The SDK's own generated protobuf classes (a dependency of @temporalio/common): the whole payload,
// metadata included, is serialised and encrypted, so not even its encoding stays visible.
import proto from '@temporalio/proto';

const ProtoPayload = proto.temporal.api.common.v1.Payload;

/** Payload metadata written by the codec. */
export const ENCODING_ENCRYPTED = 'binary/encrypted';
export const METADATA_ENCODING = 'encoding';
export const METADATA_KEY_ID = 'encryption-key-id';

/** Where the key comes from, and where `npm start` keeps a generated one. */
export const PAYLOAD_KEY_ENV = 'SPEC_AUTOMATION_PAYLOAD_KEY';
export const LOCAL_KEY_FILE = 'payload-key';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// At most 32 characters, so a key pasted where its id belongs (base64 of 32 bytes is 43+) is never
// accepted as an id, and so never echoed in an error.
const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;
// Standard or URL-safe alphabet, padding optional (what `openssl rand -base64 32` and Buffer produce).
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const GENERATE_HINT = 'generate one with `openssl rand -base64 32`';

/**
 * The key ring: the active (encrypting) key and every key that may decrypt. Key material is held in a
 * private field, so logging, inspecting or JSON-serialising the ring shows key ids only.
 */
export class PayloadKeys {
  readonly #keys: Map<string, Buffer>;
  readonly activeKeyId: string;

  constructor(entries: ReadonlyArray<{ id: string; key: Uint8Array }>) {
    const first = entries[0];
    if (!first) throw new Error('payload keys: at least one key is required');
    this.#keys = new Map();
    for (const { id, key } of entries) {
      if (!KEY_ID.test(id)) throw new Error('payload keys: a key id must be 1-32 characters of A-Z a-z 0-9 . _ -');
      if (key.length !== KEY_BYTES) throw new Error(`payload keys: key "${id}" must be ${KEY_BYTES} bytes (got ${key.length})`);
      if (this.#keys.has(id)) throw new Error(`payload keys: key id "${id}" is listed twice`);
      this.#keys.set(id, Buffer.from(key));
    }
    this.activeKeyId = first.id;
  }

  /** Every key id, the active one first. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  /** The key for `id`, or undefined when the ring does not hold it. */
  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  toJSON() {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds };
  }

  [inspect.custom]() {
    return `PayloadKeys { activeKeyId: '${this.activeKeyId}', keyIds: [${this.keyIds.map((k) => `'${k}'`).join(', ')}] }`;
  }
}

/** The id of a key given without one: the first 8 hex characters of its SHA-256. */
export function deriveKeyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * Parses a key setting: either one base64 key (32 bytes once decoded; its id is derived from it) or a
 * comma-separated list `kid1:base64,kid2:base64` whose FIRST entry encrypts and whose others only
 * decrypt (rotation: put the new key first, keep the old ones after it until no history needs them).
 * An entry of the list may omit its `kid:` (the id is then derived). Errors name the entry and the
 * problem, never the key material. `source` names the setting in errors (env var or file).
 */
export function parsePayloadKeys(value: string, source = PAYLOAD_KEY_ENV): PayloadKeys {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error(`${source} is empty: expected a base64 AES-256 key or a list kid:base64,...; ${GENERATE_HINT}`);
  const keys = entries.map((entry, index) => {
    const where = entries.length > 1 ? `entry ${index + 1} of ${source}` : source;
    const colon = entry.indexOf(':');
    const id = colon >= 0 ? entry.slice(0, colon).trim() : undefined;
    const encoded = (colon >= 0 ? entry.slice(colon + 1) : entry).trim();
    if (id !== undefined && !KEY_ID.test(id)) {
      throw new Error(`${where}: the key id before ":" must be 1-32 characters of A-Z a-z 0-9 . _ -`);
    }
    const named = id ? `${where} (key id "${id}")` : where;
    if (!BASE64.test(encoded)) throw new Error(`${named} is not base64; ${GENERATE_HINT}`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new Error(`${named} must decode to ${KEY_BYTES} bytes for AES-256, but decodes to ${key.length}; ${GENERATE_HINT}`);
    }
    return { id: id ?? deriveKeyId(key), key };
  });
  const seen = new Set<string>();
  for (const { id } of keys) {
    if (seen.has(id)) throw new Error(`${source}: key id "${id}" is listed twice`);
    seen.add(id);
  }
  return new PayloadKeys(keys);
}

/** Why a payload could not be decoded; `code` is safe to show (API error codes), as is the message. */
export class PayloadCodecError extends Error {
  override readonly name = 'PayloadCodecError';
  constructor(
    readonly code: 'missing_key_id' | 'unknown_key_id' | 'malformed_payload' | 'decryption_failed',
    message: string,
  ) {
    super(message);
  }
}

function text(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : undefined;
}

/**
 * AES-256-GCM over the whole serialised payload. Encoded payload: metadata
 * `encoding: binary/encrypted` and `encryption-key-id: <kid>`; data `iv (12) | ciphertext | tag (16)`.
 * Decoding picks the key named in the metadata and passes through payloads it did not encrypt (so runs
 * started without the codec, e.g. a plain `temporal workflow start`, still work).
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keys.activeKeyId;
    const key = this.keys.key(keyId)!;
    return payloads.map((payload) => {
      const plaintext = ProtoPayload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING]: Buffer.from(ENCODING_ENCRYPTED),
          [METADATA_KEY_ID]: Buffer.from(keyId),
        },
        data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING]) !== ENCODING_ENCRYPTED) return payload;
      const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
      if (!keyId) throw new PayloadCodecError('missing_key_id', `an encrypted payload has no "${METADATA_KEY_ID}" metadata`);
      const key = this.keys.key(keyId);
      if (!key) {
        throw new PayloadCodecError(
          'unknown_key_id',
          `payload was encrypted with key id "${keyId.slice(0, 64)}", which is not configured (known: ${this.keys.keyIds.join(', ')}); add it to ${PAYLOAD_KEY_ENV} after the active key`,
        );
      }
      const data = payload.data ?? new Uint8Array();
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadCodecError('malformed_payload', 'an encrypted payload is too short to hold an IV and a tag');
      const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      let plaintext: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, IV_BYTES));
        decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
        plaintext = Buffer.concat([decipher.update(buf.subarray(IV_BYTES, buf.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new PayloadCodecError('decryption_failed', `payload failed authentication with key "${keyId}" (tampered, or sealed by another key with the same id)`);
      }
      try {
        return ProtoPayload.decode(plaintext);
      } catch {
        throw new PayloadCodecError('malformed_payload', 'a decrypted payload is not a serialised Temporal payload');
      }
    });
  }
}

export interface DataConverterOptions {
  /**
   * A module exporting `failureConverter` (e.g. `new DefaultFailureConverter({ encodeCommonAttributes: true })`)
   * so failure messages and stack traces are encoded too. It is bundled into the workflow sandbox, so it
   * must not import this file or any Node built-in.
   */
  failureConverterPath?: string;
}

/** The data converter for `new Client({ dataConverter })` and `Worker.create({ dataConverter })` alike. */
export function createDataConverter(keys: PayloadKeys, opts: DataConverterOptions = {}): DataConverter {
  return {
    payloadCodecs: [new AesGcmPayloadCodec(keys)],
    ...(opts.failureConverterPath ? { failureConverterPath: opts.failureConverterPath } : {}),
  };
}

/**
 * `npm start` without SPEC_AUTOMATION_PAYLOAD_KEY: reads `<dataDir>/payload-key`, or generates a
 * random key there (mode 0600, created exclusively so two starts cannot write different keys). The
 * file holds a value in SPEC_AUTOMATION_PAYLOAD_KEY's format, so an operator may put a key list in it.
 */
export function loadOrCreateLocalKey(dataDir: string): { key: string; file: string; created: boolean } {
  const file = path.resolve(dataDir, LOCAL_KEY_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let created = false;
  try {
    fs.writeFileSync(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = fs.statSync(file);
  if (!st.isFile()) throw new Error(`${file} is not a regular file`);
  if ((st.mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  const key = fs.readFileSync(file, 'utf8').trim();
  parsePayloadKeys(key, file); // a damaged file fails here, naming the file
  return { key, file, created };
}

export type ResolvedPayloadKeys =
  | { keys: PayloadKeys; source: 'env' }
  | { keys: PayloadKeys; source: 'file'; file: string; created: boolean };

/**
 * The keys a process uses: `value` (SPEC_AUTOMATION_PAYLOAD_KEY) when set; otherwise, when
 * `localKeyDir` is given (`npm start` only), the local key file; otherwise an error, because a worker
 * or API with a key of its own would write history that nothing else can read.
 */
export function resolvePayloadKeys(opts: { value?: string; localKeyDir?: string }): ResolvedPayloadKeys {
  if (opts.value && opts.value.trim()) return { keys: parsePayloadKeys(opts.value), source: 'env' };
  if (opts.localKeyDir) {
    const local = loadOrCreateLocalKey(opts.localKeyDir);
    return { keys: parsePayloadKeys(local.key, local.file), source: 'file', file: local.file, created: local.created };
  }
  throw new Error(`${PAYLOAD_KEY_ENV} is required: the same key (list) for the worker, the API and every client; ${GENERATE_HINT}`);
}
