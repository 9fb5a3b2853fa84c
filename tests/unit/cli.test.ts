/** The br-criu CLI: plan, diff and bad input, on temporary projects. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, makeProject, runCli, stackYaml } from "../support/project";
import { quoted } from "../support/hostile";

/** Runs `plan --out` on a project with one bad stack and checks the one-paragraph error. */
async function expectRefused(keys: Record<string, string>, expected: { key: string; message: RegExp; fix: RegExp }) {
  const root = makeProject({ bad: stackYaml(keys) });
  const out = join(root, "out");
  const result = await runCli(["plan", "bad", "--out", out], root);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.ok(result.stderr.startsWith(`stacks/Pulumi.bad.yaml: br-criu:${expected.key}: `), result.stderr);
  assert.match(result.stderr, expected.message);
  assert.match(result.stderr, expected.fix);
  assert.equal(existsSync(out), false, "nothing is written for a bad stack");
}

test("unknown stack lists the known ones", async () => {
  const result = await runCli(["plan", "qemu-mips"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^stacks\/Pulumi\.qemu-mips\.yaml: unknown stack "qemu-mips".*Fix: use one of: qemu-aarch64, qemu-arm, qemu-ppc64le, qemu-riscv64, qemu-x86_64/,
  );
});

test("unknown key is named with the allowed keys", () =>
  expectRefused(
    { ...quoted, kernelVerison: '"6.12.91"' },
    { key: "kernelVerison", message: /unknown key "kernelVerison"/, fix: /allowed keys: .*kernelVersion/ },
  ));

test("wrong type", () =>
  expectRefused(
    { ...quoted, reproducible: '"yes"' },
    { key: "reproducible", message: /expected boolean, got string "yes"/, fix: /set it to a boolean/ },
  ));

test("unsupported architecture", () =>
  expectRefused(
    { ...quoted, arch: "mips" },
    {
      key: "arch",
      message: /"mips" is not supported: CRIU's MIPS support/,
      fix: /use one of: aarch64, arm, powerpc64le, riscv64, x86_64/,
    },
  ));

test("kernel 5.10 with glibc", () =>
  expectRefused(
    { ...quoted, kernelVersion: '"5.10.230"' },
    {
      key: "kernelVersion",
      message: /Linux 5\.10\.230 lacks PTRACE_GET_RSEQ_CONFIGURATION/,
      fix: /GLIBC_TUNABLES=glibc\.pthread\.rseq=0/,
    },
  ));

test("feature impossible on the architecture", () =>
  expectRefused(
    { ...quoted, arch: "aarch64", criuFeatures: "[pre-dump]" },
    { key: "criuFeatures[0]", message: /"pre-dump" is impossible on aarch64/, fix: /best-effort/ },
  ));

test("invalid YAML names the file", async () => {
  const root = makeProject({ broken: "config:\n  br-criu:board: [unclosed\n" });
  const result = await runCli(["plan", "broken"], root);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^stacks\/Pulumi\.broken\.yaml: not valid YAML/);
});

test("--all with one bad stack reports it and writes nothing", async () => {
  const root = makeProject({ bad: stackYaml({ ...quoted, arch: "s390x" }) }, { withRealStacks: true });
  const out = join(root, "out");
  const result = await runCli(["plan", "--all", "--out", out], root);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Pulumi\.bad\.yaml: br-criu:arch: "s390x" is not supported/);
  assert.equal(existsSync(out), false);
});

test("usage errors exit 2", async () => {
  assert.equal((await runCli(["plan"])).code, 2);
  assert.equal((await runCli(["plan", "qemu-arm", "--bogus"])).code, 2);
  assert.equal((await runCli(["frobnicate"])).code, 2);
});

