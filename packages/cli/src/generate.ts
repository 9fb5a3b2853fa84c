/**
 * `br-criu generate`: writes every generated file of the repository
 * (Pulumi.yaml, and each stack's defconfig and kernel fragment in the
 * BR2_EXTERNAL tree); `--check` only reports drift.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ResolvedBoard } from "@br-criu/model";
import { defconfigFile, kernelFragmentFile, renderBoardFiles } from "@br-criu/generators";
import { PROJECT_FILE, renderProjectFile } from "@br-criu/stacks";

/** The BR2_EXTERNAL tree, relative to the repository root. */
export const EXTERNAL_TREE = "packages/br2-external";

export interface GenerateResult {
  /** Files whose content differs from the generator's, or that should not exist. */
  readonly drifted: readonly string[];
  readonly report: readonly string[];
}

/** Generated files found on disk: board defconfigs and fragments (stale ones too). */
function existingGeneratedFiles(root: string): string[] {
  const external = join(root, EXTERNAL_TREE);
  const found: string[] = [];
  const configs = join(external, "configs");
  if (existsSync(configs)) {
    for (const name of readdirSync(configs)) if (name.endsWith("_criu_defconfig")) found.push(`${EXTERNAL_TREE}/configs/${name}`);
  }
  const boards = join(external, "board");
  if (existsSync(boards)) {
    for (const board of readdirSync(boards)) {
      if (existsSync(join(root, EXTERNAL_TREE, kernelFragmentFile(board)))) found.push(`${EXTERNAL_TREE}/${kernelFragmentFile(board)}`);
    }
  }
  return found;
}

export function generate(root: string, stacks: readonly { file: string; board: ResolvedBoard }[], options: { check: boolean }): GenerateResult {
  const wanted = new Map<string, string>([[PROJECT_FILE, renderProjectFile()]]);
  for (const { file, board } of stacks) {
    for (const rendered of renderBoardFiles(board, file)) wanted.set(`${EXTERNAL_TREE}/${rendered.path}`, rendered.content);
  }
  const boards = stacks.map((s) => s.board.config.board);
  const duplicate = boards.find((board, index) => boards.indexOf(board) !== index);
  if (duplicate) throw new Error(`two stacks use board "${duplicate}"; ${defconfigFile(duplicate)} can only come from one`);

  const drifted: string[] = [];
  const report: string[] = [];
  for (const [path, content] of [...wanted].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const target = join(root, path);
    const current = existsSync(target) ? readFileSync(target, "utf8") : undefined;
    if (current === content) continue;
    drifted.push(path);
    if (options.check) {
      report.push(`${current === undefined ? "missing" : "differs"}: ${path}`);
    } else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
      report.push(`wrote ${path}`);
    }
  }
  for (const path of existingGeneratedFiles(root)) {
    if (wanted.has(path)) continue;
    drifted.push(path);
    if (options.check) {
      report.push(`stale (no stack generates it): ${path}`);
    } else {
      rmSync(join(root, path));
      report.push(`removed ${path}`);
    }
  }
  if (drifted.length === 0) report.push("generated files are up to date");
  else if (options.check) report.push(`run \`npm run generate\` to update ${drifted.length} file(s)`);
  return { drifted, report };
}
