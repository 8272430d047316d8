// One place that turns settings into the payload encryption every Temporal client and worker of
// this service shares, plus the codec endpoints the API serves to the Web UI.
import type { DataConverter } from '@temporalio/common';
import { codecCors, codecOriginsForUiPort, createCodecRouter } from '../api/codec-routes.js';
import type { Logger } from './logger.js';
import { AesGcmPayloadCodec, createDataConverter, resolvePayloadKeys } from './payload-codec.js';
import type { Settings } from './settings.js';

export interface PayloadEncryption {
  dataConverter: DataConverter;
  /** Mounted by the API at /codec (CORS before auth: the Web UI's preflight carries no token). */
  codecEndpoints: { cors: ReturnType<typeof codecCors>; router: ReturnType<typeof createCodecRouter> };
}

/**
 * `allowLocalKey`: only `npm start` may fall back to a generated key kept under the data directory;
 * separate workers and APIs must share SPEC_AUTOMATION_PAYLOAD_KEY or they could not read each
 * other's history.
 */
export function payloadEncryption(settings: Settings, logger: Logger, { allowLocalKey }: { allowLocalKey: boolean }): PayloadEncryption {
  const resolved = resolvePayloadKeys({ value: settings.payloadKey, localKeyDir: allowLocalKey ? settings.dataDir : undefined });
  if (resolved.source === 'file') {
    // Field names avoid "key": the log sanitiser would (rightly) redact anything under such a name.
    logger.info({ storedIn: resolved.file, fingerprint: resolved.keys.activeKeyId }, `${resolved.created ? 'generated' : 'using'} the local payload encryption key in ${resolved.file} (SPEC_AUTOMATION_PAYLOAD_KEY unset)`);
  } else {
    logger.info({ fingerprint: resolved.keys.activeKeyId, decryptOnly: resolved.keys.keyIds.slice(1) }, 'payload encryption from SPEC_AUTOMATION_PAYLOAD_KEY');
  }
  const origins = settings.codecAllowedOrigins ?? codecOriginsForUiPort(settings.temporal.uiPort);
  return {
    dataConverter: createDataConverter(resolved.keys),
    codecEndpoints: {
      cors: codecCors(origins),
      router: createCodecRouter({ codec: new AesGcmPayloadCodec(resolved.keys), allowedOrigins: origins, basePath: '', onError: (err) => logger.error({ err }, 'codec endpoint failed') }),
    },
  };
}
