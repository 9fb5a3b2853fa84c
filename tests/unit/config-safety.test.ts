/**
 * The hostile and broken inputs found when `plan` was tried as a new user and
 * as an attacker would: each is kept here exactly, and each is now refused
 * with a message naming the file, the key, the problem and the fix, or read
 * the way Pulumi reads it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadProject, loadStack, listStacks } from "@br-criu/stacks";
import { readRawConfig } from "../../components/internal/stack-config";
import { pulumiConfig } from "../support/mocks";
import { MINIMAL_X86, REPO_ROOT, makeProject, runCli, stackYaml } from "../support/project";

const quoted = Object.fromEntries(Object.entries(MINIMAL_X86).map(([k, v]) => [k, JSON.stringify(v)]));
const ARM = { ...quoted, arch: "arm", cpu: "cortex-a9", fpu: "vfpv3-d16", kernelDts: "arm/vexpress-v2p-ca9" };

/** `plan <stack> --out DIR` on a scratch project: refused, nothing written, the message matches. */
async function refused(keys: Record<string, string>, key: string, message: RegExp, fix?: RegExp): Promise<void> {
  const root = makeProject({ bad: stackYaml(keys) });
  const out = join(root, "out");
  const result = await runCli(["plan", "bad", "--out", out], root);
  assert.equal(result.code, 1, result.stdout);
  assert.ok(
    result.stderr.startsWith(`stacks/Pulumi.bad.yaml: ${key.includes(":") ? key : `br-criu:${key}`}: `),
    result.stderr,
  );
  assert.match(result.stderr, message);
  if (fix) assert.match(result.stderr, fix);
  assert.ok(!existsSync(out), "nothing is written");
}

test("$(...) in kernelFragments, rootfsOverlay or kernelDts is refused, naming the character", async () => {
  await refused(
    { ...quoted, kernelFragments: '["$(shell touch /tmp/x)"]' },
    "kernelFragments[0]",
    /character "\$" \(U\+0024\) at position 1 is not allowed/,
    /Fix: write a path relative to the BR2_EXTERNAL tree/,
  );
  await refused(
    { ...quoted, rootfsOverlay: '"$(shell touch /tmp/x)"' },
    "rootfsOverlay",
    /"\$" \(U\+0024\) at position 1/,
  );
  await refused(
    { ...ARM, kernelDts: '"$(shell touch /tmp/x)"' },
    "kernelDts",
    /"\$" \(U\+0024\) at position 1/,
    /arm\/vexpress-v2p-ca9/,
  );
});

test("a shell command in kernelFragments is refused", () =>
  refused(
    { ...quoted, kernelFragments: '["CONFIG_FOO; rm -rf /"]' },
    "kernelFragments[0]",
    /character ";" \(U\+003B\) at position 11 is not allowed/,
  ));

test("a newline in kernelDts, qemuMachine or description is refused as a control character", async () => {
  await refused(
    { ...ARM, kernelDts: '"arm/vexpress-v2p-ca9\\nBR2_PACKAGE_EVIL=y"' },
    "kernelDts",
    /control character U\+000A at position 21/,
  );
  await refused(
    { ...quoted, qemuMachine: '"pc\\nBR2_PACKAGE_EVIL=y"' },
    "qemuMachine",
    /control character U\+000A at position 3/,
  );
  await refused(
    { ...quoted, description: '"test\\ntouch /tmp/pwned"' },
    "description",
    /control character U\+000A at position 5/,
    /one line of printable ASCII/,
  );
});

test("a kernel version without a known hash is refused, saying how to add one; with br-criu:kernelSha256 it plans", async () => {
  for (const version of ["6.99.999", "6.12.92"]) {
    await refused(
      { ...quoted, kernelVersion: `"${version}"` },
      "kernelVersion",
      new RegExp(`Linux ${version.replace(/\./g, "\\.")} has no known tarball hash`),
      /set br-criu:kernelSha256 to the sha256 of linux-.*\.tar\.xz as published in https:\/\/www\.kernel\.org\/pub\/linux\/kernel\/v6\.x\/sha256sums\.asc/,
    );
  }
  const root = makeProject({
    ok: stackYaml({ ...quoted, kernelVersion: '"6.12.92"', kernelSha256: `"${"c".repeat(64)}"` }),
  });
  const result = await runCli(["plan", "ok"], root);
  assert.equal(result.code, 0, result.stderr);
  await refused(
    { ...quoted, kernelSha256: `"${"c".repeat(64)}"` },
    "kernelSha256",
    /is not the hash br-criu records for linux-6\.12\.91\.tar\.xz/,
  );
});