test("all-stacks refuses another operation and a --parallel that is not a count, before touching a stack", async () => {
  for (const argv of [["all-stacks"], ["all-stacks", "refresh"], ["all-stacks", "up", "extra"]]) {
    const ran = await runCli(argv);
    assert.equal(ran.code, 2, argv.join(" "));
    assert.match(ran.stderr, /all-stacks takes one of up, preview, destroy/);
  }
  for (const parallel of ["0", "-2", "two", "1;id"]) {
    const ran = await runCli(["all-stacks", "up", "--parallel", parallel]);
    assert.equal(ran.code, 2, parallel);
    assert.match(ran.stderr, /--parallel ".*" is not a whole number from 1 to 9999/);
    assert.doesNotMatch(ran.stdout, /started/);
  }
});

test("test-kernels needs stacks or --all, and refuses an unknown stack before building anything", async () => {
  const none = await runCli(["test-kernels"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /test-kernels takes stack names, --all, or both/);
  const unknown = await runCli(["test-kernels", "qemu-x86_64", "qemu-sparc"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /qemu-sparc/);
  assert.doesNotMatch(unknown.stdout, /test kernel/);
});

test("plan --all --out writes every board's files; --json is machine-readable", async () => {
  const root = makeProject({}, { withRealStacks: true });
  const out = join(root, "out");
  const result = await runCli(["plan", "--all", "--out", out], root);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readdirSync(join(out, "configs")), [
    "qemu_aarch64_criu_defconfig",
    "qemu_arm_criu_defconfig",
    "qemu_ppc64le_criu_defconfig",
    "qemu_riscv64_criu_defconfig",
    "qemu_x86_64_criu_defconfig",
  ]);
  const json = JSON.parse((await runCli(["plan", "qemu-arm", "--json"], root)).stdout);
  assert.equal(json[0].criu.makeVars.SUBARCH, "armv7");
  assert.equal(json[0].features.find((f: { name: string }) => f.name === "time-ns").available, false);
});

test("npm run plan output is byte-identical across two runs", () => {
  const plan = () =>
    spawnSync("npx", ["tsx", "packages/cli/src/main.ts", "plan", "--all"], { cwd: REPO_ROOT, encoding: "utf8" });
  const first = plan();
  const second = plan();
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, second.stdout);
  assert.match(first.stdout, /qemu-x86_64: /);
});

test("diff between two stacks shows per-option changes", async () => {
  const result = await runCli(["diff", "qemu-x86_64", "qemu-ppc64le"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^qemu-x86_64 -> qemu-ppc64le\nBuildroot defconfig:/);
  assert.match(result.stdout, / {2}- BR2_x86_64=y\n/);
  assert.match(result.stdout, / {2}\+ BR2_powerpc64le=y\n/);
  assert.match(result.stdout, / {2}~ BR2_LINUX_KERNEL_DEFCONFIG: "x86_64" -> "pseries_le"\n/);
  assert.match(result.stdout, /Kernel fragment:\n {2}\(no changes\)\n$/);
});

test("diff --since compares a stack with its committed version", async () => {
  const root = makeProject({ b: stackYaml(quoted) });
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "pipe" });
  git("init", "-q");
  git("-c", "user.name=t", "-c", "user.email=t@t", "add", ".");
  git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base");
  writeFileSync(
    join(root, "stacks", "Pulumi.b.yaml"),
    stackYaml({
      ...quoted,
      kernelVersion: '"6.12.92"',
      kernelSha256: '"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"',
      rootfsPackages: "[htop]",
      criuFeatures: "[aio]",
    }),
  );
  const result = await runCli(["diff", "b", "--since", "HEAD"], root);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^b: HEAD -> working tree\n/);
  assert.match(result.stdout, /~ BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE: "6\.12\.91" -> "6\.12\.92"/);
  assert.match(result.stdout, /\+ BR2_PACKAGE_HTOP=y/);
  assert.match(result.stdout, /- CONFIG_FANOTIFY=y/);
  const missing = await runCli(["diff", "b", "--since", "no-such-ref"], root);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /git revision "no-such-ref" does not exist/);
});

