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
 *
 * Every board's boot then runs CRIU's own ZDTM programs (the model's
 * selection, packages/model/src/zdtm.ts): each outcome must be what the
 * model says, and the table of all boards must be docs/zdtm-results.md
 * (BR_CRIU_UPDATE_DOCS=1 writes it instead).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BOOTED_LINE,
  ZDTM_RESULTS_DOC,
  renderZdtmResults,
  type BoardZdtmOutcomes,
  type BootTestReport,
  type ZdtmOutcome,
} from "@br-criu/runtime";
import { stackTestKernel } from "@br-criu/kernel";
import { loadProject, loadStack, resolveStack } from "@br-criu/stacks";
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

type BootReport = BootTestReport & { readonly zdtm?: readonly ZdtmOutcome[] };

/** Each board's ZDTM outcomes, in the order the boards ran, for the results document. */
const zdtmByBoard = new Map<string, BoardZdtmOutcomes>();

/** Every ZDTM test came out as the model says; a failure shows its reason and CRIU's log. */
function assertZdtmAsModelled(stack: string, arch: string, report: BootReport): void {
  assert.ok(report.zdtm && report.zdtm.length > 0, `${stack}: no ZDTM outcomes`);
  zdtmByBoard.set(stack, { arch, outcomes: report.zdtm });
  const failed = report.zdtm
    .filter((o) => o.outcome === "failed")
    .map((o) => [`${o.id}: ${o.reason}`, ...(o.log ?? []).slice(-15).map((l) => `  | ${l}`)].join("\n"));
  assert.equal(failed.join("\n"), "", `${stack}: ZDTM tests that did not do what the model says`);
  assert.ok(report.zdtm.filter((o) => o.outcome === "passed").length >= 35, `${stack}: fewer than 35 ZDTM passes`);
}

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

/**
 * QEMU's hard limit on one boot: ZDTM's runs take two to three minutes per
 * board alone, several times that while two boards and a kernel build share
 * the cores.
 */
const BOOT_TIMEOUT_SECONDS = "1500";

/** Two boards boot at once: TCG runs each guest on one core. */
const BOARDS_AT_ONCE = 2;

/**
 * boot-test of `stack` in a work directory of the run's own (`run`): boots
 * that run at once must not share the initramfs and console log files.
 */
async function bootTestOf(
  stack: string,
  run: string,
  ...extra: string[]
): Promise<{ code: number; report: BootReport; stderr: string }> {
  const runWork = join(work, run);
  const args = ["boot-test", stack, "--json", "--work", runWork, "--timeout", BOOT_TIMEOUT_SECONDS, ...extra];
  const result = await runCli(args, REPO_ROOT);
  return { code: result.code, report: JSON.parse(result.stdout || "{}"), stderr: result.stderr };
}

/**
 * A boot's console for a failure message: first one line on how far the guest
 * got (CI output may keep only the head and tail of a long message), then the
 * log's last lines.
 */
function consoleTail(report: BootReport): string {
  if (!report.consoleLog || !existsSync(report.consoleLog)) return "(no console log)";
  const lines = readFileSync(report.consoleLog, "utf8").split("\n");
  const panic = lines.find((line) => line.includes("Kernel panic"));
  const summary = [
    `console: ${lines.length} lines`,
    `init reached: ${lines.some((line) => line.startsWith(BOOTED_LINE)) ? "yes" : "no"}`,
    `panic: ${panic ?? "none"}`,
    `timed out: ${report.timedOut}`,
  ].join("; ");
  return [summary, `last console lines of ${report.consoleLog}:`, ...lines.slice(-40)].join("\n");
}

/** The other four boards: the same acceptance, and the checks each architecture cannot pass. */
const OTHER_BOARDS = [
  {
    stack: "qemu-aarch64",
    arch: "aarch64",
    title: "aarch64: virt (Cortex-A53) with the recipe's cross-built CRIU",
    criu: /CRIU from the package's recipe, /,
    // arm64 selects no HAVE_ARCH_SOFT_DIRTY: CRIU must find no memory dirty tracking.
    failing: ["mem_dirty_track"],
  },
  {
    stack: "qemu-arm",
    arch: "arm",
    title: "arm: vexpress-a9 (Cortex-A9, armhf) with the recipe's cross-built CRIU",
    criu: /CRIU from the package's recipe, /,
    // 32-bit arm: no soft-dirty, no time namespaces, no huge pages without LPAE.
    failing: ["mem_dirty_track", "timens", "memfd_hugetlb"],
  },
  {
    stack: "qemu-ppc64le",
    arch: "powerpc64le",
    title: "ppc64le: pseries (POWER8) with the recipe's cross-built CRIU",
    criu: /CRIU from the package's recipe, /,
    // Book3S-64 has soft-dirty tracking, and the machine offers 16M pages: every check passes.
    failing: [],
  },
  {
    stack: "qemu-riscv64",
    arch: "riscv64",
    title: "riscv64: virt with OpenSBI and Debian unstable's CRIU 4.2.1",
    criu: /CRIU from Debian unstable's criu 4\.2\.1 binary \(riscv64\)/,
    // riscv64 selects no HAVE_ARCH_SOFT_DIRTY.
    failing: ["mem_dirty_track"],
  },
];

