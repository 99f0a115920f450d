/** The command line was wrong: exit code 2 and the usage text. */
export class UsageError extends Error {}

/** The command failed for a reason the user can act on: message only, no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
