/** What a failed child process printed, for error messages. */

/** The last `lines` lines of a failed command's stdout and stderr (as execFile and execFileSync attach them to the error). */
export function outputTail(error: unknown, lines: number): string {
  const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
  return `${stdout}${stderr}`.trim().split("\n").slice(-lines).join("\n");
}
