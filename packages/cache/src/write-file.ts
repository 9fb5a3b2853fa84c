/** Writing generated files: the content, the mode, the directories above. */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Writes a file with its mode (0644 unless given), creating its directories. */
export function writeFileWithMode(target: string, file: { readonly content: string; readonly mode?: number }): void {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.content);
  chmodSync(target, file.mode ?? 0o644);
}
