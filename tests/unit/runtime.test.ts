/** The runtime runner's pure parts: console protocol, QEMU arguments, ELF reading. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveBoard } from "@br-criu/model";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  bootQemu,
  elfInterpreter,
  imageBootArgs,
  initramfsBootArgs,
  parseAcceptance,
  resolveInSysroot,
} from "@br-criu/runtime";
import { parseBootTestJson } from "@br-criu/planner";
import { renderBoardFiles } from "@br-criu/generators";
import { listStacks, loadProject, loadStack, resolveStack } from "@br-criu/stacks";
import { REPO_ROOT } from "../support/project";
import { scratchDir } from "../support/scratch";

const PASS = [
  "[    0.000000] Linux version 6.12.117",
  "BR-CRIU-BOOTED",
  "BR-CRIU-STEP criu-check ok 812",
  "BR-CRIU-STEP dump ok 1530 pid=42 counter=9",
  "BR-CRIU-STEP frozen ok 1004 counter=9",
  "BR-CRIU-STEP restore ok 620",
  "BR-CRIU-STEP advance ok 1003 counter 9 -> 19",
  "BR-CRIU-DONE ok",
].join("\r\n");

test("a passing console", () => {
  const report = parseAcceptance(PASS);
  assert.equal(report.passed, true);
  assert.equal(report.firstFailure, undefined);
  assert.deepEqual(
    report.steps.map((s) => s.step),
    ["criu-check", "dump", "frozen", "restore", "advance"],
  );
  assert.equal(report.steps[1]!.detail, "pid=42 counter=9");
});

test("a failing step, its log, and a console cut short", () => {
  const failed = parseAcceptance(
    [
      "BR-CRIU-STEP criu-check ok 1",
      "BR-CRIU-STEP dump ok 2",
      "BR-CRIU-STEP frozen ok 3",
      "BR-CRIU-STEP restore fail 4 Error (criu/pie/restorer.c:123): madvise failed: -38",
      "BR-CRIU-LOG (00.1) pie: 42: Error: madvise",
      "BR-CRIU-DONE fail",
    ].join("\n"),
  );
  assert.equal(failed.passed, false);
  assert.equal(failed.firstFailure, "restore");
  assert.deepEqual(failed.log, ["(00.1) pie: 42: Error: madvise"]);
  const cut = parseAcceptance("BR-CRIU-STEP criu-check ok 1\nBR-CRIU-STEP dump ok 2\n");
  assert.equal(cut.passed, false);
  assert.equal(cut.done, false);
  assert.equal(cut.firstFailure, "frozen");
  // A kernel that stops before userspace is a boot failure, not a failed `criu check`.
  const early = parseAcceptance("Linux version 6.12.118\nCommand line: console=ttyS0 panic=-1\n");
  assert.equal(early.firstFailure, "boot");
  assert.equal(parseAcceptance(PASS.replace("BR-CRIU-DONE ok", "")).passed, false, "no DONE line: not passed");
});

test("QEMU arguments for a test kernel and for a built image", () => {
  const result = resolveBoard({ board: "qemu-x86_64", description: "d", arch: "x86_64" });
  assert.ok(result.ok);
  const initramfs = initramfsBootArgs(result.board, { kernel: "/k/bzImage", initramfs: "/i/initramfs.cpio" });
  assert.equal(initramfs.binary, "qemu-system-x86_64");
  assert.equal(initramfs.args[initramfs.args.indexOf("-kernel") + 1], "/k/bzImage");
  assert.equal(initramfs.args[initramfs.args.indexOf("-initrd") + 1], "/i/initramfs.cpio");
  assert.equal(initramfs.args[initramfs.args.indexOf("-append") + 1], "console=ttyS0 panic=-1");
  assert.ok(!initramfs.args.includes("-drive"));
  const image = imageBootArgs(result.board);
  assert.equal(
    image.args[image.args.indexOf("-append") + 1],
    "console=ttyS0 rootwait root=/dev/vda panic=-1 br_criu.acceptance=1",
  );
  assert.ok(image.args.includes("file=rootfs.ext2,if=virtio,format=raw"));
});

test("the ELF interpreter of a dynamic executable, and a clear error for anything else", () => {
  assert.match(elfInterpreter(process.execPath), /^\/lib(64)?\/ld-linux/);
  assert.throws(() => elfInterpreter(__filename), /not a little-endian ELF/);
});

test("boot-test reports: JSON after other output, and a missing report is a failure that says so", () => {
  const report = {
    passed: true,
    criuCheck: true,
    dumpRestore: true,
    firstFailure: null,
    consoleLog: "/l",
    steps: [{ step: "criu-check", ok: true, ms: 1, detail: "" }],
    timings: {},
  };
  assert.deepEqual(parseBootTestJson(`noise\n${JSON.stringify(report)}`), report);
  const missing = parseBootTestJson("br-criu: internal error: spawn qemu-system-x86_64 ENOENT\n");
  assert.equal(missing.passed, false);
  assert.equal(missing.criuCheck, false);
  assert.match(missing.firstFailure!, /printed no report: br-criu: internal error: spawn qemu-system-x86_64 ENOENT/);
  assert.equal(parseBootTestJson("").firstFailure, "boot-test printed no report: (nothing)");
});

test("symlinks inside a foreign sysroot resolve inside it, absolute targets included", () => {
  const root = scratchDir("sysroot");
  mkdirSync(join(root, "lib/aarch64-linux-gnu"), { recursive: true });
  writeFileSync(join(root, "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"), "loader");
  symlinkSync("/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", join(root, "lib/ld-linux-aarch64.so.1"));
  symlinkSync("aarch64-linux-gnu/ld-linux-aarch64.so.1", join(root, "lib/relative.so"));
  assert.equal(
    resolveInSysroot(root, "/lib/ld-linux-aarch64.so.1"),
    join(root, "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"),
  );
  assert.equal(resolveInSysroot(root, "/lib/relative.so"), join(root, "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"));
  symlinkSync("loop", join(root, "lib/loop"));
  assert.throws(() => resolveInSysroot(root, "/lib/loop"), /too many symbolic links/);
});

test("every board gives its guest a virtio RNG, and its kernel fragment the driver behind it", () => {
  // Without one, getrandom() blocked each criu command for seconds on x86_64's pc and arm's vexpress-a9.
  const project = loadProject(REPO_ROOT);
  for (const name of listStacks(project)) {
    const stack = loadStack(project, name);
    const board = resolveStack(stack);
    const test = initramfsBootArgs(board, { kernel: "/k", initramfs: "/i", dtb: "/d" });
    const image = imageBootArgs(board);
    for (const args of [test.args, image.args])
      assert.ok(
        args.some((arg, i) => args[i - 1] === "-device" && arg.startsWith("virtio-rng")),
        `${name}: no -device virtio-rng-* in ${args.join(" ")}`,
      );
    const fragment = renderBoardFiles(board, stack.file).find((f) => f.path.endsWith("linux-criu.fragment"))!;
    assert.match(fragment.content, /^CONFIG_HW_RANDOM_VIRTIO=y$/m, `${name}: fragment lacks the virtio RNG driver`);
  }
});

test("QEMU is stopped as soon as the console shows the guest's last line, which stays whole", async () => {
  // The guest waits to be stopped after its last line (a reboot would drop what the
  // serial driver had not sent yet), so the host must stop it: SIGTERM, not the hard timeout.
  const dir = scratchDir("fake-qemu");
  const qemu = join(dir, "qemu-system-fake");
  const stopped = join(dir, "stopped-by-sigterm");
  writeFileSync(
    qemu,
    // Like QEMU: the last line's newline may not have come yet, and SIGTERM makes it say so on stderr.
    `#!/bin/sh\ntrap 'echo > ${stopped}; echo "qemu: terminating on signal 15" >&2; exit 0' TERM\n` +
      `echo report line\nprintf 'LAST 3'\nwhile :; do sleep 1; done\n`,
    { mode: 0o755 },
  );
  const boot = await bootQemu({
    binary: qemu,
    args: [],
    timeoutMs: 120_000,
    logFile: join(dir, "console.log"),
    doneMarker: /^LAST \d+$/m,
  });
  assert.equal(boot.timedOut, false);
  assert.ok(existsSync(stopped), "QEMU was not sent SIGTERM on the last line");
  assert.equal(boot.exitCode, 0);
  assert.match(boot.console, /^report line\nLAST 3\nqemu: terminating on signal 15$/m);
});
