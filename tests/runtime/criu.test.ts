/**
 * Runtime tier: the x86_64 test kernel (minimal CRIU profile, built or taken
 * from the cache) boots under QEMU TCG with an initramfs holding busybox and
 * CRIU 4.2.1 as the package tier built it with the package's recipe (and the
 * libraries of the sysroot it was built against); CRIU must check, dump,
 * freeze, restore and resume a live process, and `criu check --feature`
 * must agree with the model's arch truth. The same runs on the other four
 * boards' test kernels: aarch64, arm and ppc64le with the recipe's
 * cross-built CRIU, riscv64 with Debian unstable's criu binary (bookworm has
 * no riscv64). Needs linux-source-6.12, the cross compilers, qemu-system-*,
 * qemu-user, opensbi, busybox-static and Debian's packages of each
 * architecture (.ci/setup installs them). Fails, never skips, without.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { BootTestReport } from "@br-criu/runtime";
import { REPO_ROOT, runCli } from "../support/project";
import { scratchDir } from "../support/scratch";

const work = scratchDir("runtime");

/** The acceptance steps of a passing run. */
const ALL_STEPS_PASS = [
  ["criu-check", true],
  ["dump", true],
  ["frozen", true],
  ["restore", true],
  ["advance", true],
];

type BootReport = BootTestReport;

/** Every check the model expects was reported, and each as the model says; a mismatch names the feature. */
function assertFeaturesAsModelled(report: BootReport, mustFail: string[]): void {
  assert.ok(report.features.length > 0, "the test system reported no criu check --feature results");
  const mismatches = report.features
    .filter((f) => f.expected !== f.reported)
    .map((f) => `${f.check} (${f.feature || "every board"}): model says ${f.expected}, CRIU says ${f.reported}`);
  assert.deepEqual(mismatches, []);
  assert.ok(
    report.features.some((f) => f.check === "get_rseq_conf" && f.reported === "pass"),
    "get_rseq_conf passes",
  );
  assert.deepEqual(
    report.features.filter((f) => f.reported === "fail").map((f) => f.check),
    mustFail,
  );
}

async function bootTest(...extra: string[]): Promise<{ code: number; report: BootReport; stderr: string }> {
  return bootTestOf("qemu-x86_64", ...extra);
}

async function bootTestOf(
  stack: string,
  ...extra: string[]
): Promise<{ code: number; report: BootReport; stderr: string }> {
  const result = await runCli(["boot-test", stack, "--json", "--work", work, ...extra], REPO_ROOT);
  return { code: result.code, report: JSON.parse(result.stdout || "{}"), stderr: result.stderr };
}

test("x86_64: criu check, dump, frozen counter, restore, counter advances", async () => {
  const { code, report, stderr } = await bootTest();
  assert.equal(code, 0, `${stderr}\n${JSON.stringify(report, null, 2)}`);
  assert.equal(report.passed, true);
  assert.equal(report.criuCheck, true);
  assert.equal(report.dumpRestore, true);
  assert.deepEqual(
    report.steps.map((s) => [s.step, s.ok]),
    ALL_STEPS_PASS,
  );
  const [from, to] = /counter (\d+) -> (\d+)/.exec(report.steps[4]!.detail)!.slice(1).map(Number);
  assert.ok(to! > from!, report.steps[4]!.detail);
  // Soft-dirty tracking exists on x86_64: every feature check passes.
  assertFeaturesAsModelled(report, []);
});

test("x86_64 without ADVISE_SYSCALLS: CRIU refuses the kernel, naming madvise", async () => {
  // CRIU 4.2.1 probes madvise while detecting kernel features (kerndat's
  // has_madv_guard), so `criu check` already fails; 3.17 only failed at restore.
  const { code, report } = await bootTest("--fragment", "tests/runtime/no-advise-syscalls.fragment");
  assert.equal(code, 1);
  assert.equal(report.passed, false);
  assert.equal(report.criuCheck, false);
  assert.equal(report.firstFailure, "criu-check");
  assert.deepEqual(
    report.steps.map((s) => [s.step, s.ok]),
    [["criu-check", false]],
  );
  assert.match([report.steps[0]!.detail, ...report.log].join("\n"), /madvise failed .*Function not implemented/);
});

/** The other four boards: the same acceptance, and the checks each architecture cannot pass. */
const OTHER_BOARDS = [
  {
    stack: "qemu-aarch64",
    title: "aarch64: virt (Cortex-A53) with the recipe's cross-built CRIU",
    criu: /CRIU from the package's recipe, /,
    // arm64 selects no HAVE_ARCH_SOFT_DIRTY: CRIU must find no memory dirty tracking.
    failing: ["mem_dirty_track"],
  },
  {
    stack: "qemu-arm",
    title: "arm: vexpress-a9 (Cortex-A9, armhf) with the recipe's cross-built CRIU",
    criu: /CRIU from the package's recipe, /,
    // 32-bit arm: no soft-dirty, no time namespaces, no huge pages without LPAE.
    failing: ["mem_dirty_track", "timens", "memfd_hugetlb"],
  },
  {
    stack: "qemu-ppc64le",
    title: "ppc64le: pseries (POWER8) with the recipe's cross-built CRIU",
    criu: /CRIU from the package's recipe, /,
    // Book3S-64 has soft-dirty tracking, and the machine offers 16M pages: every check passes.
    failing: [],
  },
  {
    stack: "qemu-riscv64",
    title: "riscv64: virt with OpenSBI and Debian unstable's CRIU 4.2.1",
    criu: /CRIU from Debian unstable's criu 4\.2\.1 binary \(riscv64\)/,
    // riscv64 selects no HAVE_ARCH_SOFT_DIRTY.
    failing: ["mem_dirty_track"],
  },
];

for (const board of OTHER_BOARDS) {
  test(board.title, async () => {
    const { code, report, stderr } = await bootTestOf(board.stack, "--timeout", "900");
    assert.equal(code, 0, `${stderr}\n${JSON.stringify(report, null, 2)}`);
    assert.match(stderr, board.criu);
    assert.deepEqual(
      report.steps.map((s) => [s.step, s.ok]),
      ALL_STEPS_PASS,
    );
    assertFeaturesAsModelled(report, board.failing);
  });
}
