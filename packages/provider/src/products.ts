/**
 * What a stage left in the output directory, as a fingerprint recorded at
 * create and taken again by `pulumi refresh`: a difference is drift, and the
 * next `pulumi up` re-runs the stage (and what builds on it).
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { StageProduct } from "@br-criu/planner";

/** Path below the output directory -> "directory", "missing" or the file's sha256. */
export type Fingerprint = Record<string, string>;

const MISSING = "missing";
const DIRECTORY = "directory";

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Every file below `dir`, relative to it, sorted. */
function filesBelow(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) return filesBelow(dir, path);
      return entry.isFile() ? [path] : [];
    });
}

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();
const isFile = (path: string) => existsSync(path) && statSync(path).isFile();

export async function fingerprint(outputDir: string, products: readonly StageProduct[]): Promise<Fingerprint> {
  const found: Fingerprint = {};
  for (const product of products) {
    const path = join(outputDir, product.path);
    switch (product.kind) {
      case "directory":
        found[product.path] = isDirectory(path) ? DIRECTORY : MISSING;
        break;
      case "file":
        found[product.path] = isFile(path) ? await sha256File(path) : MISSING;
        break;
      case "files":
        if (!isDirectory(path)) found[product.path] = MISSING;
        else for (const file of filesBelow(path)) found[`${product.path}/${file}`] = await sha256File(join(path, file));
        break;
    }
  }
  return found;
}

/** What differs between what a stage left and what is there now, one line per path. */
export function drift(recorded: Fingerprint, current: Fingerprint): string[] {
  const paths = [...new Set([...Object.keys(recorded), ...Object.keys(current)])].sort();
  return paths.flatMap((path) => {
    const before = recorded[path];
    const now = current[path];
    if (before === now) return [];
    if (now === undefined || now === MISSING) return [`${path}: missing`];
    if (before === undefined || before === MISSING) return [`${path}: appeared`];
    return [`${path}: changed`];
  });
}
