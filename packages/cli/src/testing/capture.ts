// A CliIo that records what a command prints, for the tests.
export interface CapturedIo {
  stdout: string;
  stderr: string;
  out(text: string): void;
  err(text: string): void;
}

export function capture(): CapturedIo {
  const io: CapturedIo = { stdout: '', stderr: '', out: (t) => void (io.stdout += t), err: (t) => void (io.stderr += t) };
  return io;
}