/**
 * Every board's test kernel, built one after another from the start, so
 * that a kernel builds while the boards before it run under QEMU (TCG keeps
 * one core busy, a build both). Each board's test waits for its own kernel
 * before boot-test takes it from the cache (they share a build tree).
 */
const project = loadProject(REPO_ROOT);
const kernelsReady = new Map<string, Promise<unknown>>();
let previousKernel: Promise<unknown> = Promise.resolve();
for (const stack of ["qemu-x86_64", ...OTHER_BOARDS.map((b) => b.stack)]) {
  const ready = previousKernel.then(() => stackTestKernel(stack, resolveStack(loadStack(project, stack))));
  // Its test reports a failure; the next kernels are built all the same.
  ready.catch(() => undefined);
  kernelsReady.set(stack, ready);
  previousKernel = ready.catch(() => undefined);
}

describe("every board boots its test kernel", { concurrency: BOARDS_AT_ONCE }, () => {
  test("x86_64: criu check, dump, frozen counter, restore, counter advances; ZDTM", async () => {
    await kernelsReady.get("qemu-x86_64");
    const { code, report, stderr } = await bootTestOf("qemu-x86_64", "qemu-x86_64", "--zdtm");
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
    assertZdtmAsModelled("qemu-x86_64", "x86_64", report);
  });

  test("x86_64 without ADVISE_SYSCALLS: CRIU refuses the kernel, naming madvise", async () => {
    // CRIU 4.2.1 probes madvise while detecting kernel features (kerndat's
    // has_madv_guard), so `criu check` already fails; 3.17 only failed at restore.
    // Its kernel is the x86_64 one less an option, built in the same tree: after it, not beside it.
    await kernelsReady.get("qemu-x86_64");
    const { code, report, stderr } = await bootTestOf(
      "qemu-x86_64",
      "qemu-x86_64-no-advise",
      "--fragment",
      "tests/runtime/no-advise-syscalls.fragment",
    );
    const why = `${stderr}\n${consoleTail(report)}`;
    assert.equal(code, 1, why);
    assert.equal(report.passed, false, why);
    assert.equal(report.criuCheck, false, why);
    assert.equal(report.firstFailure, "criu-check", why);
    assert.deepEqual(
      report.steps.map((s) => [s.step, s.ok]),
      [["criu-check", false]],
      why,
    );
    assert.match([report.steps[0]!.detail, ...report.log].join("\n"), /madvise failed .*Function not implemented/);
  });

  for (const board of OTHER_BOARDS) {
    test(`${board.title}; ZDTM`, async () => {
      await kernelsReady.get(board.stack);
      const { code, report, stderr } = await bootTestOf(board.stack, board.stack, "--zdtm");
      assert.equal(code, 0, `${stderr}\n${JSON.stringify(report, null, 2)}`);
      assert.match(stderr, board.criu);
      assert.deepEqual(
        report.steps.map((s) => [s.step, s.ok]),
        ALL_STEPS_PASS,
      );
      assertFeaturesAsModelled(report, board.failing);
      assertZdtmAsModelled(board.stack, board.arch, report);
    });
  }
});

test(`every board's ZDTM outcomes are ${ZDTM_RESULTS_DOC}`, () => {
  const order = ["qemu-x86_64", ...OTHER_BOARDS.map((b) => b.stack)];
  const missing = order.filter((stack) => !zdtmByBoard.has(stack));
  assert.deepEqual(missing, [], "boards whose boot test did not report ZDTM outcomes");
  const table = renderZdtmResults(order.map((stack) => zdtmByBoard.get(stack)!));
  const path = join(REPO_ROOT, ZDTM_RESULTS_DOC);
  if (process.env["BR_CRIU_UPDATE_DOCS"] === "1") writeFileSync(path, table);
  assert.equal(readFileSync(path, "utf8"), table, `${ZDTM_RESULTS_DOC} is not what the boards did; see the diff`);
});
