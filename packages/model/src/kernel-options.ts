/**
 * The kernel options CRIU needs, in three levels:
 *  - required: without them `criu check` fails or dump/restore of an ordinary
 *    process fails on a lean kernel;
 *  - features: optional CRIU capabilities, each with the options it needs;
 *  - arch truth: which features an architecture can have at all, so a
 *    request for an impossible one is an error instead of a silent drop.
 * Option names are written without the `CONFIG_` prefix.
 */
import type { ArchInfo, ArchName, CpuInfo } from "./arch";

export interface KernelOptionSpec {
  /** Kconfig symbol without `CONFIG_`. */
  readonly symbol: string;
  /** `y` to turn the option on (all but a few), `n` where CRIU needs it off. */
  readonly value: "y" | "n";
  /** Why CRIU needs it. Written next to the option in generated fragments. */
  readonly reason: string;
}

/**
 * The model names every option with its full CONFIG_ symbol, so that
 * `grep -rn CONFIG_TUN packages/model` finds where an option comes from and
 * why; the specs keep the bare symbol, as Kconfig and Buildroot write it.
 */
function bareSymbol(configSymbol: string): string {
  if (!configSymbol.startsWith("CONFIG_"))
    throw new Error(`kernel-options.ts: write ${configSymbol} as CONFIG_${configSymbol}`);
  return configSymbol.slice("CONFIG_".length);
}

const opt = (symbol: string, reason: string): KernelOptionSpec => ({ symbol: bareSymbol(symbol), value: "y", reason });
const off = (symbol: string, reason: string): KernelOptionSpec => ({ symbol: bareSymbol(symbol), value: "n", reason });

/** Parent options: Kconfig drops the child silently unless these are on. */
const parent = (symbol: string, child: string): KernelOptionSpec =>
  opt(symbol, `parent of ${bareSymbol(child)}: Kconfig drops ${bareSymbol(child)} while ${bareSymbol(symbol)} is off`);

