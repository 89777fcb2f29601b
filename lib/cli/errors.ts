/**
 * The CLI's exit codes, which scripts can rely on, and the errors that carry them. Each verb returns 0
 * on success; everything else goes through {@link exitCodeOf}.
 */
export const EXIT = Object.freeze({
  /** Done. */
  OK: 0,
  /** An unexpected error (a bug, a file that cannot be written). */
  ERROR: 1,
  /** The command line is wrong (unknown verb or option, missing value): nothing was sent. */
  USAGE: 2,
  /** The server refused the input (400, 413, 415): fix the request. */
  REJECTED: 3,
  /** The credentials were refused (401, 403). */
  FORBIDDEN: 4,
  /** The feed (or what was asked for) does not exist (404). */
  NOT_FOUND: 5,
  /** The server could not be reached, or failed (5xx): retrying later may work. */
  UNAVAILABLE: 6,
});

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The exit code of an HTTP status the server answered (0 = unreachable). */
export function exitCodeOfStatus(status: number): number {
  if (status === 0 || status >= 500) return EXIT.UNAVAILABLE;
  if (status === 401 || status === 403) return EXIT.FORBIDDEN;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status >= 400) return EXIT.REJECTED;
  return EXIT.ERROR;
}