test("the CLI entry point runs as a process and sets the exit code", () => {
  const result = spawnSync("npx", ["tsx", "packages/cli/src/main.ts", "plan", "no-such-stack"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /unknown stack "no-such-stack"/);
});

test("check-buildroot-config passes on a config that kept every generated option and names the ones lost", async () => {
  const { renderDefconfig } = await import("@br-criu/generators");
  const { loadProject, loadStack, resolveStack } = await import("@br-criu/stacks");
  const project = loadProject(REPO_ROOT);
  const stack = loadStack(project, "qemu-arm");
  const defconfig = renderDefconfig(resolveStack(stack), stack.file);
  const dir = makeProject({});
  // Buildroot's resolved .config: the defconfig's options plus everything Kconfig added.
  const resolved = join(dir, "resolved.config");
  writeFileSync(resolved, `${defconfig}BR2_USE_MMU=y\nBR2_ARM_CPU_ARMV7A=y\n`);
  const ok = await runCli(["check-buildroot-config", "qemu-arm", "--config", resolved]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^qemu-arm: all \d+ generated Buildroot options kept\n$/);
  writeFileSync(
    resolved,
    defconfig
      .replace("BR2_PACKAGE_CHECKPOINT_RESTORE=y", "# BR2_PACKAGE_CHECKPOINT_RESTORE is not set")
      .replace('BR2_TARGET_GENERIC_HOSTNAME="br-criu"', 'BR2_TARGET_GENERIC_HOSTNAME="buildroot"'),
  );
  const lost = await runCli(["check-buildroot-config", "qemu-arm", "--config", resolved]);
  assert.equal(lost.code, 1);
  assert.match(
    lost.stderr,
    /^stacks\/Pulumi\.qemu-arm\.yaml: the resolved Buildroot configuration \S+ lost generated options:/,
  );
  assert.match(lost.stderr, /BR2_PACKAGE_CHECKPOINT_RESTORE=y was dropped by Buildroot's Kconfig/);
  assert.match(lost.stderr, /BR2_TARGET_GENERIC_HOSTNAME is "buildroot", not "br-criu"/);
});

test("--out on a regular file and an unreadable --project are one-line errors with exit 2", async () => {
  const root = makeProject({ ok: stackYaml(quoted) });
  const file = join(root, "a-file");
  writeFileSync(file, "");
  const onFile = await runCli(["plan", "ok", "--out", file], root);
  assert.equal(onFile.code, 2);
  assert.equal(
    onFile.stderr,
    `br-criu: --out ${file}: is a file, not a directory; name a directory (it is created if missing)\n`,
  );
  const noProject = await runCli(["plan", "ok", "--project", join(root, "missing")], root);
  assert.equal(noProject.code, 2);
  assert.equal(noProject.stderr.split("\n").length, 2, noProject.stderr);
  // As a process: one line, no stack trace.
  const proc = spawnSync(
    join(REPO_ROOT, "node_modules/.bin/tsx"),
    [join(REPO_ROOT, "packages/cli/src/main.ts"), "plan", "ok", "--out", file],
    { cwd: root, encoding: "utf8" },
  );
  assert.equal(proc.stderr, onFile.stderr);
  assert.equal(proc.status, 2);
  assert.doesNotMatch(proc.stderr, /\n\s+at /);
});

test("plan --out lists the files it wrote", async () => {
  const root = makeProject({ ok: stackYaml(quoted) });
  const result = await runCli(["plan", "ok", "--out", "out"], root);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^wrote out\/board\/test-board\/linux-criu\.fragment$/m);
  assert.match(result.stdout, /^wrote out\/board\/test-board\/start-qemu\.sh$/m);
  assert.match(result.stdout, /^wrote out\/configs\/test_board_criu_defconfig$/m);
  const json = await runCli(["plan", "ok", "--out", "out2", "--json"], root);
  assert.doesNotThrow(() => JSON.parse(json.stdout));
  assert.match(json.stderr, /^wrote out2\/configs\/test_board_criu_defconfig$/m);
});
