/**
 * Scratch directories for tests and benchmarks: made under the system's
 * temporary directory (shared by everything on the machine, so each name is
 * unique) and removed when the process exits. BR_CRIU_KEEP_SCRATCH=1 keeps
 * them, to look at what a failing test left behind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

process.on("exit", () => {
  if (process.env["BR_CRIU_KEEP_SCRATCH"] === "1") {
    if (made.length > 0) console.error(`# scratch directories kept: ${made.join(" ")}`);
    return;
  }
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory named br-criu-<prefix>-XXXXXX, removed at exit. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `br-criu-${prefix}-`));
  made.push(dir);
  return dir;
}