test("a CRIU version without a recorded hash is refused, saying how to add one", () =>
  refused(
    { ...quoted, criuVersion: '"v4.3"' },
    "criuVersion",
    /CRIU "v4\.3" has no recorded tarball hash/,
    /CRIU_RELEASES in packages\/model\/src\/releases\.ts/,
  ));

test("rootfsSize 0M and 99999999999999999999G are refused", async () => {
  await refused(
    { ...quoted, rootfsSize: '"0M"' },
    "rootfsSize",
    /is not a whole number followed by K, M or G/,
    /from 32M to 64G/,
  );
  await refused({ ...quoted, rootfsSize: '"99999999999999999999G"' }, "rootfsSize", /characters long; at most 9/);
  await refused({ ...quoted, rootfsSize: '"65G"' }, "rootfsSize", /is larger than 64G/);
});

test("a zero-width space or a Unicode look-alike is refused by code point and position", async () => {
  await refused(
    { ...ARM, kernelDts: '"arm/vexpress\\u200b-v2p-ca9"' },
    "kernelDts",
    /non-ASCII character U\+200B at position 13 is not allowed/,
  );
  await refused({ ...quoted, hostname: '"br-crі"' }, "hostname", /non-ASCII character U\+0456 at position 6/);
});

test("a namespace typo is refused with the closest known key", async () => {
  // Written by hand: stackYaml puts every key under br-criu:.
  const root = makeProject({
    bad: `config:\n  br-criu:board: test-board\n  br-criu:description: test board\n  br-criu:arch: x86_64\n  br-ciru:kernelVersion: "6.12.91"\n`,
  });
  const result = await runCli(["plan", "bad"], root);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^stacks\/Pulumi\.bad\.yaml: br-ciru:kernelVersion: unknown namespace "br-ciru"/);
  assert.match(result.stderr, /Fix: did you mean br-criu:kernelVersion\?/);
});

test("provider and Pulumi namespaces are not ours to refuse", async () => {
  const root = makeProject({
    ok: `config:\n  br-criu:board: test-board\n  br-criu:description: test board\n  br-criu:arch: x86_64\n  docker:host: unix:///var/run/docker.sock\n  pulumi:tags:\n    team: kernel\n`,
  });
  assert.equal((await runCli(["plan", "ok"], root)).code, 0);
});

test("string-typed booleans, as `pulumi config set` stores them, are read the same by plan and by the program", async () => {
  const root = makeProject({
    strings: stackYaml({ ...quoted, ccache: '"false"', reproducible: '"true"', bootTest: "false" }),
  });
  const result = await runCli(["plan", "strings", "--json"], root);
  assert.equal(result.code, 0, result.stderr);
  const viaPlan = loadStack(loadProject(root), "strings").config;
  assert.equal(viaPlan["ccache"], false);
  assert.equal(viaPlan["reproducible"], true);
  assert.equal(viaPlan["bootTest"], false);
  const asPulumiHandsIt = {
    "br-criu:ccache": "false",
    "br-criu:reproducible": "true",
    "br-criu:bootTest": "false",
    "br-criu:board": "test-board",
    "br-criu:description": "test board",
    "br-criu:arch": "x86_64",
  };
  const viaProgram = readRawConfig(loadProject(root), "strings", asPulumiHandsIt);
  for (const key of Object.keys(viaProgram)) assert.deepEqual(viaProgram[key], viaPlan[key], key);
});

test("plan and the program read every stack in stacks/ identically", () => {
  const project = loadProject(REPO_ROOT);
  for (const stack of listStacks(project)) {
    const viaPlan = loadStack(project, stack).config;
    const viaProgram = readRawConfig(project, stack, pulumiConfig(stack));
    assert.deepEqual(viaProgram, viaPlan, stack);
  }
});

test("the program refuses a namespace typo as plan does", () => {
  const project = loadProject(REPO_ROOT);
  assert.throws(
    () => readRawConfig(project, "qemu-arm", { ...pulumiConfig("qemu-arm"), "br-ciru:kernelVersion": "6.12.91" }),
    /br-ciru:kernelVersion: unknown namespace "br-ciru".*did you mean br-criu:kernelVersion\?/s,
  );
});

