/**
 * The Buildroot defconfig of a board, as entries with a reason each, grouped
 * in sections. Symbol facts are those of Buildroot 2026.02.
 */
import { compareSymbols, no, text, yes, type KconfigValue } from "@br-criu/kconfig";
import { ARM_FPUS, CRIU_SUB_OPTIONS, kernelSeries, type ResolvedBoard } from "@br-criu/model";
import { COMMON_OVERLAY, CRIU_PACKAGE_SYMBOL, externalPath, kernelFragmentPath } from "./layout";

export const DEFCONFIG_SECTIONS = [
  "Architecture",
  "Toolchain",
  "System",
  "Kernel",
  "Filesystem images",
  "Packages",
  "Build",
] as const;
export type DefconfigSection = (typeof DEFCONFIG_SECTIONS)[number];

export interface ConfigEntry {
  readonly symbol: string;
  readonly value: KconfigValue;
  readonly reason: string;
}

export interface DefconfigEntry extends ConfigEntry {
  readonly section: DefconfigSection;
}

/** Buildroot's package symbol: upper case, with '-' and '.' as '_'. */
function packageSymbol(name: string): string {
  return `BR2_PACKAGE_${name.toUpperCase().replace(/[-.]/g, "_")}`;
}

/** Adds an entry of the section being written, with its reason. */
type AddEntry = (symbol: string, value: KconfigValue, reason: string) => void;

/** The defconfig's "Architecture" section. */
function architectureEntries(board: ResolvedBoard, add: AddEntry): void {
  const { arch, cpu } = board;
  for (const symbol of arch.buildrootSymbols)
    add(symbol, yes, `${arch.name} target (CRIU ARCH=${board.criu.makeVars["ARCH"]})`);
  if (cpu.buildrootSymbol) add(cpu.buildrootSymbol, yes, `CPU ${cpu.name}`);
  if (board.arm) {
    if (board.arm.fpu) {
      add("BR2_ARM_ENABLE_VFP", yes, `${cpu.name} has a VFP unit`);
      add(ARM_FPUS[board.arm.fpu]!, yes, `FPU ${board.arm.fpu}`);
    }
    if (board.arm.neon) add("BR2_ARM_ENABLE_NEON", yes, `${cpu.name} has NEON`);
    add(board.arm.floatAbi === "eabihf" ? "BR2_ARM_EABIHF" : "BR2_ARM_EABI", yes, `${board.arm.floatAbi} ABI`);
  }
}

/** The defconfig's "Toolchain" section. */
function toolchainEntries(board: ResolvedBoard, add: AddEntry): void {
  const { arch, toolchain } = board;
  if (toolchain.kind === "bootlin") {
    add("BR2_TOOLCHAIN_EXTERNAL", yes, "prebuilt external toolchain: no compiler build");
    add("BR2_TOOLCHAIN_EXTERNAL_BOOTLIN", yes, "Bootlin toolchains (glibc, C++, threads, wchar, gcc 14, headers 5.4)");
    add(`BR2_TOOLCHAIN_EXTERNAL_BOOTLIN_${arch.bootlinVariant}_GLIBC_STABLE`, yes, "glibc stable variant for this CPU");
  } else {
    const libcSymbol = toolchain.libc === "glibc" ? "BR2_TOOLCHAIN_BUILDROOT_GLIBC" : "BR2_TOOLCHAIN_BUILDROOT_MUSL";
    add(libcSymbol, yes, `${toolchain.libc}: CRIU needs glibc or musl (uClibc-ng has no aio.h)`);
    add("BR2_TOOLCHAIN_BUILDROOT_CXX", yes, "C++ for CRIU's protobuf dependency");
    add(`BR2_GCC_VERSION_${toolchain.gccVersion}_X`, yes, `gcc ${toolchain.gccVersion} (CRIU needs gcc >= 8)`);
    add("BR2_KERNEL_HEADERS_AS_KERNEL", yes, "headers of the kernel being built (CRIU needs >= 4.18)");
    const series = kernelSeries(board.kernel.version).replace(".", "_");
    add(`BR2_PACKAGE_HOST_LINUX_HEADERS_CUSTOM_${series}`, yes, "declares the series of those headers");
  }
}

/** The defconfig's "System" section. */
function systemEntries(board: ResolvedBoard, add: AddEntry): void {
  const { arch, config } = board;
  add("BR2_TARGET_GENERIC_HOSTNAME", text(config.hostname), "host name of the target");
  add("BR2_TARGET_GENERIC_GETTY_PORT", text(arch.qemu.console), `serial console of QEMU ${board.qemuMachine}`);
  add("BR2_SYSTEM_DHCP", text("eth0"), "network for page-server and migration tests");
  const overlays = [COMMON_OVERLAY, ...(config.rootfsOverlay ? [config.rootfsOverlay] : [])].map(externalPath);
  add(
    "BR2_ROOTFS_OVERLAY",
    text(overlays.join(" ")),
    "br-criu's acceptance test (run with br_criu.acceptance=1), then the board's overlay",
  );
  add(
    "BR2_ROOTFS_POST_IMAGE_SCRIPT",
    text(externalPath("board/common/post-image.sh")),
    "puts start-qemu.sh next to the images",
  );
  add("BR2_ROOTFS_POST_SCRIPT_ARGS", text(config.board), "tells post-image.sh which board it runs for");
}

