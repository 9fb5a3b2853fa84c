/**
 * Architecture truth for br-criu: which targets CRIU can be built for, how
 * each one is spelled for CRIU's Makefile, the kernel and Buildroot, and the
 * CPUs a board may name.
 */

export type ArchName = "x86_64" | "aarch64" | "arm" | "powerpc64le" | "riscv64";

export const SUPPORTED_ARCHES: readonly ArchName[] = ["aarch64", "arm", "powerpc64le", "riscv64", "x86_64"];

/**
 * Targets users ask for that br-criu refuses, and why. Each reason is a fact
 * about CRIU or Buildroot, so the error tells the user what would have to
 * change upstream.
 */
export const REFUSED_ARCHES: Readonly<Record<string, string>> = {
  // CRIU has an s390 port, but Buildroot's criu package never enabled it
  // because of byte-order problems, and br-criu targets little-endian only.
  s390x:
    "CRIU's s390x port is big-endian, which Buildroot's CRIU packaging never supported; br-criu builds little-endian targets only",
  // CRIU's MIPS port covers Loongson mips64el only and Buildroot never enabled it.
  mips: "CRIU's MIPS support covers only Loongson mips64el, never enabled in Buildroot and without a QEMU board here",
  mipsel: "CRIU's MIPS support covers only Loongson mips64el, never enabled in Buildroot and without a QEMU board here",
  mips64: "CRIU's MIPS support covers only Loongson mips64el, never enabled in Buildroot and without a QEMU board here",
  mips64el:
    "CRIU's MIPS support covers only Loongson mips64el, never enabled in Buildroot and without a QEMU board here",
  // CRIU's x86 port is 64-bit; 32-bit tasks are handled only as compat tasks on x86_64.
  i386: "CRIU has no 32-bit x86 build: it runs on x86_64 and restores 32-bit tasks only as compat tasks there",
  i686: "CRIU has no 32-bit x86 build: it runs on x86_64 and restores 32-bit tasks only as compat tasks there",
  // compel's parasite code and CRIU's image handling assume little-endian on these ports.
  aarch64_be: "CRIU's aarch64 port is little-endian only (Buildroot's package excluded aarch64_be)",
  armeb: "CRIU's arm port is little-endian only",
  powerpc64: "CRIU's ppc64 port is little-endian only (powerpc64le); big-endian powerpc64 is not supported",
  powerpc: "CRIU has no 32-bit powerpc port; use powerpc64le",
  riscv32: "CRIU's riscv port is 64-bit only (riscv64)",
};

/** ISA levels of 32-bit arm that CRIU's arm port builds for, with CRIU's SUBARCH. */
export type ArmIsa = "armv6" | "armv7-a" | "armv7-m" | "armv8-a";

export interface CpuInfo {
  /** Name users write in the stack file (`cpu`). */
  readonly name: string;
  /** Buildroot's CPU choice symbol, when the arch has one to set. */
  readonly buildrootSymbol?: string;
  /** 32-bit arm only: the ISA level, which decides CRIU's SUBARCH. */
  readonly armIsa?: ArmIsa;
  /** 32-bit arm only: Large Physical Address Extension, which arm's HUGETLBFS needs. */
  readonly lpae?: boolean;
  /** Whether the core has an MMU; CRIU needs one (libcap and fork-based restore). */
  readonly mmu: boolean;
}