test("a 5 MB list of duplicate features gives a short message, fast", async () => {
  const features = Array.from({ length: 500_000 }, () => "aio");
  const root = makeProject({ huge: stackYaml({ ...quoted, criuFeatures: JSON.stringify(features) }) });
  assert.ok(readFileSync(join(root, "stacks", "Pulumi.huge.yaml")).length > 3_000_000);
  const started = Date.now();
  const result = await runCli(["plan", "huge"], root);
  assert.equal(result.code, 1);
  assert.ok(result.stderr.length < 10_000, `stderr is ${result.stderr.length} bytes`);
  assert.match(result.stderr, /br-criu:criuFeatures: lists more entries than there are features/);
  assert.ok(result.stderr.split("\n\n").length <= 21);
  // Not a timing test: the bound only catches a return to per-entry paragraphs (22 s before).
  assert.ok(Date.now() - started < 15_000);
});

test("problems are deduplicated and capped at 20 paragraphs", async () => {
  const features = Array.from({ length: 12 }, (_, i) => `nope-${i}`);
  const one = await runCli(
    ["plan", "one"],
    makeProject({ one: stackYaml({ ...quoted, criuFeatures: JSON.stringify(features) }) }),
  );
  assert.equal(one.code, 1);
  assert.equal(one.stderr.trimEnd().split("\n\n").length, 1, one.stderr);
  assert.match(one.stderr, /br-criu:criuFeatures\[0\]: unknown CRIU feature "nope-0".* \(11 more like it\)\n$/);
  // 25 bad stacks: 25 different paragraphs, of which 20 are shown.
  const stacks = Object.fromEntries(
    Array.from({ length: 25 }, (_, i) => [
      `bad${String(i).padStart(2, "0")}`,
      stackYaml({ ...quoted, arch: '"mips"' }),
    ]),
  );
  const many = await runCli(["plan", "--all"], makeProject(stacks));
  assert.equal(many.code, 1);
  const paragraphs = many.stderr.trimEnd().split("\n\n");
  assert.equal(paragraphs.length, 21);
  assert.equal(paragraphs[20], "and 5 more problems.");
});

