/**
 * The build stages of a board and exactly what each depends on. Each stage's
 * inputs are a flat map (option or file -> value), sorted by key: the Pulumi
 * program passes them as the stage command's triggers, so a change re-runs
 * the stage and `pulumi preview --diff` shows one line per changed key.
 */
import { createHash } from "node:crypto";
import { compareSymbols, formatValue, parseConfig } from "@br-criu/kconfig";
import type { ResolvedBoard } from "@br-criu/model";
import {
  buildrootDefconfigEntries,
  formatBuildrootValue,
  renderKernelFragment,
  renderStartQemu,
  type DefconfigSection,
} from "@br-criu/generators";

export const STAGES = ["toolchain", "config", "kernel", "rootfs", "image"] as const;
export type StageName = (typeof STAGES)[number];

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

/** Which defconfig sections each Buildroot-side stage depends on. */
const SECTIONS: Readonly<Record<"toolchain" | "kernel" | "rootfs" | "image", readonly DefconfigSection[]>> = {
  // Architecture, toolchain and global build switches: a change needs a clean build.
  toolchain: ["Architecture", "Toolchain", "Build"],
  kernel: ["Kernel"],
  rootfs: ["System", "Packages"],
  image: ["Filesystem images"],
};

export function stageInputs(board: ResolvedBoard, source: string, files: StageFiles): StageInputs {
  const entries = buildrootDefconfigEntries(board);
  const section = (names: readonly DefconfigSection[]) =>
    entries
      .filter((e) => names.includes(e.section))
      .map((e) => [e.symbol, formatBuildrootValue(e.symbol, e.value)] as const);
  const fileHashes = (prefix: string, contents: Readonly<Record<string, string>>) =>
    Object.entries(contents).map(([path, content]) => [`${prefix}${path}`, sha256(content)] as const);

  // The kernel sees every option of every fragment, in merge order (later wins).
  const kernelOptions = new Map<string, string>();
  const fragments = [
    renderKernelFragment(board, source),
    ...board.config.kernelFragments.map((path) => files.kernelFragments[path] ?? ""),
  ];
  fragments.forEach((content, index) => {
    for (const [symbol, value] of parseConfig(
      content,
      index === 0 ? "linux-criu.fragment" : board.config.kernelFragments[index - 1],
    )) {
      kernelOptions.set(symbol, formatValue(value, {}, symbol));
    }
  });

  return {
    toolchain: sorted([
      ["buildroot.version", board.config.buildrootVersion],
      ["buildroot.commit", board.config.buildrootCommit],
      ...section(SECTIONS.toolchain),
    ]),
    config: sorted(entries.map((e) => [e.symbol, formatBuildrootValue(e.symbol, e.value)] as const)),
    kernel: sorted([...section(SECTIONS.kernel), ...kernelOptions]),
    rootfs: sorted([
      ...section(SECTIONS.rootfs),
      ...fileHashes("external:", files.packageFiles),
      ...fileHashes("overlay:", files.overlayFiles),
    ]),
    image: sorted([...section(SECTIONS.image), ["start-qemu.sh", sha256(renderStartQemu(board, source))]]),
  };
}

/** One hash of everything a board's build depends on. */
export function inputsHash(inputs: StageInputs): string {
  return sha256(JSON.stringify(STAGES.map((stage) => [stage, inputs[stage]])));
}
