/**
 * The ZDTM selection: which of CRIU 4.2.1's own test programs
 * (test/zdtm/static) br-criu checkpoints and restores on every board's test
 * kernel, grouped by the kind of process state each one checks survives,
 * and what the model says each board must make of them.
 *
 * How a program is started, which CRIU options it takes and which
 * namespaces it wants come from its .desc file and the ZDTM Makefile in the
 * CRIU source, not from here; here is only what br-criu decides: the
 * selection, its groups, and the br-criu features a program needs beyond
 * the options every CRIU kernel has.
 */
import type { ArchInfo, ArchName } from "./arch";
import type { FeatureStatus } from "./resolve";

export type ZdtmGroup =
  | "process-tree"
  | "signals"
  | "pipes"
  | "unix-sockets"
  | "tcp"
  | "files"
  | "memory"
  | "event-fds"
  | "timers"
  | "futex-rseq"
  | "sysv-ipc"
  | "namespaces"
  | "pre-dump";

export interface ZdtmGroupInfo {
  /** The heading in the results table. */
  readonly title: string;
  /** Why br-criu runs this group: the CRIU machinery and kernel interfaces it exercises. */
  readonly why: string;
}

export const ZDTM_GROUPS: Readonly<Record<ZdtmGroup, ZdtmGroupInfo>> = {
  "process-tree": {
    title: "process trees, threads, sessions",
    why: "restore recreates every task with its original PID (clone3 set_tid, CHECKPOINT_RESTORE), its threads, session and process group; zombies and subreapers keep their place in the tree",
  },
  signals: {
    title: "signals, pending and blocked",
    why: "pending signals are read with PTRACE_PEEKSIGINFO and queued again, blocked masks and alternate stacks are restored per thread; a traced task must be refused",
  },
  pipes: {
    title: "pipes and FIFOs",
    why: "pipe buffers are drained with splice and refilled, FIFOs are reopened by path with their data",
  },
  "unix-sockets": {
    title: "unix sockets",
    why: "stream, datagram and seqpacket sockets and socketpairs are found through UNIX_DIAG, their queues and in-flight descriptors (SCM_RIGHTS) are restored",
  },
  tcp: {
    title: "TCP and listening sockets over lo",
    why: "established connections are dumped with TCP repair mode while CRIU's iptables lock (the iptables-lock feature) holds the traffic; listening sockets come back through INET_DIAG",
  },
  files: {
    title: "files, locks and offsets",
    why: "open, shared and unlinked files keep their offsets, sizes and contents; POSIX locks are read from /proc/locks and taken again (--file-locks); the working directory survives",
  },
  memory: {
    title: "memory mappings",
    why: "private, shared, anonymous and file-backed mappings, protections, copy-on-write sharing, memfd and hugetlb memfd are read through /proc/PID/pagemap and map_files",
  },
  "event-fds": {
    title: "eventfd, epoll, signalfd, timerfd, inotify, fanotify",
    why: "each descriptor kind has its own dump code reading fdinfo (and kcmp for epoll targets); watches are dumped as file handles (FHANDLE)",
  },
  timers: {
    title: "POSIX timers and itimers",
    why: "timer_create timers and setitimer intervals are restored with their remaining time and keep firing",
  },
  "futex-rseq": {
    title: "futexes, robust lists, rseq, membarrier",
    why: "robust futex lists, the rseq area glibc registers per thread (PTRACE_GET_RSEQ_CONFIGURATION) and membarrier registrations are per-task state CRIU restores",
  },
  "sysv-ipc": {
    title: "SysV shared memory, semaphores, message queues",
    why: "SysV objects are dumped as part of their IPC namespace (IPC_NS, SYSVIPC): these programs run in namespaces of their own",
  },
  namespaces: {
    title: "UTS, IPC and PID namespaces",
    why: "a container's hostname, IPC namespace and PID namespace are dumped and recreated (UTS_NS, IPC_NS, PID_NS)",
  },
  "pre-dump": {
    title: "iterative dumps (pre-dump)",
    why: "criu pre-dump copies memory while the task runs and the final dump takes only pages written since, found by soft-dirty bits (MEM_SOFT_DIRTY): the pre-dump feature, impossible where the architecture has no soft-dirty tracking",
  },
};

