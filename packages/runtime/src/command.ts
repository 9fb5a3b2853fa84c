/** Running the build machine's tools (apt, dpkg, compilers, make). */
import { execFileSync } from "node:child_process";

/** Runs a command and returns its stdout (stderr is kept for the error when it fails). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  return execFileSync(command, args, {
    ...options,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
}