export interface ArchInfo {
  readonly name: ArchName;
  /** `ARCH=` for CRIU's Makefile (x86_64 is `x86`, powerpc64le is `ppc64`, riscv64 stays `riscv64`). */
  readonly criuArch: string;
  /** `ARCH=` for the kernel's Makefile. */
  readonly kernelArch: string;
  /** Buildroot symbols selecting the architecture itself. */
  readonly buildrootSymbols: readonly string[];
  /** Bootlin glibc stable toolchain symbol suffix in Buildroot 2026.02. */
  readonly bootlinVariant: string;
  /** Default CPU when the stack does not name one. */
  readonly defaultCpu: string;
  readonly cpus: Readonly<Record<string, CpuInfo>>;
  /** In-tree kernel defconfig used when `kernelBaseConfig` is not given; undefined means `make defconfig`. */
  readonly defaultKernelDefconfig?: string;
  /** Buildroot kernel image format symbol (BR2_LINUX_KERNEL_<X>). */
  readonly kernelImageSymbol: string;
  /** Kernel image file name in output/images. */
  readonly kernelImageFile: string;
  /** Where the kernel build leaves that image, relative to the kernel tree (the make target is kernelImageFile). */
  readonly kernelBuildImage: string;
  /** Host tools the kernel build needs for this arch's defconfig (Buildroot NEEDS_HOST_* symbols). */
  readonly kernelHostNeeds: readonly string[];
  /** Serial console on the default QEMU machine. */
  readonly console: string;
  /** Default QEMU machine. */
  readonly qemuMachine: string;
  /** Supported upstream but not covered by CRIU's CI on hardware: stacks must opt in. */
  readonly experimental?: string;
}

const cpu = (name: string, extra: Omit<CpuInfo, "name" | "mmu"> & { mmu?: boolean } = {}): CpuInfo => ({
  name,
  mmu: true,
  ...extra,
});

const armCpu = (name: string, armIsa: ArmIsa, lpae: boolean, mmu = true): CpuInfo =>
  cpu(name, { buildrootSymbol: `BR2_${name.replace(/-/g, "_")}`, armIsa, lpae, mmu });

