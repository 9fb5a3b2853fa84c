/**
 * br-criu's provider without the engine: which input changes replace (re-run)
 * a resource and how the diff names them, the checks that refuse what a
 * stack could not have produced (hostile values included), what refresh
 * finds on disk, and how commands run, fail and are cancelled.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { drift, fingerprint } from "../../packages/provider/src/products";
import { brCriuProvider, kindOf } from "../../packages/provider/src/provider";
import { CancelledError, ProcessGroups, StepFailedError, runLines } from "../../packages/provider/src/run";
import { RESOURCE_TYPES, stageType } from "../../packages/provider/src/types";
import { scratchDir } from "../support/scratch";

const quiet = { progress: () => {}, info: () => {}, warn: () => {} };
const provider = brCriuProvider(quiet);
const KERNEL = stageType("Kernel");
const TOOLCHAIN = stageType("Toolchain");

const run = (create: string[] = ["true"], remove: string[] = []) => ({
  dir: "/repo",
  commands: { create, cleanup: [], delete: remove },
});
const stage = (overrides: Record<string, unknown> = {}) => ({
  stack: "qemu-x86_64",
  stage: "kernel",
  options: { CONFIG_CHECKPOINT_RESTORE: "y", BR2_LINUX_KERNEL: "y" },
  upstream: { toolchain: "t-1" },
  run: run(),
  outputDir: "/w/qemu-x86_64/output",
  products: [{ kind: "file", path: "build/linux-6.12.91/.config" }],
  log: "/w/qemu-x86_64/output/br-criu-logs/kernel.log",
  ...overrides,
});

test("a stage is replaced by exactly the inputs and upstream ids that changed, each named", () => {
  const before = stage();
  const zram = stage({ options: { ...before.options, CONFIG_ZRAM: "y" } });
  const diff = provider.diff(KERNEL, before, before, zram);
  assert.deepEqual(diff.replaces, ["options.CONFIG_ZRAM"]);
  assert.deepEqual(diff.detailed, { "options.CONFIG_ZRAM": { kind: "add", replace: true, inputDiff: true } });
  assert.equal(diff.changes, true);
  assert.equal(diff.deleteBeforeReplace, false, "the kernel's replacement is made first; its delete removes nothing");
  const removed = provider.diff(KERNEL, before, before, stage({ options: { BR2_LINUX_KERNEL: "y" } }));
  assert.deepEqual(removed.detailed, {
    "options.CONFIG_CHECKPOINT_RESTORE": { kind: "delete", replace: true, inputDiff: true },
  });
  const upstream = provider.diff(KERNEL, before, before, stage({ upstream: { toolchain: "t-2" } }));
  assert.deepEqual(upstream.replaces, ["upstream.toolchain"]);
  const none = provider.diff(KERNEL, before, before, stage());
  assert.deepEqual(none, { changes: false, replaces: [], deleteBeforeReplace: false, detailed: {} });
});

test("how a stage runs (its command lines, paths) is recorded without re-running it", () => {
  const before = stage();
  const moved = stage({ run: { ...run(["make elsewhere"]), dir: "/elsewhere" } });
  const diff = provider.diff(KERNEL, before, before, moved);
  assert.equal(diff.changes, true);
  assert.deepEqual(diff.replaces, []);
  assert.deepEqual(diff.detailed["run"], { kind: "update", replace: false, inputDiff: true });
});

test("a stage whose delete removes something (the toolchain's output directory) is deleted before its replacement", () => {
  const before = stage({ stage: "toolchain", run: run(["true"], ["stage.sh clean"]) });
  const after = { ...before, options: { ...before.options, BR2_TOOLCHAIN_EXTERNAL: "y" } };
  assert.equal(provider.diff(TOOLCHAIN, before, before, after).deleteBeforeReplace, true);
});

test("drift found by refresh replaces the stage on the next up; a failed boot test runs again", () => {
  const inputs = stage();
  const drifted = provider.diff(KERNEL, { ...inputs, drift: ["build/linux-6.12.91/.config: missing"] }, inputs, inputs);
  assert.deepEqual(drifted.replaces, ["drift"]);
  const test = { stack: "s", image: "i-1", imagesDir: "/w/s/output/images", run: run() };
  assert.deepEqual(provider.diff(RESOURCE_TYPES.bootTest, { ...test, passed: false }, test, test).replaces, ["passed"]);
  assert.deepEqual(provider.diff(RESOURCE_TYPES.bootTest, { ...test, passed: true }, test, test).replaces, []);
  assert.deepEqual(provider.diff(RESOURCE_TYPES.bootTest, test, test, { ...test, image: "i-2" }).replaces, ["image"]);
});

test("check accepts what the program declares, unknown values of a preview included", () => {
  assert.deepEqual(provider.check(KERNEL, stage()), []);
  assert.deepEqual(
    provider.check(KERNEL, stage({ upstream: { toolchain: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" } })),
    [],
  );
  // A preview sends a whole map not known yet as one unknown value.
  assert.deepEqual(provider.check(KERNEL, stage({ upstream: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" })), []);
  assert.deepEqual(provider.check(RESOURCE_TYPES.cacheVolume, { name: "br-criu-dl", stackKey: "downloadCache" }), []);
  assert.deepEqual(
    provider.check(RESOURCE_TYPES.buildImage, {
      tag: "br-criu-build:0123456789abcdef",
      context: "/repo/packages/build-env",
      dockerfile: "/repo/packages/build-env/Dockerfile",
      buildArgs: { BASE: "debian:bookworm-slim", DEBIAN_ARCHIVE: "http://deb.debian.org/debian" },
    }),
    [],
  );
  assert.throws(() => kindOf("br-criu-build:stage"), /no resource type/);
  assert.throws(() => kindOf("br-criu-build:x:Nothing"), /no resource type br-criu-build:x:Nothing/);
});

test("check refuses hostile values, naming the stack key they came from", () => {
  const hostile = fc.oneof(
    fc.constantFrom("$(reboot)", "`id`", "a;b", "-o", "x\ny", "../../etc", "a b", "é", "a\u0000b"),
    // Anything with shell syntax, white space, a control or non-ASCII character, or a leading "-".
    fc
      .string({ minLength: 1, maxLength: 20, unit: "grapheme" })
      // eslint-disable-next-line no-control-regex -- control characters are among what it looks for
      .filter((s) => /[\s$`;|&'"\\<>(){}*?!#~\u0080-\uffff\x00-\x1f]|^-/.test(s)),
  );
  fc.assert(
    fc.property(hostile, (value) => {
      const volume = provider.check(RESOURCE_TYPES.cacheVolume, { name: value, stackKey: "downloadCache" });
      assert.ok(
        volume.some((f) => f.property === "name" && f.reason.startsWith("br-criu:downloadCache:")),
        value,
      );
      const base = provider.check(RESOURCE_TYPES.buildImage, {
        tag: "br-criu-build:0123456789abcdef",
        context: "/c",
        dockerfile: "/c/Dockerfile",
        buildArgs: { BASE: value },
      });
      assert.ok(base.some((f) => f.property === "buildArgs.BASE" && f.reason.startsWith("br-criu:buildBaseImage:")));
      const onHost = provider.check(RESOURCE_TYPES.cacheVolume, {
        name: "br-criu-dl",
        stackKey: "downloadCache",
        endpoint: { host: `ssh://${value}` },
      });
      assert.ok(
        onHost.some((f) => f.property === "endpoint.host" && f.reason.startsWith("br-criu:buildHost:")),
        value,
      );
    }),
    { numRuns: 300 },
  );
  const hostFailures = (endpoint: unknown) =>
    provider
      .check(RESOURCE_TYPES.buildImage, {
        tag: "br-criu-build:0123456789abcdef",
        context: "/c",
        dockerfile: "/c/Dockerfile",
        buildArgs: {},
        endpoint,
      })
      .map((f) => f.property);
  assert.deepEqual(hostFailures({ host: "tcp://10.0.0.2:2376", tlsDir: "/etc/tls" }), []);
  assert.deepEqual(hostFailures({ host: "-Htcp://evil:2375" }), ["endpoint.host"]);
  assert.deepEqual(hostFailures({ host: "tcp://10.0.0.2:2376", tlsDir: "../tls" }), ["endpoint.tlsDir"]);
  const failures = (news: Record<string, unknown>, type = KERNEL) => provider.check(type, news).map((f) => f.property);
  assert.deepEqual(failures(stage({ options: { CONFIG_ZRAM: "y\nrm -rf /" } })), ["options.CONFIG_ZRAM"]);
  assert.match(
    provider.check(KERNEL, stage({ options: { CONFIG_ZRAM: "y\n" } }))[0]!.reason,
    /br-criu:kernelConfig\.ZRAM/,
  );
  assert.deepEqual(failures(stage({ options: { "CONFIG_$(x)": "y" } })), ["options.CONFIG_$(x)"]);
  assert.deepEqual(failures(stage({ run: run(["make\nrm -rf /"]) })), ["run.commands.create"]);
  assert.deepEqual(failures(stage({ outputDir: "/w/../etc" })), ["outputDir"]);
  assert.deepEqual(failures(stage({ stage: "kernel; reboot" })), ["stage"]);
  assert.deepEqual(
    failures(
      { tag: "br-criu-build:0123456789abcdef", context: "/c", dockerfile: "/c/D", buildArgs: { EVIL: "x" } },
      RESOURCE_TYPES.buildImage,
    ),
    ["buildArgs.EVIL"],
  );
  const checkout = { url: "ext::sh -c reboot", tag: "2026.02.3", commit: "a".repeat(40), path: "/w/br", run: run() };
  assert.match(provider.check(RESOURCE_TYPES.checkout, checkout)[0]!.reason, /^br-criu:buildrootRepository:/);
  assert.deepEqual(failures({ ...checkout, url: "/srv/br", commit: "HEAD" }, RESOURCE_TYPES.checkout), ["commit"]);
});

test("refresh's fingerprint: a product gone or changed on disk is drift, named by path", async () => {
  const output = scratchDir("provider-products");
  mkdirSync(join(output, "images"));
  mkdirSync(join(output, "host"));
  writeFileSync(join(output, ".config"), "BR2_x86_64=y\n");
  writeFileSync(join(output, "images/bzImage"), "kernel");
  writeFileSync(join(output, "images/rootfs.cpio"), "root");
  const products = [
    { kind: "directory", path: "host" },
    { kind: "file", path: ".config" },
    { kind: "files", path: "images" },
  ] as const;
  const built = await fingerprint(output, products);
  assert.deepEqual(Object.keys(built), ["host", ".config", "images/bzImage", "images/rootfs.cpio"]);
  assert.equal(built["host"], "directory");
  assert.deepEqual(drift(built, await fingerprint(output, products)), []);
  rmSync(join(output, "images/rootfs.cpio"));
  writeFileSync(join(output, ".config"), "BR2_aarch64=y\n");
  writeFileSync(join(output, "images/extra"), "x");
  assert.deepEqual(drift(built, await fingerprint(output, products)), [
    ".config: changed",
    "images/extra: appeared",
    "images/rootfs.cpio: missing",
  ]);
  rmSync(join(output, "host"), { recursive: true });
  assert.ok(drift(built, await fingerprint(output, products)).includes("host: missing"));
});

test("commands run in order and stop at the first failure, which shows the end of the output", async () => {
  const groups = new ProcessGroups();
  const lines: string[] = [];
  const result = await runLines(["echo '>>> one'", "echo two; echo noise >&2"], {
    dir: "/",
    groups,
    what: "stage x",
    onLine: (line) => lines.push(line),
  });
  assert.equal(result.stdout, ">>> one\ntwo\n");
  assert.deepEqual(lines, [">>> one", "two"]);
  await assert.rejects(
    runLines(["for i in $(seq 1 60); do echo line $i; done; echo 'the real cause' >&2; exit 3", "echo never"], {
      dir: "/",
      groups,
      what: "stage y",
    }),
    (error: StepFailedError) => {
      assert.match(error.message, /^stage y: `for i .*` exited with status 3$/);
      assert.match(error.tail, /the real cause$/);
      assert.doesNotMatch(error.tail, /^line 20$/m, "only the last 40 lines");
      return true;
    },
  );
});

test("cancel stops the whole process group of a running command, and nothing runs after it", async () => {
  const groups = new ProcessGroups();
  const marker = `br-criu-cancel-test-${process.pid}`;
  const started = Date.now();
  const running = runLines([`sh -c 'sleep 300; echo ${marker}' & sleep 300`, "echo never"], {
    dir: "/",
    groups,
    what: "stage kernel",
  });
  await new Promise((done) => setTimeout(done, 300));
  await groups.cancelAll();
  await assert.rejects(running, CancelledError);
  assert.ok(Date.now() - started < 5_000, "the group stopped at SIGTERM");
  const left = spawnSync("pgrep", ["-f", `sleep 300; echo ${marker}`], { encoding: "utf8" }).stdout.trim();
  assert.equal(left, "", "the command's children went with it");
  await assert.rejects(runLines(["true"], { dir: "/", groups, what: "later" }), CancelledError);
});

test("a failed boot test is an initialization failure that keeps its report", async () => {
  const report = JSON.stringify({
    passed: false,
    criuCheck: true,
    dumpRestore: false,
    firstFailure: "restore",
    consoleLog: "/c.log",
    steps: [{ step: "restore", ok: false, ms: 5, detail: "" }],
    timings: {},
  });
  const test = { stack: "s", image: "i", imagesDir: "/w/images", run: run([`printf '%s' '${report}'`]) };
  await assert.rejects(
    provider.create(RESOURCE_TYPES.bootTest, "urn:x", { ...test, run: { ...test.run, dir: "/" } }),
    (error: Error & { id?: string; properties?: Record<string, unknown> }) => {
      assert.match(error.message, /^CRIU acceptance failed at restore \(restore FAIL\); console log: \/c\.log$/);
      assert.ok(error.id, "the resource exists");
      assert.equal(error.properties?.["passed"], false);
      return true;
    },
  );
});

test("a stage removes what an interrupted run left (its clean-up lines) before its create lines", async () => {
  const dir = scratchDir("provider-cleanup-first");
  const trace = join(dir, "trace");
  const commands = { create: [`echo create >> ${trace}`], cleanup: [`echo cleanup >> ${trace}`], delete: [] };
  await provider.create(KERNEL, "urn:x", stage({ run: { dir, commands }, outputDir: dir }));
  assert.equal(readFileSync(trace, "utf8"), "cleanup\ncreate\n");
});
