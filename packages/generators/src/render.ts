/**
 * Text of the generated files. Deterministic: the same board renders the same
 * bytes (sorted entries, no dates, no absolute paths).
 */
import { commentLine, compareSymbols, formatEntry, yes, no, type KconfigValue } from "@br-criu/kconfig";
import type { ResolvedBoard } from "@br-criu/model";
import { buildrootDefconfigEntries, DEFCONFIG_SECTIONS, type ConfigEntry } from "./defconfig";
import { defconfigFile, kernelFragmentFile } from "./layout";
import { startQemuFile } from "./qemu";
import { generatedHeader, type RenderedFile } from "./generated-file";
import { formatBuildrootEntry } from "./writers";

/** Where the kernel options of every fragment are declared, with their reasons. */
const KERNEL_OPTIONS_MODEL = "packages/model/src/kernel-options.ts";

/** Kernel fragment entries (CONFIG_ symbols), sorted by symbol. */
/** Where an option of the fragment comes from, as its comment starts. */
function optionOrigin(board: ResolvedBoard, option: ResolvedBoard["kernelOptions"][number]): string {
  switch (option.level) {
    case "required":
      return "required";
    case "feature":
      return `feature ${option.feature}`;
    case "arch":
      return option.feature ? `${board.arch.name} for ${option.feature}` : `required on ${board.arch.name}`;
    case "machine":
      return `QEMU ${board.qemuMachine}`;
  }
}

function kernelFragmentEntries(board: ResolvedBoard): ConfigEntry[] {
  return board.kernelOptions.map((option) => {
    const origin = optionOrigin(board, option);
    const value: KconfigValue = option.value === "y" ? yes : no;
    return { symbol: `CONFIG_${option.symbol}`, value, reason: `${origin}: ${option.reason}` };
  });
}

export function renderKernelFragment(board: ResolvedBoard, source: string): string {
  const lines = generatedHeader(
    `Kernel options for CRIU ${board.criu.version} on ${board.config.board} (${board.arch.name})`,
    source,
  );
  lines.push(commentLine(`Every CRIU option and its reason: ${KERNEL_OPTIONS_MODEL} (grep its CONFIG_ name).`));
  for (const entry of kernelFragmentEntries(board))
    lines.push("", commentLine(entry.reason), formatEntry(entry.symbol, entry.value));
  if (board.kernel.extraOptions.length > 0) {
    lines.push("", commentLine(`The stack's own options (br-criu:kernelConfig of ${source}), merged after CRIU's:`));
    for (const { symbol, value } of board.kernel.extraOptions) lines.push(formatEntry(`CONFIG_${symbol}`, value));
  }
  return `${lines.join("\n")}\n`;
}

export function renderDefconfig(board: ResolvedBoard, source: string): string {
  const lines = generatedHeader(`Buildroot defconfig for ${board.config.board}: ${board.config.description}`, source);
  const entries = buildrootDefconfigEntries(board);
  for (const section of DEFCONFIG_SECTIONS) {
    const inSection = entries.filter((entry) => entry.section === section);
    if (inSection.length === 0) continue;
    lines.push("", `# --- ${section} ---`);
    for (const entry of inSection)
      lines.push(commentLine(entry.reason), formatBuildrootEntry(entry.symbol, entry.value));
  }
  return `${lines.join("\n")}\n`;
}

/** Every file the board contributes to the BR2_EXTERNAL tree, sorted by path. */
export function renderBoardFiles(board: ResolvedBoard, source: string): RenderedFile[] {
  return [
    { path: defconfigFile(board.config.board), content: renderDefconfig(board, source) },
    { path: kernelFragmentFile(board.config.board), content: renderKernelFragment(board, source) },
    startQemuFile(board, source),
  ].sort((a, b) => compareSymbols(a.path, b.path));
}