export const ARCHES: Readonly<Record<ArchName, ArchInfo>> = {
  x86_64: {
    name: "x86_64",
    criuArch: "x86",
    kernelArch: "x86_64",
    buildrootSymbols: ["BR2_x86_64"],
    bootlinVariant: "X86_64",
    defaultCpu: "x86-64",
    // Buildroot's generic x86_64 CPU has MMX/SSE/SSE2, which the Bootlin toolchain needs.
    cpus: { "x86-64": cpu("x86-64") },
    defaultKernelDefconfig: "x86_64_defconfig",
    kernelImageSymbol: "BR2_LINUX_KERNEL_BZIMAGE",
    kernelImageFile: "bzImage",
    kernelBuildImage: "arch/x86/boot/bzImage",
    // x86_64_defconfig enables the ORC unwinder, whose objtool needs libelf.
    kernelHostNeeds: ["BR2_LINUX_KERNEL_NEEDS_HOST_LIBELF"],
    console: "ttyS0",
    qemuMachine: "pc",
  },
  aarch64: {
    name: "aarch64",
    criuArch: "aarch64",
    kernelArch: "arm64",
    buildrootSymbols: ["BR2_aarch64"],
    bootlinVariant: "AARCH64",
    defaultCpu: "cortex-a53",
    cpus: {
      "cortex-a53": cpu("cortex-a53", { buildrootSymbol: "BR2_cortex_a53" }),
      "cortex-a57": cpu("cortex-a57", { buildrootSymbol: "BR2_cortex_a57" }),
      "cortex-a72": cpu("cortex-a72", { buildrootSymbol: "BR2_cortex_a72" }),
    },
    kernelImageSymbol: "BR2_LINUX_KERNEL_IMAGE",
    kernelImageFile: "Image",
    kernelBuildImage: "arch/arm64/boot/Image",
    // arm64 defconfig signs modules and builds crypto that needs host OpenSSL.
    kernelHostNeeds: ["BR2_LINUX_KERNEL_NEEDS_HOST_OPENSSL"],
    console: "ttyAMA0",
    qemuMachine: "virt",
  },
  arm: {
    name: "arm",
    criuArch: "arm",
    kernelArch: "arm",
    buildrootSymbols: ["BR2_arm"],
    bootlinVariant: "ARMV7_EABIHF",
    defaultCpu: "cortex-a9",
    cpus: {
      "arm1176jzf-s": armCpu("arm1176jzf-s", "armv6", false),
      "cortex-a7": armCpu("cortex-a7", "armv7-a", true),
      "cortex-a8": armCpu("cortex-a8", "armv7-a", false),
      "cortex-a9": armCpu("cortex-a9", "armv7-a", false),
      "cortex-a15": armCpu("cortex-a15", "armv7-a", true),
      "cortex-a53": armCpu("cortex-a53", "armv8-a", true),
      // Cortex-M cores are ARMv7-M, an ISA CRIU's arm port knows, but they have no MMU.
      "cortex-m4": armCpu("cortex-m4", "armv7-m", false, false),
    },
    defaultKernelDefconfig: "vexpress_defconfig",
    kernelImageSymbol: "BR2_LINUX_KERNEL_ZIMAGE",
    kernelImageFile: "zImage",
    kernelBuildImage: "arch/arm/boot/zImage",
    kernelHostNeeds: [],
    console: "ttyAMA0",
    qemuMachine: "vexpress-a9",
  },
  powerpc64le: {
    name: "powerpc64le",
    criuArch: "ppc64",
    kernelArch: "powerpc",
    buildrootSymbols: ["BR2_powerpc64le"],
    bootlinVariant: "POWERPC64LE_POWER8",
    defaultCpu: "power8",
    // The Bootlin powerpc64le toolchain depends on BR2_powerpc_power8.
    cpus: { power8: cpu("power8", { buildrootSymbol: "BR2_powerpc_power8" }) },
    // A make target of arch/powerpc (merged from ppc64 + le fragments), not a file in configs/.
    defaultKernelDefconfig: "pseries_le_defconfig",
    kernelImageSymbol: "BR2_LINUX_KERNEL_VMLINUX",
    kernelImageFile: "vmlinux",
    // pseries firmware (QEMU's VOF or SLOF) loads the ELF kernel itself.
    kernelBuildImage: "vmlinux",
    kernelHostNeeds: ["BR2_LINUX_KERNEL_NEEDS_HOST_LIBELF", "BR2_LINUX_KERNEL_NEEDS_HOST_OPENSSL"],
    console: "hvc0",
    qemuMachine: "pseries",
  },
  riscv64: {
    name: "riscv64",
    criuArch: "riscv64",
    kernelArch: "riscv",
    buildrootSymbols: ["BR2_riscv", "BR2_RISCV_64"],
    bootlinVariant: "RISCV64_LP64D",
    defaultCpu: "rv64gc",
    // Buildroot's default riscv ISA is G (IMAFD) with the LP64D ABI, as the Bootlin toolchain needs.
    cpus: { rv64gc: cpu("rv64gc") },
    kernelImageSymbol: "BR2_LINUX_KERNEL_IMAGE",
    kernelImageFile: "Image",
    kernelBuildImage: "arch/riscv/boot/Image",
    kernelHostNeeds: [],
    console: "ttyS0",
    qemuMachine: "virt",
    experimental:
      "CRIU supports riscv64 since 4.1, but upstream CI only cross-compiles it: no dump/restore run on riscv64 hardware",
  },
};

/** CRIU's SUBARCH for 32-bit arm ISA levels (CRIU's Makefile only knows armv6/7/8). */
export const ARM_SUBARCH: Readonly<Record<ArmIsa, string>> = {
  armv6: "armv6",
  "armv7-a": "armv7",
  "armv7-m": "armv7",
  "armv8-a": "armv8",
};

/** Floating point units Buildroot offers for arm, with the symbol it uses. */
export const ARM_FPUS: Readonly<Record<string, string>> = {
  vfpv2: "BR2_ARM_FPU_VFPV2",
  vfpv3: "BR2_ARM_FPU_VFPV3",
  "vfpv3-d16": "BR2_ARM_FPU_VFPV3D16",
  vfpv4: "BR2_ARM_FPU_VFPV4",
  "vfpv4-d16": "BR2_ARM_FPU_VFPV4D16",
};

export function isSupportedArch(name: string): name is ArchName {
  return (SUPPORTED_ARCHES as readonly string[]).includes(name);
}
