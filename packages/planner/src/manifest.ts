/** Reading what stage.sh prints: the checkout's verdict, image manifests and manifest comparisons. */
import { compareSymbols } from "@br-criu/kconfig";

const MANIFEST_LINE = /^([0-9a-f]{64}) {2}(.+)$/;

/**
 * sha256 by file name from `sha256sum` lines; other lines (Buildroot's
 * progress output shares stdout) are skipped. Sorted by file name.
 */
export function parseManifest(stdout: string): Record<string, string> {
  const entries: [string, string][] = [];
  for (const line of stdout.split("\n")) {
    const match = MANIFEST_LINE.exec(line.trimEnd());
    if (match) entries.push([match[2]!, match[1]!]);
  }
  return Object.fromEntries(entries.sort(([a], [b]) => compareSymbols(a, b)));
}

export interface ManifestComparison {
  readonly identical: boolean;
  readonly differing: string[];
}

/** The verdict of `stage.sh compare-manifests`: "identical", or "differ:" and one file per line. */
export function parseComparison(stdout: string): ManifestComparison {
  const lines = stdout.split("\n").map((line) => line.trimEnd());
  const start = lines.lastIndexOf("differ:");
  if (start === -1) {
    if (!lines.includes("identical")) throw new Error("the second build printed no manifest comparison");
    return { identical: true, differing: [] };
  }
  return { identical: false, differing: lines.slice(start + 1).filter((line) => line !== "") };
}

/** "buildroot <tag> <commit>", the line the checkout prints once the commit is verified ("" before). */
export function parseCheckout(stdout: string): string {
  return (
    stdout
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.startsWith("buildroot "))
      .pop() ?? ""
  );
}