/** How the program is checkpointed: one dump, as zdtm.py does by default, or two pre-dumps first (zdtm.py --pre 2). */
export type ZdtmMode = "dump" | "pre-dump";

/** Where a program can run at all, whatever the kernel's options: a fact of the architecture or of the program. */
export interface ZdtmArchCondition {
  readonly holds: (arch: ArchInfo) => boolean;
  /** Why the program cannot run where the condition does not hold (the kernel or ZDTM fact). */
  readonly reason: string;
}

export interface ZdtmTest {
  /** The program in test/zdtm/static. */
  readonly program: string;
  /** Its row in the results table. */
  readonly group: ZdtmGroup;
  /** br-criu features whose kernel options (and test-system tools) the program needs beyond the required ones. */
  readonly needs: readonly string[];
  /** One dump, or pre-dumps first. */
  readonly mode: ZdtmMode;
  /** Architectures the program cannot run on, with the reason. */
  readonly onlyWhere?: ZdtmArchCondition;
}

const test = (
  program: string,
  group: ZdtmGroup,
  needs: readonly string[] = [],
  mode: ZdtmMode = "dump",
  onlyWhere?: ZdtmArchCondition,
): ZdtmTest => ({ program, group, needs, mode, ...(onlyWhere ? { onlyWhere } : {}) });

/** The architectures a program's own syscall numbers are right for. */
const syscallNumbersFor = (arches: readonly ArchName[], what: string): ZdtmArchCondition => ({
  holds: (arch) => arches.includes(arch.name),
  reason: what,
});

/** memfd02-hugetlb sizes its hugetlb memfd at 2 MiB: elsewhere ftruncate refuses a size that is not a multiple of a huge page. */
const TWO_MIB_HUGE_PAGES: ZdtmArchCondition = {
  holds: (arch) => arch.qemu.hugePageKiB === 2048,
  reason: "it sizes its hugetlb memfd at 2 MiB, and this machine's huge pages are bigger (ftruncate fails with EINVAL)",
};

/** VM_DROPPABLE is VM_NONE unless CONFIG_64BIT (include/linux/mm.h), so mmap(MAP_DROPPABLE) fails with EOPNOTSUPP. */
const DROPPABLE_MAPPINGS: ZdtmArchCondition = {
  holds: (arch) => arch.kconfig.sixtyFourBit,
  reason: "it maps MAP_DROPPABLE memory, which Linux has only on 64-bit kernels (VM_DROPPABLE, include/linux/mm.h)",
};

/** The pre-dump feature is what makes iterative dumps possible: every pre-dump run needs it. */
const preDump = (program: string): ZdtmTest => test(program, "pre-dump", ["pre-dump"], "pre-dump");

export const ZDTM_SELECTION: readonly ZdtmTest[] = [
  test("sleeping00", "process-tree"),
  test("pstree", "process-tree"),
  test("zombie00", "process-tree"),
  test("pthread00", "process-tree"),
  test("session00", "process-tree"),
  test("child_subreaper", "process-tree"),
  test("sigpending", "signals"),
  test("sigaltstack", "signals"),
  test("ptrace_sig", "signals"),
  test("pipe00", "pipes"),
  test("fifo", "pipes"),
  test("fifo-rowo-pair", "pipes"),
  test("sockets00", "unix-sockets"),
  test("sockets00-seqpacket", "unix-sockets"),
  test("sockets_dgram", "unix-sockets"),
  test("sockets_spair", "unix-sockets"),
  test("scm00", "unix-sockets"),
  test("socket-tcp", "tcp", ["iptables-lock"]),
  test("socket-tcpbuf", "tcp", ["iptables-lock"]),
  test("socket_listen", "tcp"),
  test("write_read00", "files"),
  test("file_shared", "files"),
  test("unlink_fstat01", "files"),
  test("file_locks00", "files"),
  test("fd_offset", "files"),
  test("cwd00", "files"),
  test("maps00", "memory"),
  test("maps02", "memory", [], "dump", DROPPABLE_MAPPINGS),
  test("mprotect00", "memory"),
  test("shmemfd", "memory"),
  test("memfd00", "memory"),
  test("cow00", "memory"),
  test("memfd02-hugetlb", "memory", ["hugetlbfs"], "dump", TWO_MIB_HUGE_PAGES),
  test("eventfs00", "event-fds"),
  test("epoll", "event-fds"),
  test("signalfd00", "event-fds"),
  test("timerfd", "event-fds"),
  test("inotify04", "event-fds"),
  test(
    "fanotify00",
    "event-fds",
    ["fanotify"],
    "dump",
    syscallNumbersFor(
      ["x86_64", "aarch64", "powerpc64le", "riscv64"],
      "its own fanotify syscall numbers fall back to i386's, and on 32-bit arm 338 is set_robust_list (fanotify_init fails with EINVAL): a ZDTM bug",
    ),
  ),
  test("posix_timers", "timers"),
  test("timers", "timers"),
  test("futex", "futex-rseq"),
  test("futex-rl", "futex-rseq"),
  test("rseq00", "futex-rseq"),
  test("membarrier", "futex-rseq"),
  test("shm", "sysv-ipc"),
  test("sem", "sysv-ipc"),
  test("msgque", "sysv-ipc"),
  test("utsname", "namespaces"),
  test("ipc_namespace", "namespaces"),
  preDump("maps00"),
  preDump("pthread00"),
];

