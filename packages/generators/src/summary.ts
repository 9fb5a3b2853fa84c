/** The readable plan of one board, as printed by `br-criu plan`. */
import { featureState, type ResolvedBoard } from "@br-criu/model";

export function featureMatrix(board: ResolvedBoard): string[] {
  const width = Math.max(...board.features.map((f) => f.name.length));
  return board.features.map((f) => {
    const wanted = f.wanted ? "wanted" : "-     ";
    const state = featureState(f);
    return `  ${f.name.padEnd(width)}  ${wanted}  ${state}`;
  });
}

export function planSummary(board: ResolvedBoard, source: string): string {
  const { config, arch, cpu, toolchain, kernel, criu } = board;
  const makeVars = Object.entries(criu.makeVars)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const levelCount = (level: string) => board.kernelOptions.filter((o) => o.level === level).length;
  const lines = [
    `${config.board}: ${config.description}`,
    `  source      ${source}`,
    `  arch        ${arch.name} (cpu ${cpu.name}${board.arm ? `, ${board.arm.floatAbi}${board.arm.fpu ? `, ${board.arm.fpu}` : ""}${board.arm.neon ? ", neon" : ""}` : ""}; kernel ARCH=${arch.kernelArch}; qemu ${board.qemuMachine})${arch.experimental ? " [experimental]" : ""}`,
    `  buildroot   ${config.buildrootVersion} (${config.buildrootCommit})`,
    `  toolchain   ${toolchain.kind}, ${toolchain.libc}, gcc ${toolchain.gccVersion}, headers ${toolchain.headersVersion}`,
    `  kernel      ${kernel.version}, base ${kernel.baseConfig}${kernel.dts ? `, dts ${kernel.dts}` : ""}, image ${kernel.imageFile}`,
    `  criu        ${criu.enabled ? `${criu.version} (make ${makeVars})` : "disabled"}`,
    `  options     ${board.kernelOptions.length} kernel options (${levelCount("required")} required, ${levelCount("feature")} feature, ${levelCount("arch")} arch)`,
    `  rootfs      ${config.rootfsFormats.join(", ")}; packages: ${config.rootfsPackages.length ? [...config.rootfsPackages].sort().join(", ") : "(none)"}`,
    `  features    name / wanted / state`,
    ...featureMatrix(board),
  ];
  for (const warning of board.warnings) lines.push(`  warning: ${warning}`);
  return `${lines.join("\n")}\n`;
}
