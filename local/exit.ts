/**
 * Exits once stdout and stderr have handed everything written to them to the OS. `process.exit()` right after a
 * large write to a pipe drops what is still queued (a piped `--json` of 1,000 groups was cut at the pipe's 65,536
 * bytes): a write's callback runs only when it and every write before it are flushed.
 */
export async function exitWhenWritten(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
  process.exit(code);
}
