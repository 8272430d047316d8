// Keeps a long activity visibly alive and cancellable: heartbeats on an interval (cancellation only
// reaches an activity through heartbeats) and exposes the activity's AbortSignal.
import { Context } from '@temporalio/activity';

export async function withHeartbeats<T>(
  details: () => unknown,
  fn: (signal: AbortSignal) => Promise<T>,
  intervalMs = 1000,
): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat(details());
  const timer = setInterval(() => ctx.heartbeat(details()), intervalMs);
  try {
    return await fn(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
