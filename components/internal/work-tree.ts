/**
 * The program's file work, kept out of the components: reading the
 * checked-in BR2_EXTERNAL tree, writing the tree rendered for the stack
 * (content-addressed, then linked from the stack's directory), and the build
 * records the planner compares against.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";
import { cacheDirectory, writeFileWithMode } from "@br-criu/cache";
import { treeHash, type RenderedFile } from "@br-criu/generators";

/** Every file below a directory, with its content and mode, path relative to it, sorted. */
export function readTree(dir: string, prefix = ""): RenderedFile[] {
  if (!existsSync(join(dir, prefix))) return [];
  return readdirSync(join(dir, prefix))
    .sort()
    .flatMap((name) => {
      const path = prefix === "" ? name : `${prefix}/${name}`;
      const stat = statSync(join(dir, path));
      if (stat.isDirectory()) return readTree(dir, path);
      return [{ path, content: readFileSync(join(dir, path), "utf8"), mode: stat.mode & 0o777 }];
    });
}

/**
 * Writes `files` once into <trees>/<content hash>/ and points `link` at it
 * (replacing an older link in one rename), so that the link always names a
 * whole tree.
 */
export function installTree(files: readonly RenderedFile[], trees: string, link: string): string {
  const { dir } = cacheDirectory(join(trees, treeHash(files).slice(0, 24)), (staging) => {
    for (const file of files) writeFileWithMode(join(staging, file.path), file);
    return `${files.length} files`;
  });
  mkdirSync(join(link, ".."), { recursive: true });
  const pending = `${link}.new-${process.pid}`;
  rmSync(pending, { force: true });
  symlinkSync(dir, pending);
  if (existsSync(link) && !lstatSync(link).isSymbolicLink()) rmSync(link, { recursive: true, force: true });
  renameSync(pending, link);
  return dir;
}

export function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}
