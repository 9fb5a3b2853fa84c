/**
 * `npm run up -- --all`'s scheduling and summary (packages/cli/src/stack-runs.ts):
 * the bound on stacks at once, the default of one per build host, the
 * refusal of a bad --parallel, and the table users read at the end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  defaultParallelism,
  failureSummary,
  manifestHash,
  parseParallelism,
  progressLine,
  runBounded,
  stackBuildHost,
  summaryTable,
  type StackRun,
} from "@br-criu/cli";

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

test("runBounded never runs more than the limit at once, starts in order and keeps the order of results", async () => {
  for (const limit of [1, 2, 3]) {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const results = await runBounded([1, 2, 3, 4, 5], limit, async (item) => {
      started.push(item);
      running += 1;
      most = Math.max(most, running);
      await tick();
      running -= 1;
      return item * 10;
    });
    assert.equal(most, limit, `limit ${limit}`);
    assert.deepEqual(started, [1, 2, 3, 4, 5]);
    assert.deepEqual(results, [10, 20, 30, 40, 50]);
  }
  assert.deepEqual(await runBounded([], 2, () => Promise.resolve(1)), []);
});

test("the default is one stack per distinct build host", () => {
  assert.equal(defaultParallelism(["local", "local", "local"]), 1);
  assert.equal(defaultParallelism(["local", "ssh://b@farm1", "ssh://b@farm1", "tcp://farm2:2376"]), 3);
  assert.equal(defaultParallelism([]), 1);
});

test("a stack's host is its br-criu:buildHost, local without one, and never a refused value", () => {
  assert.equal(stackBuildHost({}), "local");
  assert.equal(stackBuildHost({ buildHost: "tcp://10.0.0.2:2376" }), "tcp://10.0.0.2:2376");
  for (const bad of ["-H evil", "ssh://b@h/path", "\u001b[2J", 42])
    assert.equal(stackBuildHost({ buildHost: bad }), "(invalid buildHost)", String(bad));
  const hosts = [{}, { buildHost: "ssh://b@farm1" }, { buildHost: "ssh://b@farm1" }].map(stackBuildHost);
  assert.equal(defaultParallelism(hosts), 2);
});

test("--parallel takes a whole number from 1 up and nothing else", () => {
  assert.equal(parseParallelism("1"), 1);
  assert.equal(parseParallelism("12"), 12);
  for (const bad of ["0", "-1", "01", "1.5", "2x", "1e3", " 2", "", "99999", "$(id)"])
    assert.equal(parseParallelism(bad), undefined, bad);
});

test("the manifest hash depends on the files and their hashes, not on the order they are listed in", () => {
  const a = manifestHash({ bzImage: "aa", "rootfs.cpio": "bb" });
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.equal(manifestHash({ "rootfs.cpio": "bb", bzImage: "aa" }), a);
  assert.notEqual(manifestHash({ bzImage: "aa", "rootfs.cpio": "bc" }), a);
  assert.notEqual(manifestHash({ bzImage: "aa" }), a);
});

test("a failure is summed up by the engine's error lines", () => {
  const output = [
    "Updating (qemu-arm):",
    "    error: br-criu:arch: mips is not a supported architecture",
    "error: update failed",
    "Resources: 1 unchanged",
  ].join("\n");
  assert.equal(
    failureSummary(output),
    "error: br-criu:arch: mips is not a supported architecture error: update failed",
  );
  assert.equal(failureSummary("spawn pulumi ENOENT\n    at ..."), "spawn pulumi ENOENT");
});

test("the summary has a row per stack, the verdict, and each failure with its log", () => {
  const runs: StackRun[] = [
    { stack: "qemu-x86_64", host: "local", ok: true, seconds: 61.4, manifestHash: "0123456789abcdef", log: "/l/a.log" },
    { stack: "qemu-arm", host: "local", ok: false, seconds: 3, failure: "error: boom", log: "/l/b.log" },
  ];
  assert.equal(
    summaryTable("up", runs),
    [
      "stack        host   result  duration  image manifest",
      "qemu-x86_64  local  ok      61 s      0123456789abcdef",
      "qemu-arm     local  failed  3 s       -",
      "up: 1 of 2 stacks failed",
      "qemu-arm: error: boom (full output: /l/b.log)",
      "",
    ].join("\n"),
  );
  assert.match(summaryTable("destroy", [runs[0]!]), /destroy: all 1 stacks passed\n$/);
});

test("a progress line per build step that changes: a replacement once, a preview's as planned, no stack or provider", () => {
  const event = (op: string, type: string, name: string, planning = false) => ({
    resOutputsEvent: { metadata: { op, type, urn: `urn:pulumi:s::br-criu::${type}::${name}` }, planning },
  });
  const kernel = (op: string, planning = false) => event(op, "br-criu-build:stage:Kernel", "s-kernel", planning);
  assert.equal(progressLine("s", 41.6, kernel("replace")), "s: s-kernel replace (42 s)\n");
  assert.equal(progressLine("s", 2, kernel("replace", true)), "s: s-kernel would replace (2 s)\n");
  assert.equal(progressLine("s", 2, kernel("create")), "s: s-kernel create (2 s)\n");
  for (const op of ["same", "create-replacement", "delete-replaced", "discard-replaced"])
    assert.equal(progressLine("s", 2, kernel(op)), undefined, op);
  assert.equal(progressLine("s", 2, event("create", "pulumi:pulumi:Stack", "br-criu-s")), undefined);
  assert.equal(progressLine("s", 2, event("create", "pulumi:providers:br-criu-build", "default")), undefined);
  assert.equal(progressLine("s", 2, {}), undefined);
});
