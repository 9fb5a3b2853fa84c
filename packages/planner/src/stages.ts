/**
 * Exactly what each build stage depends on, read from the stage table. Each
 * stage's inputs are a flat map (option or file -> value), sorted by key: the
 * Pulumi program passes them to the stage resource, so a change re-runs the
 * stage and `pulumi preview --diff` shows one line per changed key.
 */
import { createHash } from "node:crypto";
import { compareSymbols, formatValue, parseConfig } from "@br-criu/kconfig";
import type { ResolvedBoard } from "@br-criu/model";
import {
  buildrootDefconfigEntries,
  formatBuildrootValue,
  renderKernelFragment,
  renderStartQemu,
  type DefconfigEntry,
} from "@br-criu/generators";
import { STAGE_NAMES, STAGE_TABLE, type StageInputSource, type StageName } from "./stage-table";

export type InputMap = Readonly<Record<string, string>>;
export type StageInputs = Readonly<Record<StageName, InputMap>>;

/** Files outside the model that stages read, by path, with their content. */
export interface StageFiles {
  /** The stack's own kernel fragments (config.kernelFragments), path -> content. */
  readonly kernelFragments: Readonly<Record<string, string>>;
  /** Every file of the BR2_EXTERNAL package directory, path -> content. */
  readonly packageFiles: Readonly<Record<string, string>>;
  /** Every file of the rootfs overlay, path -> content (empty without an overlay). */
  readonly overlayFiles: Readonly<Record<string, string>>;
}

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function sorted(entries: Iterable<readonly [string, string]>): InputMap {
  return Object.fromEntries([...entries].sort(([a], [b]) => compareSymbols(a, b)));
}

/** The kernel sees every option of every fragment, in merge order (later wins). */
function kernelOptions(board: ResolvedBoard, source: string, files: StageFiles): [string, string][] {
  const options = new Map<string, string>();
  const fragments = [
    renderKernelFragment(board, source),
    ...board.config.kernelFragments.map((path) => files.kernelFragments[path] ?? ""),
  ];
  fragments.forEach((content, index) => {
    const name = index === 0 ? "linux-criu.fragment" : board.config.kernelFragments[index - 1];
    for (const [symbol, value] of parseConfig(content, name)) options.set(symbol, formatValue(value, {}, symbol));
  });
  return [...options];
}

const fileHashes = (prefix: string, contents: Readonly<Record<string, string>>) =>
  Object.entries(contents).map(([path, content]) => [`${prefix}${path}`, sha256(content)] as const);

/** The entries one input source contributes to a stage's map. */
function sourceEntries(
  source: StageInputSource,
  board: ResolvedBoard,
  stackFile: string,
  files: StageFiles,
): (readonly [string, string])[] {
  switch (source) {
    case "buildroot":
      return [
        ["buildroot.version", board.config.buildrootVersion],
        ["buildroot.commit", board.config.buildrootCommit],
        // Buildroot's output is tied to its O= path: the container's and the host's differ.
        ["build.mode", board.config.buildMode],
        // Another build host is a clean build: its output volume starts empty.
        ...(board.config.buildHost === undefined ? [] : [["build.host", board.config.buildHost] as const]),
      ];
    case "kernel-options":
      return kernelOptions(board, stackFile, files);
    case "package-files":
      return fileHashes("external:", files.packageFiles);
    case "overlay-files":
      return fileHashes("overlay:", files.overlayFiles);
    case "start-qemu":
      return [["start-qemu.sh", sha256(renderStartQemu(board, stackFile))]];
  }
}

export function stageInputs(board: ResolvedBoard, stackFile: string, files: StageFiles): StageInputs {
  const entries = buildrootDefconfigEntries(board);
  const defconfig = (sections: StageSpecSections) =>
    entries
      .filter((e: DefconfigEntry) => sections === "all" || sections.includes(e.section))
      .map((e) => [e.symbol, formatBuildrootValue(e.symbol, e.value)] as const);
  const inputs = {} as Record<StageName, InputMap>;
  for (const stage of STAGE_NAMES) {
    const spec = STAGE_TABLE[stage];
    inputs[stage] = sorted([
      ...defconfig(spec.sections),
      ...spec.inputSources.flatMap((source) => sourceEntries(source, board, stackFile, files)),
    ]);
  }
  return inputs;
}

type StageSpecSections = (typeof STAGE_TABLE)[StageName]["sections"];

/** One hash of everything a board's build depends on. */
export function inputsHash(inputs: StageInputs): string {
  return sha256(JSON.stringify(STAGE_NAMES.map((stage) => [stage, inputs[stage]])));
}
