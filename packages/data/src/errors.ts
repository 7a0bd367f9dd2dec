// The one error type every loader throws: a message plus the file (or directory) it concerns.

export class DataError extends Error {
  /** The file or directory the problem concerns, when there is one. */
  readonly file?: string;

  constructor(message: string, file?: string) {
    super(file !== undefined && !message.includes(file) ? `${file}: ${message}` : message);
    this.name = 'DataError';
    this.file = file;
  }
}
