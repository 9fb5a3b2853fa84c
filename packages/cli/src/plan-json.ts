/** Machine-readable plan of one stack (`br-criu plan --json`). Key order is fixed. */
import type { ResolvedBoard } from "@br-criu/model";
import { buildrootDefconfigEntries, formatBuildrootValue } from "@br-criu/generators";

export function planJson(stack: string, file: string, board: ResolvedBoard) {
  return {
    stack,
    file,
    board: board.config.board,
    description: board.config.description,
    arch: board.arch.name,
    cpu: board.cpu.name,
    kernelArch: board.arch.kernelArch,
    experimental: board.arch.experimental !== undefined,
    qemuMachine: board.qemuMachine,
    buildroot: { version: board.config.buildrootVersion, commit: board.config.buildrootCommit },
    toolchain: board.toolchain,
    kernel: board.kernel,
    criu: board.criu,
    features: board.features,
    kernelOptions: board.kernelOptions,
    buildroot_defconfig: Object.fromEntries(
      buildrootDefconfigEntries(board).map((e) => [e.symbol, formatBuildrootValue(e.symbol, e.value)]),
    ),
    warnings: board.warnings,
  };
}
