// ApplicationFailure types. Those listed in NON_RETRYABLE_ERROR_TYPES describe what retrying cannot
// fix; the workflow lists them in its retry policies as a second line of defence.
export const ErrorType = {
  InvalidInput: 'InvalidInputError',
  AgentBackendNotAllowed: 'AgentBackendNotAllowedError',
  CredentialValidation: 'CredentialValidationError',
  RepositoryNotFound: 'RepositoryNotFoundError',
  AuthenticationRefused: 'AuthenticationRefusedError',
  JobImageMissing: 'JobImageMissingError',
  CommandFailed: 'JobCommandFailedError',
  AgentFailed: 'AgentFailedError',
  AgentOutputInvalid: 'AgentOutputInvalidError',
  PushRejected: 'PushRejectedError',
  PullRequestRejected: 'PullRequestRejectedError',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

export const NON_RETRYABLE_ERROR_TYPES: string[] = [
  ErrorType.InvalidInput,
  ErrorType.AgentBackendNotAllowed,
  ErrorType.CredentialValidation,
  ErrorType.RepositoryNotFound,
  ErrorType.AuthenticationRefused,
  ErrorType.JobImageMissing,
  ErrorType.PushRejected,
  ErrorType.PullRequestRejected,
];