test("a duplicate YAML key names the key", async () => {
  const root = makeProject({
    dup: `config:\n  br-criu:board: test-board\n  br-criu:description: test board\n  br-criu:arch: x86_64\n  br-criu:arch: arm\n`,
  });
  const result = await runCli(["plan", "dup"], root);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^stacks\/Pulumi\.dup\.yaml: key "br-criu:arch" appears twice \(again at line 5\)\. Fix: keep one of the two entries\./,
  );
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

test("the recorded CRIU and kernel hashes are the ones the BR2_EXTERNAL hash files hold", async () => {
  const { CRIU_RELEASES, CRIU_VERSION, KERNEL_RELEASES, kernelTarball } = await import("@br-criu/model");
  const packageHash = readFileSync(
    join(REPO_ROOT, "packages/br2-external/package/checkpoint-restore/checkpoint-restore.hash"),
    "utf8",
  );
  const { tarball, sha256 } = CRIU_RELEASES[CRIU_VERSION]!;
  assert.match(packageHash, new RegExp(`^sha256  ${sha256}  ${tarball.replace(/\./g, "\\.")}$`, "m"));
  for (const file of ["linux/linux.hash", "linux-headers/linux-headers.hash"]) {
    const content = readFileSync(join(REPO_ROOT, "packages/br2-external/patches", file), "utf8");
    for (const [version, release] of Object.entries(KERNEL_RELEASES))
      assert.match(content, new RegExp(`^sha256  ${release.sha256}  ${kernelTarball(version)}$`, "m"));
  }
});

test("br-criu:buildrootRepository takes a URL or a local mirror, never git's ext:: transport or an option", async () => {
  await refused(
    { ...quoted, buildrootRepository: '"ext::sh -c touch% /tmp/pwned"' },
    "buildrootRepository",
    /character U\+0020 at position 8 is not allowed/,
  );
  await refused(
    { ...quoted, buildrootRepository: '"ext::sh"' },
    "buildrootRepository",
    /must start with https:\/\/, http:\/\/, git:\/\/, ssh:\/\/, file:\/\/\/ or \//,
  );
  await refused(
    { ...quoted, buildrootRepository: '"--upload-pack"' },
    "buildrootRepository",
    /must start with https:\/\//,
  );
  // A ':' would let the path pick its own mount point in docker's -v.
  for (const path of ['"/srv/mirror:/br/dl"', '"file:///srv/mirror:/etc"']) {
    await refused({ ...quoted, buildrootRepository: path }, "buildrootRepository", /must not contain ':'/);
  }
  for (const ok of [
    "/srv/mirrors/buildroot.git",
    "file:///srv/buildroot",
    "https://gitlab.com/buildroot.org/buildroot.git",
  ]) {
    const result = await runCli(
      ["plan", "ok"],
      makeProject({ ok: stackYaml({ ...quoted, buildrootRepository: `"${ok}"` }) }),
    );
    assert.equal(result.code, 0, `${ok}: ${result.stderr}`);
  }
});

test("br-criu:kernelConfig: options land in the fragment; prefixes, bad values and conflicts with CRIU are refused", async () => {
  const root = makeProject({
    ok: `config:\n  br-criu:board: test-board\n  br-criu:description: test board\n  br-criu:arch: x86_64\n  br-criu:kernelConfig:\n    ZRAM: y\n    NR_CPUS: 4\n    CMDLINE: '"console=ttyS0 quiet"'\n`,
  });
  const result = await runCli(["plan", "ok", "--out", "out"], root);
  assert.equal(result.code, 0, result.stderr);
  const fragment = readFileSync(join(root, "out/board/test-board/linux-criu.fragment"), "utf8");
  assert.match(
    fragment,
    /# The stack's own options \(br-criu:kernelConfig of stacks\/Pulumi\.ok\.yaml\), merged after CRIU's:\nCONFIG_CMDLINE="console=ttyS0 quiet"\nCONFIG_NR_CPUS=4\nCONFIG_ZRAM=y\n$/,
  );
  // The program gets the map as JSON text from Pulumi and decodes it the same way.
  const asPulumiHandsIt = {
    ...pulumiTextOf(loadStack(loadProject(root), "ok").config),
    "br-criu:kernelConfig": '{"ZRAM":"y","NR_CPUS":"4","CMDLINE":"\\"console=ttyS0 quiet\\""}',
  };
  assert.deepEqual(readRawConfig(loadProject(root), "ok", asPulumiHandsIt)["kernelConfig"], {
    ZRAM: "y",
    NR_CPUS: "4",
    CMDLINE: '"console=ttyS0 quiet"',
  });

  await refused(
    { ...quoted, kernelConfig: "{CONFIG_ZRAM: y}" },
    "kernelConfig",
    /"CONFIG_ZRAM" carries the CONFIG_ prefix/,
    /write ZRAM/,
  );
  await refused({ ...quoted, kernelConfig: "{ZRAM: yes}" }, "kernelConfig.ZRAM", /"yes" is not a kernel option value/);
  await refused({ ...quoted, kernelConfig: "{__proto__: y}" }, "kernelConfig", /"__proto__" is not a Kconfig symbol/);
  await refused(
    { ...quoted, kernelConfig: `{CMDLINE: '"$(shell touch /tmp/x)"'}` },
    "kernelConfig.CMDLINE",
    /character U\+0024 at position 2/,
  );
  await refused(
    { ...quoted, kernelConfig: "{CHECKPOINT_RESTORE: n}" },
    "kernelConfig.CHECKPOINT_RESTORE",
    /CRIU needs CONFIG_CHECKPOINT_RESTORE=y/,
    /remove br-criu:kernelConfig\.CHECKPOINT_RESTORE/,
  );
});

/** A decoded configuration back in the form Pulumi hands a program. */
function pulumiTextOf(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      `br-criu:${key}`,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

test("diff with a hostile value is a refusal naming the key, not an internal error", async () => {
  const root = makeProject({ a: stackYaml(quoted), b: stackYaml({ ...quoted, description: '"two\\nlines"' }) });
  const result = await runCli(["diff", "a", "b"], root);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^stacks\/Pulumi\.b\.yaml: br-criu:description: control character U\+000A at position 4/);
});

test("a br-criu:__proto__ key is refused as unknown, not dropped", async () => {
  const root = makeProject({
    bad: `config:\n  br-criu:board: test-board\n  br-criu:description: test board\n  br-criu:arch: x86_64\n  br-criu:__proto__: x\n`,
  });
  const result = await runCli(["plan", "bad"], root);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /br-criu:__proto__: unknown key "__proto__"/);
});

test("names of Object.prototype's members are not CPUs, FPUs, architectures or releases", async () => {
  for (const name of ["constructor", "__proto__"]) {
    await refused({ ...ARM, fpu: `"${name}"` }, "fpu", new RegExp(`unknown arm FPU "${name}"`));
    await refused({ ...ARM, cpu: `"${name}"` }, "cpu", new RegExp(`unknown arm CPU "${name}"`));
    await refused({ ...quoted, arch: `"${name}"` }, "arch", new RegExp(`unknown architecture "${name}"`));
    await refused({ ...quoted, criuVersion: `"${name}"` }, "criuVersion", /has no recorded tarball hash/);
  }
});
