/**
 * Runtime tier: the x86_64 test kernel (minimal CRIU profile, built or taken
 * from the cache) boots under QEMU TCG with an initramfs holding busybox and
 * Debian's criu 3.17.1; CRIU must check, dump, freeze, restore and resume a
 * live process. Needs linux-source-6.12, qemu-system-x86, busybox-static and
 * criu (Debian packages; .ci/run installs them), and for aarch64 the cross
 * compiler, qemu-system-arm, qemu-user and Debian's arm64 packages. Fails,
 * never skips, without.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, runCli } from "../support/project";

const work = mkdtempSync(join(tmpdir(), "br-criu-runtime-"));

interface BootReport {
  passed: boolean;
  criuCheck: boolean;
  dumpRestore: boolean;
  firstFailure: string | null;
  steps: { step: string; ok: boolean; ms: number; detail: string }[];
  log: string[];
  consoleLog: string;
}

async function bootTest(...extra: string[]): Promise<{ code: number; report: BootReport; stderr: string }> {
  return bootTestOf("qemu-x86_64", ...extra);
}

async function bootTestOf(stack: string, ...extra: string[]): Promise<{ code: number; report: BootReport; stderr: string }> {
  const result = await runCli(["boot-test", stack, "--json", "--work", work, ...extra], REPO_ROOT);
  return { code: result.code, report: JSON.parse(result.stdout || "{}"), stderr: result.stderr };
}

test("x86_64: criu check, dump, frozen counter, restore, counter advances", async () => {
  const { code, report, stderr } = await bootTest();
  assert.equal(code, 0, `${stderr}\n${JSON.stringify(report, null, 2)}`);
  assert.equal(report.passed, true);
  assert.equal(report.criuCheck, true);
  assert.equal(report.dumpRestore, true);
  assert.deepEqual(report.steps.map((s) => [s.step, s.ok]), [
    ["criu-check", true],
    ["dump", true],
    ["frozen", true],
    ["restore", true],
    ["advance", true],
  ]);
  const [from, to] = /counter (\d+) -> (\d+)/.exec(report.steps[4]!.detail)!.slice(1).map(Number);
  assert.ok(to! > from!, report.steps[4]!.detail);
});

test("x86_64 without ADVISE_SYSCALLS: the report shows restore failing on madvise", async () => {
  const { code, report } = await bootTest("--fragment", "tests/runtime/no-advise-syscalls.fragment");
  assert.equal(code, 1);
  assert.equal(report.passed, false);
  assert.equal(report.criuCheck, true);
  assert.equal(report.firstFailure, "restore");
  assert.deepEqual(report.steps.map((s) => [s.step, s.ok]), [
    ["criu-check", true],
    ["dump", true],
    ["frozen", true],
    ["restore", false],
  ]);
  assert.match([report.steps[3]!.detail, ...report.log].join("\n"), /madvise/i);
});

test("aarch64 (stretch): the same acceptance on the arm64 test kernel under qemu-system-aarch64, with Debian's arm64 criu", async () => {
  const { code, report, stderr } = await bootTestOf("qemu-aarch64", "--timeout", "600");
  assert.equal(code, 0, `${stderr}\n${JSON.stringify(report, null, 2)}`);
  assert.deepEqual(report.steps.map((s) => [s.step, s.ok]), [
    ["criu-check", true],
    ["dump", true],
    ["frozen", true],
    ["restore", true],
    ["advance", true],
  ]);
});
