/**
 * The kernel options CRIU needs, in three levels:
 *  - required: without them `criu check` fails or dump/restore of an ordinary
 *    process fails on a lean kernel;
 *  - features: optional CRIU capabilities, each with the options it needs;
 *  - arch truth: which features an architecture can have at all, so a
 *    request for an impossible one is an error instead of a silent drop.
 * Option names are written without the `CONFIG_` prefix.
 */
import type { ArchInfo, CpuInfo } from "./arch";
import { off, opt, parent, type KernelOptionSpec } from "./kernel-option";

export type { KernelOptionSpec } from "./kernel-option";

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
  parent("CONFIG_NF_CONNTRACK", "CONFIG_NF_CT_NETLINK"),
  opt(
    "CONFIG_NF_CT_NETLINK",
    "CRIU dumps the conntrack entries of every network namespace it dumps through ctnetlink (criu/net.c, dump_nf_ct); without it nfnetlink answers EINVAL and no container dumps (seen by ZDTM's ns-flavor tests)",
  ),
  parent("CONFIG_NETDEVICES", "CONFIG_TUN"),
  parent("CONFIG_NET_CORE", "CONFIG_TUN"),
  opt("CONFIG_TUN", "tun/tap devices of a task are dumped and recreated"),
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
    // MEM_SOFT_DIRTY depends on HAVE_ARCH_SOFT_DIRTY (mm/Kconfig), which only some architectures select.
    (arch) =>
      arch.kconfig.softDirty
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
    (arch) => ({ available: true, extraOptions: arch.kconfig.seccompFilterNeeds }),
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
    (arch) =>
      arch.kconfig.vdsoTimeNamespaces
        ? everywhere()
        : { available: false, reason: `TIME_NS needs GENERIC_VDSO_TIME_NS, which ${arch.kernelArch} does not select` },
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
    (arch, cpu) => {
      const lpae = arch.kconfig.hugetlbfsNeedsLpae;
      if (!lpae) return everywhere();
      if (!cpu.lpae) {
        return { available: false, reason: `HUGETLBFS on ${arch.name} needs ARM_LPAE, and ${cpu.name} has no LPAE` };
      }
      return { available: true, extraOptions: [lpae] };
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

export const FEATURE_NAMES: readonly string[] = criuFeatures.map((f) => f.name);

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
  // Defaults that cost build time and that nothing in a test system uses.
  off("CONFIG_ETHTOOL_NETLINK", "nothing in the test system configures network devices with ethtool"),
  off("CONFIG_VT", "the console is a serial port: no virtual terminals"),
  off("CONFIG_INPUT", "no keyboard or mouse: the test system is driven over the serial console"),
  ...["GZIP", "BZIP2", "LZMA", "XZ", "LZO", "LZ4", "ZSTD"].map((method) =>
    off(`CONFIG_RD_${method}`, "the test initramfs is an uncompressed newc cpio: no decompressor is needed"),
  ),
  off("CONFIG_ETHERNET", "the vendor NIC drivers under it: the guest's network devices are virtio and virtual ones"),
  off("CONFIG_PTP_1588_CLOCK", "no network hardware with PTP clocks in the guest"),
  off("CONFIG_IPV6_SIT", "no IPv6-in-IPv4 tunnel device is dumped by any test"),
  off("CONFIG_BRIDGE_IGMP_SNOOPING", "no multicast traffic crosses a bridge in the test system"),
  ...["DCCP", "SCTP", "UDPLITE"].map((protocol) =>
    off(`CONFIG_NF_CT_PROTO_${protocol}`, `no test tracks ${protocol} connections; CRIU's network lock needs TCP only`),
  ),
];

/**
 * The "minimal CRIU kernel" profile: `tinyconfig` plus only what booting an
 * initramfs under QEMU needs on the architecture's machine (its serial
 * console, platform, FPU); the CRIU options come on top (criuRequiredOptions
 * and the stack's features).
 */
export function testKernelOptions(arch: ArchInfo): KernelOptionSpec[] {
  return [...arch.testKernelOptions, ...initramfsBootOptions];
}

/**
 * What `criu check --feature <name>` (CRIU 4.2.1, criu/cr-check.c) tests for
 * each br-criu feature that has such a check. On a booted kernel a check
 * passes when the feature is enabled and fails when the architecture cannot
 * have it, which tests the model's arch truth against CRIU itself.
 */
const CRIU_CHECK_FEATURES: Readonly<Record<string, readonly string[]>> = {
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
const CRIU_CHECK_ALWAYS: readonly string[] = ["get_rseq_conf"];

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
