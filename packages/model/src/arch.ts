/**
 * Architecture truth for br-criu, one record per architecture: how CRIU's
 * Makefile, the kernel, Buildroot, Debian and QEMU spell it, the CPUs a
 * board may name, what its Kconfig offers CRIU, and what its test system
 * needs. Code reads these fields instead of switching on names; the
 * Record<ArchName, ArchInfo> type makes a missing fact a compile error.
 */
import { off, opt, parent, type KernelOptionSpec } from "./kernel-option";

export type ArchName = "x86_64" | "aarch64" | "arm" | "powerpc64le" | "riscv64";

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

/** How a QEMU machine gives the guest its root disk (start-qemu.sh's -drive and root=). */
export type QemuDisk = "virtio-pci" | "virtio-mmio" | "sd-card" | "scsi";
/** The machine's network device. */
export type QemuNic = "virtio-net-pci" | "virtio-net-mmio" | "lan9118" | "spapr-vlan";
/** The guest's randomness source: a virtio RNG on the machine's PCI bus or on its virtio-mmio transports. */
export type QemuRng = "virtio-rng-pci" | "virtio-rng-mmio";

export interface QemuFacts {
  readonly binary: string;
  /** Default machine. */
  readonly machine: string;
  /** Properties added to the machine type. */
  readonly machineOptions?: string;
  /** How -cpu names the board's CPU: not at all (the machine's default), as the stack names it, or in upper case. */
  readonly cpuArgument: "none" | "as-named" | "upper-case";
  /** Serial console of the machine. */
  readonly console: string;
  readonly disk: QemuDisk;
  readonly nic: QemuNic;
  readonly rng: QemuRng;
  /** The default huge page size the guest kernel gets on this machine, in KiB (/proc/meminfo's Hugepagesize). */
  readonly hugePageKiB: number;
}

/** An SBI firmware: the file QEMU loads, Buildroot's OpenSBI platform, Debian's copy for the test system. */
export interface ArchFirmware {
  readonly file: string;
  readonly opensbiPlatform: string;
  readonly debianPath: string;
  /** Why the defconfig builds it, and why that platform (written next to the options). */
  readonly reasons: { readonly firmware: string; readonly platform: string };
}

/** What the architecture's Kconfig offers the CRIU features that depend on it. */
export interface ArchKconfig {
  /** CONFIG_64BIT: a 64-bit kernel (only there has mmap MAP_DROPPABLE, VM_DROPPABLE). */
  readonly sixtyFourBit: boolean;
  /** HAVE_ARCH_SOFT_DIRTY, which MEM_SOFT_DIRTY (pre-dump's memory tracking) depends on. */
  readonly softDirty: boolean;
  /** GENERIC_VDSO_TIME_NS, which TIME_NS depends on. */
  readonly vdsoTimeNamespaces: boolean;
  /** Options HAVE_ARCH_SECCOMP_FILTER is conditional on. */
  readonly seccompFilterNeeds: readonly KernelOptionSpec[];
  /** When ARCH_SUPPORTS_HUGETLBFS needs LPAE page tables: the option, which only an LPAE CPU can have. */
  readonly hugetlbfsNeedsLpae?: KernelOptionSpec;
}

/** Where the test system gets its programs, for this architecture. */
export interface DebianFacts {
  /** Debian's architecture name. */
  readonly arch: string;
  /** GNU triplet: the cross compiler's prefix, the library directory. */
  readonly triplet: string;
  /** qemu-user binary that runs its programs on the build machine. */
  readonly qemuUser: string;
  /** The suite its packages come from: bookworm, or unstable where bookworm has no port. */
  readonly suite: "bookworm" | "unstable";
}

