/** `--help` / `-h` anywhere in the arguments: print the script's usage and exit 0, before any option parsing. */
export function exitWithUsageIfAsked(argv: readonly string[], usage: string): void {
  if (!argv.some((a) => a === '--help' || a === '-h')) return;
  process.stdout.write(`${usage.trim()}\n`);
  process.exit(0);
}
