// Errors a user can cause (bad file, bad flag). The CLI prints their message on one line and exits 2;
// anything else is a bug and exits 1 with its stack trace.

export class UserError extends Error {
  override name = 'UserError';
}

/** A malformed input file: the message always starts with the file name. */
export class FileFormatError extends UserError {
  override name = 'FileFormatError';
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}

export class NumericalError extends UserError {
  override name = 'NumericalError';
}