/** The defconfig's "Kernel" section. */
function kernelEntries(board: ResolvedBoard, add: AddEntry): void {
  const { arch, config } = board;
  add("BR2_LINUX_KERNEL", yes, "build the kernel CRIU is configured for");
  add("BR2_LINUX_KERNEL_CUSTOM_VERSION", yes, "pinned kernel.org release");
  add(
    "BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE",
    text(board.kernel.version),
    "kernel version (CRIU needs >= 5.13 with glibc >= 2.35)",
  );
  if (board.kernel.baseConfig === "defconfig") {
    add("BR2_LINUX_KERNEL_USE_ARCH_DEFAULT_CONFIG", yes, `${arch.kernelArch} default configuration`);
  } else {
    add("BR2_LINUX_KERNEL_USE_DEFCONFIG", yes, "in-tree base configuration");
    add(
      "BR2_LINUX_KERNEL_DEFCONFIG",
      text(board.kernel.baseConfig.replace(/_defconfig$/, "")),
      `make ${board.kernel.baseConfig}`,
    );
  }
  const fragments = [kernelFragmentPath(config.board), ...config.kernelFragments.map(externalPath)];
  add(
    "BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES",
    text(fragments.join(" ")),
    "CRIU kernel options, then the board's own fragments",
  );
  add(arch.kernelImageSymbol, yes, `${arch.kernelImageFile} is what QEMU ${board.qemuMachine} boots`);
  if (board.kernel.dts) {
    add("BR2_LINUX_KERNEL_DTS_SUPPORT", yes, "the board boots with a device tree");
    add("BR2_LINUX_KERNEL_INTREE_DTS_NAME", text(board.kernel.dts), "in-tree device tree of the board");
  }
  for (const symbol of arch.kernelHostNeeds)
    add(symbol, yes, `the ${arch.kernelArch} kernel build needs this host tool`);
  if (arch.firmware) {
    add("BR2_TARGET_OPENSBI", yes, arch.firmware.reasons.firmware);
    add("BR2_TARGET_OPENSBI_PLAT", text(arch.firmware.opensbiPlatform), arch.firmware.reasons.platform);
  }
}

/** The defconfig's "Filesystem images" section. */
function imageEntries(board: ResolvedBoard, add: AddEntry): void {
  const { config } = board;
  add("BR2_TARGET_ROOTFS_TAR", no, "only the image formats the stack asks for");
  if (config.rootfsFormats.includes("ext4")) {
    add("BR2_TARGET_ROOTFS_EXT2", yes, "ext root filesystem image");
    add("BR2_TARGET_ROOTFS_EXT2_4", yes, "as ext4");
    add("BR2_TARGET_ROOTFS_EXT2_SIZE", text(config.rootfsSize), "room for CRIU image directories");
  }
  if (config.rootfsFormats.includes("cpio")) add("BR2_TARGET_ROOTFS_CPIO", yes, "initramfs image");
}

/** The defconfig's "Packages" section. */
function packageEntries(board: ResolvedBoard, add: AddEntry): void {
  const { config } = board;
  if (board.criu.enabled) {
    add(CRIU_PACKAGE_SYMBOL, yes, `CRIU ${board.criu.version} from the br-criu BR2_EXTERNAL tree`);
    if (config.criuCrit) add("BR2_PACKAGE_PYTHON3", yes, "crit and pycriu run on the target's python3");
    for (const option of CRIU_SUB_OPTIONS)
      add(`${CRIU_PACKAGE_SYMBOL}_${option.suffix}`, config[option.stackKey] ? yes : no, option.reason);
  }
  for (const name of [...config.rootfsPackages].sort()) add(packageSymbol(name), yes, "extra package of the stack");
}

/** The defconfig's "Build" section. */
function buildEntries(board: ResolvedBoard, add: AddEntry): void {
  const { config } = board;
  add("BR2_REPRODUCIBLE", config.reproducible ? yes : no, "bit-identical images from identical inputs");
  add("BR2_DOWNLOAD_FORCE_CHECK_HASHES", yes, "every download is checked against a recorded hash");
  add("BR2_GLOBAL_PATCH_DIR", text(externalPath("patches")), "hash files for the pinned kernel release");
  add("BR2_CCACHE", config.ccache ? yes : no, "compiler cache shared by all stacks");
}

export function buildrootDefconfigEntries(board: ResolvedBoard): DefconfigEntry[] {
  const entries: DefconfigEntry[] = [];
  const sections: [DefconfigSection, (board: ResolvedBoard, add: AddEntry) => void][] = [
    ["Architecture", architectureEntries],
    ["Toolchain", toolchainEntries],
    ["System", systemEntries],
    ["Kernel", kernelEntries],
    ["Filesystem images", imageEntries],
    ["Packages", packageEntries],
    ["Build", buildEntries],
  ];
  for (const [section, fill] of sections)
    fill(board, (symbol, value, reason) => entries.push({ section, symbol, value, reason }));
  return sortWithinSections(entries);
}

function sortWithinSections(entries: DefconfigEntry[]): DefconfigEntry[] {
  const order = (entry: DefconfigEntry) => DEFCONFIG_SECTIONS.indexOf(entry.section);
  return [...entries].sort((a, b) => order(a) - order(b) || compareSymbols(a.symbol, b.symbol));
}