export const criuRequiredOptions: readonly KernelOptionSpec[] = [
  opt(
    "CONFIG_CHECKPOINT_RESTORE",
    "CRIU's kernel interface: kcmp(), prctl(PR_SET_MM), /proc/PID/map_files, clone3() set_tid",
  ),
  parent("CONFIG_MULTIUSER", "CONFIG_NAMESPACES"),
  opt("CONFIG_NAMESPACES", "parent of the *_NS options; CRIU saves and recreates task namespaces"),
  opt("CONFIG_UTS_NS", "CRIU dumps and recreates UTS namespaces (hostname of containers)"),
  opt("CONFIG_IPC_NS", "CRIU dumps and recreates IPC namespaces with their SysV objects"),
  opt("CONFIG_SYSVIPC", "SysV shared memory, semaphores and message queues are checkpointed"),
  opt("CONFIG_SYSVIPC_SYSCTL", "CRIU restores the IPC namespace limits through /proc/sys/kernel"),
  opt("CONFIG_PID_NS", "CRIU restores process trees inside PID namespaces with their original PIDs"),
  opt("CONFIG_NET_NS", "CRIU's start-up probe and network restore create network namespaces"),
  opt("CONFIG_FHANDLE", "inotify and fanotify watches are dumped as file handles (name_to_handle_at)"),
  opt("CONFIG_EVENTFD", "eventfd descriptors are checkpointed and recreated"),
  opt("CONFIG_EPOLL", "epoll descriptors and their watch lists are checkpointed and recreated"),
  opt("CONFIG_SIGNALFD", "signalfd descriptors are checkpointed and recreated"),
  opt("CONFIG_TIMERFD", "timerfd descriptors are checkpointed and recreated"),
  opt("CONFIG_INOTIFY_USER", "inotify descriptors are checkpointed and recreated"),
  opt("CONFIG_FILE_LOCKING", "flock() and POSIX locks are read from /proc/locks and re-taken at restore"),
  opt("CONFIG_PROC_FS", "CRIU reads the whole task state from /proc"),
  opt("CONFIG_PROC_SYSCTL", "/proc/sys: ns_last_pid for PID restore and namespace sysctls"),
  opt("CONFIG_PROC_PAGE_MONITOR", "/proc/PID/pagemap tells CRIU which pages are present when dumping memory"),
  opt("CONFIG_MEMBARRIER", "membarrier() registrations of a task are part of its state"),
  opt("CONFIG_RSEQ", "glibc >= 2.35 registers an rseq area per thread; CRIU dumps it (PTRACE_GET_RSEQ_CONFIGURATION)"),
  opt("CONFIG_ADVISE_SYSCALLS", "the restorer re-applies madvise() flags; without it restore fails with ENOSYS"),
  opt("CONFIG_SHMEM", "shared anonymous memory and memfd are restored through shmem"),
  opt("CONFIG_TMPFS", "memfd and tmpfs mounts are restored on tmpfs; CRIU's own work directories use it"),
  opt("CONFIG_POSIX_TIMERS", "POSIX timers (timer_create) are checkpointed and recreated"),
  opt("CONFIG_NET", "sockets are part of almost every task's state"),
  opt("CONFIG_UNIX", "UNIX sockets are dumped; CRIU's service and page server use them"),
  opt("CONFIG_INET", "TCP/UDP sockets are dumped (TCP with connection repair)"),
  opt("CONFIG_UNIX_DIAG", "sock_diag for UNIX sockets: without it dumping any UNIX socket fails"),
  opt("CONFIG_INET_DIAG", "sock_diag for TCP sockets: without it dumping a TCP socket fails"),
  opt("CONFIG_INET_UDP_DIAG", "sock_diag for UDP sockets: without it dumping a UDP socket fails"),
  opt("CONFIG_PACKET", "packet sockets are dumped and recreated"),
  opt("CONFIG_PACKET_DIAG", "sock_diag for packet sockets: without it dumping one fails"),
  opt("CONFIG_NETLINK_DIAG", "sock_diag for netlink sockets: without it dumping one fails"),
  opt("CONFIG_TTY", "terminals of interactive tasks are dumped and recreated"),
  opt("CONFIG_UNIX98_PTYS", "pseudo-terminals (/dev/ptmx) are dumped and recreated"),
  parent("CONFIG_NETFILTER", "CONFIG_NETFILTER_XT_MARK"),
  parent("CONFIG_NETFILTER_XTABLES", "CONFIG_NETFILTER_XT_MARK"),
  opt("CONFIG_NETFILTER_XT_MARK", "the iptables network lock lets CRIU's own packets through by mark"),
  parent("CONFIG_NETDEVICES", "CONFIG_TUN"),
  parent("CONFIG_NET_CORE", "CONFIG_TUN"),
  opt("CONFIG_TUN", "tun/tap devices of a task are dumped and recreated"),
];

/**
 * Options CRIU needs on some architectures only. On 32-bit arm, CRIU 4.2.1
 * and its parasite make syscalls with a 32-bit time_t (futex, io_getevents,
 * ...), which Linux offers only with COMPAT_32BIT_TIME: without it `criu
 * check --feature aio_remap` gets ENOSYS from io_getevents and the parasite
 * dies of SIGSEGV during every dump (found by the arm runtime test). The
 * option defaults on for 32-bit kernels, but lean configurations turn it off.
 */
export const criuArchRequiredOptions: Readonly<Partial<Record<ArchName, readonly KernelOptionSpec[]>>> = {
  arm: [
    opt(
      "CONFIG_COMPAT_32BIT_TIME",
      "CRIU and its parasite use the 32-bit time_t syscalls (futex, io_getevents); without them every dump fails",
    ),
  ],
};

/**
 * The option list from the CRIU-in-Buildroot write-up users already know.
 * It is a subset of `criuRequiredOptions` (a test keeps it so); on its own it
 * is not enough for a lean kernel.
 */
export const writeupOptionList: readonly string[] = [
  "CHECKPOINT_RESTORE",
  "NAMESPACES",
  "UTS_NS",
  "IPC_NS",
  "SYSVIPC_SYSCTL",
  "PID_NS",
  "NET_NS",
  "FHANDLE",
  "EVENTFD",
  "EPOLL",
  "RSEQ",
  "UNIX_DIAG",
  "INET_DIAG",
  "INET_UDP_DIAG",
  "PACKET_DIAG",
  "NETLINK_DIAG",
  "NETFILTER_XT_MARK",
  "TUN",
];

