/**
 * `br-criu generate`: writes every generated file of the repository
 * (Pulumi.yaml, the CRIU package, the kernel hash files, and each stack's
 * defconfig, kernel fragment and start-qemu.sh in the BR2_EXTERNAL tree);
 * `--check` only reports drift.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileWithMode } from "@br-criu/cache";
import { compareSymbols } from "@br-criu/kconfig";
import type { ResolvedBoard } from "@br-criu/model";
import {
  defconfigFile,
  kernelFragmentFile,
  renderBoardFiles,
  renderKernelHashFiles,
  renderPackageFiles,
  type RenderedFile,
} from "@br-criu/generators";
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
    for (const name of readdirSync(configs))
      if (name.endsWith("_criu_defconfig")) found.push(`${EXTERNAL_TREE}/configs/${name}`);
  }
  const boards = join(external, "board");
  if (existsSync(boards)) {
    for (const board of readdirSync(boards)) {
      for (const file of [kernelFragmentFile(board), `board/${board}/start-qemu.sh`]) {
        if (existsSync(join(external, file))) found.push(`${EXTERNAL_TREE}/${file}`);
      }
    }
  }
  return found;
}

export function generate(
  root: string,
  stacks: readonly { file: string; board: ResolvedBoard }[],
  options: { check: boolean },
): GenerateResult {
  const wanted = new Map<string, RenderedFile>([[PROJECT_FILE, { path: PROJECT_FILE, content: renderProjectFile() }]]);
  const external = (rendered: RenderedFile) => wanted.set(`${EXTERNAL_TREE}/${rendered.path}`, rendered);
  renderPackageFiles().forEach(external);
  renderKernelHashFiles(stacks).forEach(external);
  for (const { file, board } of stacks) renderBoardFiles(board, file).forEach(external);
  const boards = stacks.map((s) => s.board.config.board);
  const duplicate = boards.find((board, index) => boards.indexOf(board) !== index);
  if (duplicate)
    throw new Error(`two stacks use board "${duplicate}"; ${defconfigFile(duplicate)} can only come from one`);

  const drifted: string[] = [];
  const report: string[] = [];
  for (const [path, { content, mode = 0o644 }] of [...wanted].sort(([a], [b]) => compareSymbols(a, b))) {
    const target = join(root, path);
    const current = existsSync(target) ? readFileSync(target, "utf8") : undefined;
    const currentMode = current === undefined ? undefined : statSync(target).mode & 0o777;
    if (current === content && currentMode === mode) continue;
    drifted.push(path);
    if (options.check) {
      report.push(
        `${current === undefined ? "missing" : current === content ? `mode ${currentMode?.toString(8)} instead of ${mode.toString(8)}` : "differs"}: ${path}`,
      );
    } else {
      writeFileWithMode(target, { content, mode });
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
