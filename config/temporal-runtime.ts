// Routes the Temporal SDK's own logs (worker, workflow `log`, activity context) into pino.
import { Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from './logger.js';
import type { Settings } from './settings.js';

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function installTemporalRuntime(logger: Logger, settings?: Settings): void {
  const sdk = logger.child({ component: 'temporal' });
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => sdk[levels[level]](meta ?? {}, message);
  Runtime.install({
    logger: {
      log,
      trace: (m, meta) => log('TRACE', m, meta),
      debug: (m, meta) => log('DEBUG', m, meta),
      info: (m, meta) => log('INFO', m, meta),
      warn: (m, meta) => log('WARN', m, meta),
      error: (m, meta) => log('ERROR', m, meta),
    },
    // The entry points order shutdown themselves: worker first (in-flight runs clean up), then the rest.
    shutdownSignals: [],
    // Temporal's own worker metrics (task slots, poll latency, ...) for Prometheus, when asked for.
    ...(settings?.temporalMetricsBind ? { telemetryOptions: { metrics: { prometheus: { bindAddress: settings.temporalMetricsBind } } } } : {}),
  });
}
