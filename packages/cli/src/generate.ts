/**
 * `br-criu generate`: writes every generated file of the repository
 * (Pulumi.yaml, docs/configuration.md, the CRIU package, the kernel hash files, and each stack's
 * defconfig, kernel fragment and start-qemu.sh in the BR2_EXTERNAL tree);
 * `--check` only reports drift.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileWithMode } from "@br-criu/cache";
import { compareSymbols } from "@br-criu/kconfig";
import type { ResolvedBoard } from "@br-criu/model";
import {
  REPO_LAYOUT,
  defconfigFile,
  isGeneratedPath,
  renderBoardFiles,
  renderKernelHashFiles,
  renderPackageFiles,
  renderedDrift,
  type FileOnDisk,
  type RenderedFile,
} from "@br-criu/generators";
import { CONFIGURATION_DOC, PROJECT_FILE, renderConfigurationDoc, renderProjectFile } from "@br-criu/stacks";

export interface GenerateResult {
  /** Files whose content differs from the generator's, or that should not exist. */
  readonly drifted: readonly string[];
  readonly report: readonly string[];
}

/** Every file of the checked-in BR2_EXTERNAL tree that br-criu generates (stale ones too), repository-relative. */
function existingGeneratedFiles(root: string): string[] {
  const external = join(root, REPO_LAYOUT.external);
  if (!existsSync(external)) return [];
  return readdirSync(external, { recursive: true, encoding: "utf8" })
    .filter((path) => isGeneratedPath(path))
    .map((path) => `${REPO_LAYOUT.external}/${path}`);
}

/** A file as it is on disk, if it is there. */
function onDisk(path: string): FileOnDisk | undefined {
  return existsSync(path) ? { content: readFileSync(path, "utf8"), mode: statSync(path).mode & 0o777 } : undefined;
}

export function generate(
  root: string,
  stacks: readonly { file: string; board: ResolvedBoard }[],
  options: { check: boolean },
): GenerateResult {
  const wanted = new Map<string, RenderedFile>([
    [PROJECT_FILE, { path: PROJECT_FILE, content: renderProjectFile() }],
    [CONFIGURATION_DOC, { path: CONFIGURATION_DOC, content: renderConfigurationDoc() }],
  ]);
  const external = (rendered: RenderedFile) => wanted.set(`${REPO_LAYOUT.external}/${rendered.path}`, rendered);
  renderPackageFiles().forEach(external);
  renderKernelHashFiles(stacks).forEach(external);
  for (const { file, board } of stacks) renderBoardFiles(board, file).forEach(external);
  const boards = stacks.map((s) => s.board.config.board);
  const duplicate = boards.find((board, index) => boards.indexOf(board) !== index);
  if (duplicate)
    throw new Error(`two stacks use board "${duplicate}"; ${defconfigFile(duplicate)} can only come from one`);

  const drifted: string[] = [];
  const report: string[] = [];
  for (const [path, rendered] of [...wanted].sort(([a], [b]) => compareSymbols(a, b))) {
    const target = join(root, path);
    const drift = renderedDrift(rendered, onDisk(target));
    if (drift === undefined) continue;
    drifted.push(path);
    if (options.check) {
      report.push(`${drift}: ${path}`);
    } else {
      writeFileWithMode(target, rendered);
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