/**
 * How a test fails when it needs a feature the architecture cannot have,
 * as a pattern over the runner's log lines for it: an expected failure
 * counts only when it fails this way, not for any other reason.
 */
export const ZDTM_FAILURE_EVIDENCE: Readonly<Record<string, { readonly pattern: RegExp; readonly what: string }>> = {
  // task_reset_dirty_track: BUG_ON(!kdat.has_dirty_track) (criu/mem.c).
  "pre-dump": { pattern: /BUG at criu\/mem\.c/, what: "CRIU's BUG in criu/mem.c without dirty tracking" },
  // Without HUGETLBFS, hugetlb_file_setup() is ERR_PTR(-ENOSYS) (include/linux/hugetlb.h).
  hugetlbfs: { pattern: /memfd_create.*errno = 38/, what: "memfd_create(MFD_HUGETLB) failing with ENOSYS" },
};

/** How a test is named in reports: the program, and the mode when it is not a plain dump. */
export function zdtmTestId(zdtmTest: Pick<ZdtmTest, "program" | "mode">): string {
  return zdtmTest.mode === "dump" ? zdtmTest.program : `${zdtmTest.program}/${zdtmTest.mode}`;
}

/**
 * What a board must make of a test, by the model:
 *  - pass: everything it needs is in the board's kernel;
 *  - fail: it needs a feature the architecture cannot have; it is run anyway,
 *    and must fail, which tests the model's arch truth;
 *  - not-run: the program cannot run on the architecture at all (onlyWhere),
 *    or it needs a feature the stack does not enable (its options are not
 *    in the kernel), so its result would say nothing.
 */
export type ZdtmExpectation =
  | { readonly outcome: "pass" }
  | { readonly outcome: "fail"; readonly feature: string; readonly reason: string }
  | { readonly outcome: "not-run"; readonly reason: string };

/** What the expectation reads of a board. */
export interface ZdtmBoard {
  readonly arch: ArchInfo;
  readonly features: readonly Pick<FeatureStatus, "name" | "available" | "enabled" | "reason">[];
}

export function zdtmExpectation(board: ZdtmBoard, zdtmTest: Pick<ZdtmTest, "needs" | "onlyWhere">): ZdtmExpectation {
  const condition = zdtmTest.onlyWhere;
  if (condition && !condition.holds(board.arch)) return { outcome: "not-run", reason: condition.reason };
  for (const need of zdtmTest.needs) {
    const status = board.features.find((f) => f.name === need);
    if (!status) throw new Error(`ZDTM selection: "${need}" is not a br-criu feature (packages/model/src/zdtm.ts)`);
    if (!status.available)
      return { outcome: "fail", feature: need, reason: status.reason ?? `${need} is impossible here` };
    if (!status.enabled)
      return { outcome: "not-run", reason: `the stack does not enable the ${need} feature (br-criu:criuFeatures)` };
  }
  return { outcome: "pass" };
}