export type Availability =
  | { readonly available: true; readonly extraOptions: readonly KernelOptionSpec[] }
  | { readonly available: false; readonly reason: string };

const everywhere = (): Availability => ({ available: true, extraOptions: [] });

export interface CriuFeature {
  readonly name: string;
  /** What CRIU can do with it. */
  readonly summary: string;
  readonly options: readonly KernelOptionSpec[];
  readonly availability: (arch: ArchInfo, cpu: CpuInfo) => Availability;
}

const feature = (
  name: string,
  summary: string,
  options: readonly KernelOptionSpec[],
  availability: CriuFeature["availability"] = everywhere,
): CriuFeature => ({ name, summary, options, availability });

export const criuFeatures: readonly CriuFeature[] = [
  feature(
    "pre-dump",
    "iterative pre-dump and --track-mem (soft-dirty page tracking)",
    [opt("CONFIG_MEM_SOFT_DIRTY", "soft-dirty bits let CRIU copy only pages written since the last pre-dump")],
    // MEM_SOFT_DIRTY depends on HAVE_ARCH_SOFT_DIRTY, selected by x86_64,
    // Book3S-64 powerpc and s390 only (mm/Kconfig, arch/*/Kconfig).
    (arch) =>
      arch.name === "x86_64" || arch.name === "powerpc64le"
        ? everywhere()
        : {
            available: false,
            reason: `MEM_SOFT_DIRTY needs HAVE_ARCH_SOFT_DIRTY, which ${arch.kernelArch} does not select`,
          },
  ),
  feature("lazy-pages", "lazy restore and post-copy migration (criu lazy-pages)", [
    opt("CONFIG_USERFAULTFD", "lazy pages are served through userfaultfd"),
  ]),
  feature(
    "seccomp",
    "dump and restore of seccomp filters",
    [
      opt("CONFIG_SECCOMP", "tasks with seccomp filters can be checkpointed"),
      opt("CONFIG_SECCOMP_FILTER", "BPF seccomp filters are read back with PTRACE_SECCOMP_GET_FILTER"),
    ],
    // arm selects HAVE_ARCH_SECCOMP_FILTER only "if AEABI && !OABI_COMPAT" (arch/arm/Kconfig).
    (arch) =>
      arch.name === "arm"
        ? {
            available: true,
            extraOptions: [
              opt("CONFIG_AEABI", "arm offers SECCOMP_FILTER only with the EABI syscall ABI"),
              off("CONFIG_OABI_COMPAT", "arm offers SECCOMP_FILTER only without OABI compatibility"),
            ],
          }
        : everywhere(),
  ),
  feature("aio", "tasks with AIO rings (io_setup)", [opt("CONFIG_AIO", "AIO rings are dumped and recreated")]),
  feature("fanotify", "fanotify descriptors and marks", [
    opt("CONFIG_FANOTIFY", "fanotify groups and marks are dumped"),
  ]),
  feature("posix-mqueue", "POSIX message queues", [
    opt("CONFIG_POSIX_MQUEUE", "mqueue descriptors are dumped with their messages"),
  ]),
  feature("user-ns", "containers with user namespaces", [
    opt("CONFIG_USER_NS", "user namespaces and their uid/gid maps are restored"),
  ]),
  feature(
    "time-ns",
    "time namespaces (monotonic clocks survive migration)",
    [opt("CONFIG_TIME_NS", "restored tasks keep their monotonic and boottime clocks")],
    // TIME_NS depends on GENERIC_VDSO_TIME_NS, which 32-bit arm does not select.
    (arch) =>
      arch.name === "arm"
        ? { available: false, reason: "TIME_NS needs GENERIC_VDSO_TIME_NS, which 32-bit arm does not select" }
        : everywhere(),
  ),
  feature("cgroups", "cgroup membership and controllers of containers", [
    opt("CONFIG_CGROUPS", "CRIU dumps and restores cgroup membership"),
    opt("CONFIG_MEMCG", "memory controller settings of containers"),
    opt("CONFIG_CGROUP_DEVICE", "device controller settings of containers"),
    opt("CONFIG_CGROUP_FREEZER", "the freezer cgroup freezes a whole container for a consistent dump"),
    opt("CONFIG_CGROUP_PIDS", "pids controller settings of containers"),
    parent("CONFIG_SMP", "CONFIG_CPUSETS"),
    opt("CONFIG_CPUSETS", "cpuset controller settings of containers"),
  ]),
  feature("binfmt-misc", "binfmt_misc entries of containers", [
    opt("CONFIG_BINFMT_MISC", "binfmt_misc mounts are dumped with their entries"),
  ]),
  feature("overlayfs", "containers on overlayfs root filesystems", [
    opt("CONFIG_OVERLAY_FS", "files on overlayfs are resolved to their real paths"),
  ]),
  feature(
    "hugetlbfs",
    "tasks with hugetlb mappings",
    [opt("CONFIG_HUGETLBFS", "hugetlb mappings are dumped and restored")],
    // arm selects ARCH_SUPPORTS_HUGETLBFS only "if ARM_LPAE" (arch/arm/Kconfig).
    (arch, cpu) => {
      if (arch.name !== "arm") return everywhere();
      if (!cpu.lpae) {
        return { available: false, reason: `HUGETLBFS on arm needs ARM_LPAE, and ${cpu.name} has no LPAE` };
      }
      return {
        available: true,
        extraOptions: [opt("CONFIG_ARM_LPAE", "arm offers HUGETLBFS only with LPAE page tables")],
      };
    },
  ),
  feature("network", "container networking: veth, macvlan, bridges, IPv6", [
    opt("CONFIG_VETH", "veth pairs of network namespaces are dumped and recreated"),
    opt("CONFIG_MACVLAN", "macvlan links are dumped and recreated"),
    opt("CONFIG_BRIDGE", "bridges are dumped and recreated"),
    opt("CONFIG_IPV6", "IPv6 sockets and addresses are dumped and recreated"),
  ]),
  feature("iptables-lock", "network locking with iptables (CRIU's classic lock)", [
    opt("CONFIG_NETFILTER_XTABLES", "CRIU installs iptables rules to block traffic during dump"),
    opt("CONFIG_IP_NF_IPTABLES", "IPv4 rules of the iptables network lock"),
    opt("CONFIG_IP_NF_FILTER", "the filter table holding the lock's IPv4 rules"),
    opt("CONFIG_IP6_NF_IPTABLES", "IPv6 rules of the iptables network lock"),
    opt("CONFIG_IP6_NF_FILTER", "the filter table holding the lock's IPv6 rules"),
    parent("CONFIG_IPV6", "CONFIG_IP6_NF_IPTABLES"),
  ]),
  feature("nftables-lock", "network locking with nftables (--network-lock nftables)", [
    opt("CONFIG_NF_TABLES", "CRIU creates an nftables table to block traffic during dump"),
    opt("CONFIG_NF_TABLES_INET", "the lock uses one inet table for IPv4 and IPv6"),
    parent("CONFIG_IPV6", "CONFIG_NF_TABLES_INET"),
  ]),
];