export interface ArchInfo {
  readonly name: ArchName;
  /** `ARCH=` for CRIU's Makefile (x86_64 is `x86`, powerpc64le is `ppc64`, riscv64 stays `riscv64`). */
  readonly criuArch: string;
  /** `ARCH=` for the kernel's Makefile. */
  readonly kernelArch: string;
  /** The kernel's SRCARCH (its arch/ directory), where Kconfig files are read from. */
  readonly kernelSrcarch: string;
  /** Buildroot symbols selecting the architecture itself. */
  readonly buildrootSymbols: readonly string[];
  /** Bootlin glibc stable toolchain symbol suffix in Buildroot 2026.02. */
  readonly bootlinVariant: string;
  /** Whether Buildroot's toolchain wrapper passes the CPU to gcc as -mcpu (not on x86_64 and riscv64). */
  readonly mcpu: boolean;
  readonly defaultCpu: string;
  readonly cpus: Readonly<Record<string, CpuInfo>>;
  /** In-tree kernel defconfig used when `kernelBaseConfig` is not given; undefined means `make defconfig`. */
  readonly defaultKernelDefconfig?: string;
  /** Buildroot kernel image format symbol (BR2_LINUX_KERNEL_<X>). */
  readonly kernelImageSymbol: string;
  /** Kernel image file name in output/images, and the kernel's make target. */
  readonly kernelImageFile: string;
  /** Where the kernel build leaves that image, relative to the kernel tree. */
  readonly kernelBuildImage: string;
  /** Host tools the kernel build needs for this arch's defconfig (Buildroot NEEDS_HOST_* symbols). */
  readonly kernelHostNeeds: readonly string[];
  /** Boards of this architecture boot with a device tree (br-criu:kernelDts is required). */
  readonly needsDeviceTree: boolean;
  /** Whether the stack may choose an FPU, NEON and the float ABI (br-criu:fpu, neon, floatAbi). */
  readonly floatChoices: boolean;
  readonly kconfig: ArchKconfig;
  /** Kernel options CRIU needs on this architecture only, with the reason (level "arch" of the fragment). */
  readonly criuOptions: readonly KernelOptionSpec[];
  readonly qemu: QemuFacts;
  /** What the QEMU machine's devices need in the board's kernel (its randomness source), with the reason. */
  readonly machineKernelOptions: readonly KernelOptionSpec[];
  /** SBI firmware the machine starts the kernel from (OpenSBI's fw_jump.bin), built by Buildroot. */
  readonly firmware?: ArchFirmware;
  /** Debian's cross compiler prefix for the kernel and CRIU builds on another architecture. */
  readonly crossPrefix: string;
  /** process.arch of a build machine of this architecture (no cross compiler needed there). */
  readonly nodeArch: string;
  /** What `uname -m` prints on the board: ZDTM's .desc files name architectures so (their `arch` key). */
  readonly unameMachine: string;
  /** ELF e_machine of its executables, to check what was built. */
  readonly elfMachine: number;
  readonly debian: DebianFacts;
  /** Where the test system's criu comes from: the package's recipe, or Debian's binary where no sysroot can build it. */
  readonly testCriu: "recipe" | "debian-binary";
  /** What booting the test kernel on its QEMU machine needs, besides any initramfs's needs. */
  readonly testKernelOptions: readonly KernelOptionSpec[];
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

/**
 * Without a seeded random pool, every criu command waits about 3 s in
 * getrandom() before it logs its run id (libuuid), which QEMU machines with
 * no randomness source never seed: x86_64's pc with the qemu64 CPU (no
 * RDRAND) and arm's vexpress-a9. A virtio RNG, the same on every machine,
 * feeds the kernel's pool through the hwrng core.
 */
const ENTROPY = "without a seeded random pool every criu command waits about 3 s in getrandom() (libuuid)";

/** The kernel side of the guest's virtio RNG, behind the machine's virtio transport. */
function virtioRngOptions(transport: readonly KernelOptionSpec[]): KernelOptionSpec[] {
  return [
    parent("CONFIG_VIRTIO_MENU", "CONFIG_HW_RANDOM_VIRTIO"),
    ...transport,
    opt("CONFIG_HW_RANDOM", `the hwrng core feeds the kernel's random pool: ${ENTROPY}`),
    opt("CONFIG_HW_RANDOM_VIRTIO", "the virtio RNG start-qemu.sh gives the guest, its source of randomness"),
  ];
}

const PCI_RNG = virtioRngOptions([
  parent("CONFIG_PCI", "CONFIG_VIRTIO_PCI"),
  opt("CONFIG_VIRTIO_PCI", "virtio-rng-pci sits on the machine's PCI bus"),
]);
const MMIO_RNG = virtioRngOptions([
  opt("CONFIG_VIRTIO_MMIO", "virtio-rng-device sits on one of the machine's virtio-mmio transports"),
]);

/** The 64-bit architectures' Kconfig: what HAVE_ARCH_SECCOMP_FILTER and HUGETLBFS depend on is always there. */
const plainKconfig = (softDirty: boolean): ArchKconfig => ({
  sixtyFourBit: true,
  softDirty,
  vdsoTimeNamespaces: true,
  seccompFilterNeeds: [],
});

const x86_64: ArchInfo = {
  name: "x86_64",
  criuArch: "x86",
  kernelArch: "x86_64",
  kernelSrcarch: "x86",
  buildrootSymbols: ["BR2_x86_64"],
  bootlinVariant: "X86_64",
  mcpu: false,
  defaultCpu: "x86-64",
  // Buildroot's generic x86_64 CPU has MMX/SSE/SSE2, which the Bootlin toolchain needs.
  cpus: { "x86-64": cpu("x86-64") },
  defaultKernelDefconfig: "x86_64_defconfig",
  kernelImageSymbol: "BR2_LINUX_KERNEL_BZIMAGE",
  kernelImageFile: "bzImage",
  kernelBuildImage: "arch/x86/boot/bzImage",
  // x86_64_defconfig enables the ORC unwinder, whose objtool needs libelf.
  kernelHostNeeds: ["BR2_LINUX_KERNEL_NEEDS_HOST_LIBELF"],
  needsDeviceTree: false,
  floatChoices: false,
  // x86 selects HAVE_ARCH_SOFT_DIRTY (arch/x86/Kconfig).
  kconfig: plainKconfig(true),
  criuOptions: [],
  qemu: {
    binary: "qemu-system-x86_64",
    machine: "pc",
    cpuArgument: "none",
    console: "ttyS0",
    disk: "virtio-pci",
    nic: "virtio-net-pci",
    rng: "virtio-rng-pci",
    hugePageKiB: 2048,
  },
  machineKernelOptions: PCI_RNG,
  crossPrefix: "x86_64-linux-gnu-",
  nodeArch: "x64",
  unameMachine: "x86_64",
  elfMachine: 62,
  debian: { arch: "amd64", triplet: "x86_64-linux-gnu", qemuUser: "qemu-x86_64", suite: "bookworm" },
  testCriu: "recipe",
  testKernelOptions: [
    opt("CONFIG_64BIT", "x86_64 kernel"),
    opt("CONFIG_SERIAL_8250", "the PC's serial port, where QEMU -nographic connects"),
    opt("CONFIG_SERIAL_8250_CONSOLE", "console=ttyS0"),
    off("CONFIG_SCHED_MC_PRIO", "it selects CPU_FREQ, and QEMU's CPUs have no frequency to scale"),
    off("CONFIG_INTEL_MEI", "QEMU's PC has no Intel Management Engine"),
    ...["UNCORE", "RAPL", "CSTATE"].map((pmu) =>
      off(`CONFIG_PERF_EVENTS_INTEL_${pmu}`, "TCG emulates no Intel performance monitoring units"),
    ),
    ...["EXAR", "LPSS", "MID", "PERICOM"].map((card) =>
      off(`CONFIG_SERIAL_8250_${card}`, "the console is the PC's built-in 8250, not a PCI serial card"),
    ),
  ],
};

const aarch64: ArchInfo = {
  name: "aarch64",
  criuArch: "aarch64",
  kernelArch: "arm64",
  kernelSrcarch: "arm64",
  buildrootSymbols: ["BR2_aarch64"],
  bootlinVariant: "AARCH64",
  mcpu: true,
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
  needsDeviceTree: false,
  floatChoices: false,
  // arm64 selects no HAVE_ARCH_SOFT_DIRTY.
  kconfig: plainKconfig(false),
  criuOptions: [],
  qemu: {
    binary: "qemu-system-aarch64",
    machine: "virt",
    cpuArgument: "as-named",
    console: "ttyAMA0",
    disk: "virtio-mmio",
    nic: "virtio-net-mmio",
    rng: "virtio-rng-mmio",
    hugePageKiB: 2048,
  },
  machineKernelOptions: MMIO_RNG,
  crossPrefix: "aarch64-linux-gnu-",
  nodeArch: "arm64",
  unameMachine: "aarch64",
  elfMachine: 183,
  debian: { arch: "arm64", triplet: "aarch64-linux-gnu", qemuUser: "qemu-aarch64", suite: "bookworm" },
  testCriu: "recipe",
  testKernelOptions: [
    opt("CONFIG_SERIAL_AMBA_PL011", "the virt machine's PL011 UART, where QEMU -nographic connects"),
    opt("CONFIG_SERIAL_AMBA_PL011_CONSOLE", "console=ttyAMA0"),
  ],
};

const arm: ArchInfo = {
  name: "arm",
  criuArch: "arm",
  kernelArch: "arm",
  kernelSrcarch: "arm",
  buildrootSymbols: ["BR2_arm"],
  bootlinVariant: "ARMV7_EABIHF",
  mcpu: true,
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
  needsDeviceTree: true,
  floatChoices: true,
  kconfig: {
    sixtyFourBit: false,
    // 32-bit arm selects neither HAVE_ARCH_SOFT_DIRTY nor GENERIC_VDSO_TIME_NS.
    softDirty: false,
    vdsoTimeNamespaces: false,
    // arm selects HAVE_ARCH_SECCOMP_FILTER only "if AEABI && !OABI_COMPAT" (arch/arm/Kconfig).
    seccompFilterNeeds: [
      opt("CONFIG_AEABI", "arm offers SECCOMP_FILTER only with the EABI syscall ABI"),
      off("CONFIG_OABI_COMPAT", "arm offers SECCOMP_FILTER only without OABI compatibility"),
    ],
    // arm selects ARCH_SUPPORTS_HUGETLBFS only "if ARM_LPAE" (arch/arm/Kconfig).
    hugetlbfsNeedsLpae: opt("CONFIG_ARM_LPAE", "arm offers HUGETLBFS only with LPAE page tables"),
  },
  // CRIU 4.2.1 and its parasite make syscalls with a 32-bit time_t (futex,
  // io_getevents, ...), which Linux offers only with COMPAT_32BIT_TIME:
  // without it `criu check --feature aio_remap` gets ENOSYS from io_getevents
  // and the parasite dies of SIGSEGV during every dump (found by the arm
  // runtime test). It defaults on for 32-bit kernels; lean configurations turn it off.
  criuOptions: [
    opt(
      "CONFIG_COMPAT_32BIT_TIME",
      "CRIU and its parasite use the 32-bit time_t syscalls (futex, io_getevents); without them every dump fails",
    ),
  ],
  qemu: {
    binary: "qemu-system-arm",
    machine: "vexpress-a9",
    cpuArgument: "none",
    console: "ttyAMA0",
    disk: "sd-card",
    nic: "lan9118",
    rng: "virtio-rng-mmio",
    hugePageKiB: 2048,
  },
  machineKernelOptions: MMIO_RNG,
  crossPrefix: "arm-linux-gnueabihf-",
  nodeArch: "arm",
  unameMachine: "armv7l",
  elfMachine: 40,
  debian: { arch: "armhf", triplet: "arm-linux-gnueabihf", qemuUser: "qemu-arm", suite: "bookworm" },
  testCriu: "recipe",
  testKernelOptions: [
    opt("CONFIG_MMU", "Cortex-A9 runs Linux with its MMU (allnoconfig turns the prompt off)"),
    opt("CONFIG_ARCH_MULTI_V7", "the vexpress-a9 board is an ARMv7 multi-platform machine"),
    opt("CONFIG_ARCH_VEXPRESS", "QEMU's vexpress-a9: its device tree, GIC, SP804 timers and clocks"),
    opt(
      "CONFIG_CLK_SP810",
      "the SP810 gives the SP804 timers their clock; without it no timer ticks and boot stops after the console",
    ),
    opt(
      "CONFIG_VFP",
      "armhf user space (busybox, criu) uses the VFP registers; without it they die on the first FP instruction",
    ),
    opt("CONFIG_VFPv3", "the board's FPU is VFPv3-D16"),
    opt("CONFIG_NEON", "the board's Cortex-A9 has NEON, which the armhf glibc may use"),
    opt("CONFIG_KUSER_HELPERS", "32-bit user space may call the kernel's helpers in the vector page"),
    opt("CONFIG_SERIAL_AMBA_PL011", "the motherboard's PL011 UART, where QEMU -nographic connects"),
    opt("CONFIG_SERIAL_AMBA_PL011_CONSOLE", "console=ttyAMA0"),
  ],
};

const powerpc64le: ArchInfo = {
  name: "powerpc64le",
  criuArch: "ppc64",
  kernelArch: "powerpc",
  kernelSrcarch: "powerpc",
  buildrootSymbols: ["BR2_powerpc64le"],
  bootlinVariant: "POWERPC64LE_POWER8",
  mcpu: true,
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
  needsDeviceTree: false,
  floatChoices: false,
  // Book3S-64 powerpc selects HAVE_ARCH_SOFT_DIRTY (arch/powerpc/platforms/Kconfig.cputype).
  kconfig: plainKconfig(true),
  criuOptions: [],
  qemu: {
    binary: "qemu-system-ppc64",
    machine: "pseries",
    // x-vof=on boots through QEMU's small Virtual Open Firmware instead of
    // SLOF; cap-hpt-max-page-size=16M offers 16 MiB pages, without which
    // QEMU's POWER8 under TCG advertises only 4K and 64K pages and the kernel
    // disables hugetlbfs ("no supported hugepage sizes"; CRIU's memfd_hugetlb
    // check then fails, found by the ppc64le runtime test).
    machineOptions: "x-vof=on,cap-hpt-max-page-size=16M",
    cpuArgument: "upper-case",
    console: "hvc0",
    disk: "scsi",
    nic: "spapr-vlan",
    rng: "virtio-rng-pci",
    // The hash MMU's huge pages are 16 MiB (cap-hpt-max-page-size=16M above).
    hugePageKiB: 16384,
  },
  machineKernelOptions: PCI_RNG,
  crossPrefix: "powerpc64le-linux-gnu-",
  nodeArch: "ppc64",
  unameMachine: "ppc64le",
  elfMachine: 21,
  debian: { arch: "ppc64el", triplet: "powerpc64le-linux-gnu", qemuUser: "qemu-ppc64le", suite: "bookworm" },
  testCriu: "recipe",
  testKernelOptions: [
    opt("CONFIG_PPC64", "ppc64le is a 64-bit kernel (allnoconfig builds 32-bit)"),
    opt("CONFIG_CPU_LITTLE_ENDIAN", "ppc64el user space; the endianness choice defaults to big endian"),
    opt("CONFIG_PPC_PSERIES", "QEMU's pseries machine (PAPR hypervisor interface)"),
    opt("CONFIG_PPC_64S_HASH_MMU", "POWER8 has only the hash MMU (radix came with POWER9)"),
    opt("CONFIG_ALTIVEC", "Debian's ppc64el user space targets POWER8 and uses vector instructions"),
    opt("CONFIG_VSX", "POWER8 user space uses VSX registers; without kernel support busybox dies of SIGILL at once"),
    opt(
      "CONFIG_PPC_OF_BOOT_TRAMPOLINE",
      "prom_init: pseries boots through the Open Firmware client interface (QEMU's VOF)",
    ),
    opt("CONFIG_HVC_CONSOLE", "the hypervisor's virtual console, where QEMU -nographic connects"),
    off("CONFIG_PPC_POWERNV", "the guest is a pseries partition, never bare-metal PowerNV (OPAL, CXL)"),
  ],
};

const riscv64: ArchInfo = {
  name: "riscv64",
  criuArch: "riscv64",
  kernelArch: "riscv",
  kernelSrcarch: "riscv",
  buildrootSymbols: ["BR2_riscv", "BR2_RISCV_64"],
  bootlinVariant: "RISCV64_LP64D",
  mcpu: false,
  defaultCpu: "rv64gc",
  // Buildroot's default riscv ISA is G (IMAFD) with the LP64D ABI, as the Bootlin toolchain needs.
  cpus: { rv64gc: cpu("rv64gc") },
  kernelImageSymbol: "BR2_LINUX_KERNEL_IMAGE",
  kernelImageFile: "Image",
  kernelBuildImage: "arch/riscv/boot/Image",
  kernelHostNeeds: [],
  needsDeviceTree: false,
  floatChoices: false,
  // riscv selects no HAVE_ARCH_SOFT_DIRTY.
  kconfig: plainKconfig(false),
  criuOptions: [],
  qemu: {
    binary: "qemu-system-riscv64",
    machine: "virt",
    cpuArgument: "none",
    console: "ttyS0",
    disk: "virtio-mmio",
    nic: "virtio-net-mmio",
    rng: "virtio-rng-mmio",
    hugePageKiB: 2048,
  },
  machineKernelOptions: MMIO_RNG,
  // QEMU's riscv virt machine starts the kernel from an SBI firmware, which
  // jumps to the kernel QEMU loads at 0x80200000; Buildroot builds it, and
  // the test system takes Debian's opensbi package's.
  firmware: {
    file: "fw_jump.bin",
    opensbiPlatform: "generic",
    debianPath: "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin",
    reasons: {
      firmware: "SBI firmware that starts the kernel on riscv virt",
      platform: "OpenSBI's generic platform covers QEMU virt",
    },
  },
  crossPrefix: "riscv64-linux-gnu-",
  nodeArch: "riscv64",
  unameMachine: "riscv64",
  elfMachine: 243,
  // Bookworm has no riscv64 port: its packages (and CRIU 4.2.1 binary) come from unstable.
  debian: { arch: "riscv64", triplet: "riscv64-linux-gnu", qemuUser: "qemu-riscv64", suite: "unstable" },
  testCriu: "debian-binary",
  testKernelOptions: [
    opt("CONFIG_MMU", "RV64 Linux user space needs paged memory (allnoconfig turns the prompt off)"),
    opt("CONFIG_FPU", "Debian's riscv64 user space is RV64GC: F and D registers are saved by the kernel"),
    opt("CONFIG_RISCV_ISA_C", "RV64GC: the C extension"),
    opt(
      "CONFIG_RISCV_ISA_FALLBACK",
      "QEMU 7.2 describes the harts with riscv,isa only; without the fallback the boot CPU is invalid and the kernel stops",
    ),
    opt("CONFIG_ARCH_VIRT", "QEMU's virt machine: its PLIC, syscon power-off and goldfish RTC"),
    opt("CONFIG_SERIAL_8250", "the virt machine's NS16550A UART, where QEMU -nographic connects"),
    opt("CONFIG_SERIAL_8250_CONSOLE", "console=ttyS0"),
    opt("CONFIG_SERIAL_OF_PLATFORM", "the UART is found in the device tree that OpenSBI passes on"),
    opt("CONFIG_NONPORTABLE", "so that PORTABLE, which selects EFI, is off: the kernel is built for QEMU's virt only"),
    off("CONFIG_EFI", "QEMU boots the kernel through OpenSBI with -kernel, not through UEFI"),
  ],
  experimental:
    "CRIU supports riscv64 since 4.1, but upstream CI only cross-compiles it: no dump/restore run on riscv64 hardware",
};

export const ARCHES: Readonly<Record<ArchName, ArchInfo>> = { x86_64, aarch64, arm, powerpc64le, riscv64 };

export const SUPPORTED_ARCHES: readonly ArchName[] = (Object.keys(ARCHES) as ArchName[]).sort();

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
