// GitHub's REST API through Octokit, with its retry (5xx, 429) and throttling (rate limits) plugins.
// The base URL is a setting: api.github.com, GitHub Enterprise's /api/v3, or a local server in tests.
import { ApplicationFailure } from '@temporalio/activity';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Settings } from '../config/settings.js';
import { ErrorType } from '../workflows/errors.js';

const GitHub = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof GitHub>;

export function createGitHubClient(settings: Settings, token: string, log: (message: string) => void): GitHubClient {
  return new GitHub({
    auth: token,
    baseUrl: settings.github.apiUrl.replace(/\/+$/, ''),
    userAgent: 'spec-kit-automation',
    // plugin-retry handles 5xx and 429 (never 4xx such as 422); `request.retries` would retry every status.
    retry: { retries: 3 },
    throttle: {
      enabled: settings.github.throttle,
      onRateLimit: (retryAfter, options, _octokit, retryCount) => {
        log(`GitHub rate limit on ${options.method} ${options.url}; retrying in ${retryAfter}s`);
        return retryCount < 2;
      },
      onSecondaryRateLimit: (retryAfter, options, _octokit, retryCount) => {
        log(`GitHub secondary rate limit on ${options.method} ${options.url}; retrying in ${retryAfter}s`);
        return retryCount < 2;
      },
    },
    log: { debug: () => {}, info: () => {}, warn: (m: string) => log(m), error: () => {} },
  });
}

/** Maps GitHub's answer to what retrying can or cannot fix. */
export function classifyGitHubError(err: unknown, what: string): ApplicationFailure {
  const status = typeof err === 'object' && err && 'status' in err ? Number((err as { status: unknown }).status) : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (status === 401 || status === 403) {
    return ApplicationFailure.create({ type: ErrorType.AuthenticationRefused, nonRetryable: true, message: `GitHub refused ${what} (${status}): ${message}` });
  }
  if (status === 404) {
    return ApplicationFailure.create({ type: ErrorType.RepositoryNotFound, nonRetryable: true, message: `GitHub has no such repository for ${what} (404): ${message}` });
  }
  if (status === 422) {
    return ApplicationFailure.create({ type: ErrorType.PullRequestRejected, nonRetryable: true, message: `GitHub rejected ${what} (422): ${message}` });
  }
  return ApplicationFailure.create({ type: 'GitHubApiError', message: `GitHub ${what} failed${status ? ` (${status})` : ''}: ${message}` });
}