export type FeatureName = (typeof criuFeatures)[number]["name"];

export const FEATURE_NAMES: readonly string[] = criuFeatures.map((f) => f.name);

export function findFeature(name: string): CriuFeature | undefined {
  return criuFeatures.find((f) => f.name === name);
}

/** Features every supported arch and CPU of br-criu can have: the default request. */
export const portableFeatures: readonly string[] = [
  "aio",
  "binfmt-misc",
  "cgroups",
  "fanotify",
  "iptables-lock",
  "lazy-pages",
  "network",
  "nftables-lock",
  "overlayfs",
  "posix-mqueue",
  "seccomp",
  "user-ns",
];

/** What booting any initramfs under QEMU needs, whatever the architecture. */
const initramfsBootOptions: readonly KernelOptionSpec[] = [
  opt("CONFIG_PRINTK", "kernel messages on the console (tinyconfig turns them off)"),
  opt("CONFIG_TTY", "console"),
  opt("CONFIG_BLK_DEV_INITRD", "the test system is an initramfs"),
  opt("CONFIG_BINFMT_ELF", "runs busybox and criu"),
  opt("CONFIG_BINFMT_SCRIPT", "runs the #! init and acceptance scripts"),
  opt("CONFIG_PROC_FS", "mounted at /proc"),
  opt("CONFIG_SYSFS", "mounted at /sys"),
  opt("CONFIG_DEVTMPFS", "mounted at /dev"),
  opt("CONFIG_UNIX98_PTYS", "devpts is mounted at /dev/pts"),
  opt("CONFIG_TMPFS", "mounted at /tmp, where the dump images go"),
  opt("CONFIG_FUTEX", "glibc's threads and criu use futexes"),
  opt("CONFIG_FILE_LOCKING", "busybox and glibc take file locks"),
];

/**
 * The "minimal CRIU kernel" profile: `tinyconfig` plus only what booting an
 * initramfs under QEMU needs, per architecture (the serial console of its
 * QEMU machine); the CRIU options come on top (criuRequiredOptions and the
 * stack's features). Architectures without an entry have no minimal profile yet.
 */
export const minimalBootOptions: Readonly<Partial<Record<ArchName, readonly KernelOptionSpec[]>>> = {
  x86_64: [
    opt("CONFIG_64BIT", "x86_64 kernel"),
    opt("CONFIG_SERIAL_8250", "the PC's serial port, where QEMU -nographic connects"),
    opt("CONFIG_SERIAL_8250_CONSOLE", "console=ttyS0"),
    ...initramfsBootOptions,
  ],
  aarch64: [
    opt("CONFIG_SERIAL_AMBA_PL011", "the virt machine's PL011 UART, where QEMU -nographic connects"),
    opt("CONFIG_SERIAL_AMBA_PL011_CONSOLE", "console=ttyAMA0"),
    ...initramfsBootOptions,
  ],
  arm: [
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
    ...initramfsBootOptions,
  ],
  powerpc64le: [
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
    ...initramfsBootOptions,
  ],
  riscv64: [
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
    ...initramfsBootOptions,
  ],
};

/**
 * What `criu check --feature <name>` (CRIU 4.2.1, criu/cr-check.c) tests for
 * each br-criu feature that has such a check. On a booted kernel a check
 * passes when the feature is enabled and fails when the architecture cannot
 * have it, which tests the model's arch truth against CRIU itself.
 */
export const CRIU_CHECK_FEATURES: Readonly<Record<string, readonly string[]>> = {
  aio: ["aio_remap"],
  cgroups: ["cgroupns"],
  hugetlbfs: ["memfd_hugetlb"],
  "lazy-pages": ["uffd", "uffd-noncoop"],
  "pre-dump": ["mem_dirty_track"],
  seccomp: ["seccomp_filters"],
  "time-ns": ["timens"],
  "user-ns": ["userns"],
};

/** Checked on every board: PTRACE_GET_RSEQ_CONFIGURATION (Linux 5.13), what the kernel version gate is for. */
export const CRIU_CHECK_ALWAYS: readonly string[] = ["get_rseq_conf"];

export interface CriuCheckExpectation {
  /** The name `criu check --feature` takes. */
  readonly check: string;
  /** The br-criu feature it stands for ("" for the always-checked ones). */
  readonly feature: string;
  readonly expected: "pass" | "fail";
}

/**
 * What CRIU must report on a board's kernel: the checks of enabled features
 * pass, those of features the architecture cannot have fail. Features that
 * are available but not enabled are not asserted (their options may or may
 * not be in the kernel).
 */
export function criuCheckExpectations(
  features: readonly { name: string; available: boolean; enabled: boolean }[],
): CriuCheckExpectation[] {
  const expectations: CriuCheckExpectation[] = CRIU_CHECK_ALWAYS.map((check) => ({
    check,
    feature: "",
    expected: "pass" as const,
  }));
  for (const { name, available, enabled } of features) {
    if (!enabled && available) continue;
    for (const check of CRIU_CHECK_FEATURES[name] ?? [])
      expectations.push({ check, feature: name, expected: enabled ? "pass" : "fail" });
  }
  return expectations;
}
