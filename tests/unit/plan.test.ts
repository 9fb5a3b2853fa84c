/** The rebuild planner: which stages re-run for which change, and why; the build record it compares with. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBuildRecord, planBuild } from "@br-criu/planner";
import { FILES, inputsOf, built, rerun } from "../support/planner";

test("first build: everything, epoch 0", () => {
  const plan = planBuild(undefined, inputsOf());
  assert.deepEqual(rerun(plan), ["toolchain", "config", "kernel", "rootfs", "image"]);
  assert.equal(plan.epoch, 0);
  assert.match(plan.stages.kernel.reasons[0]!, /first build/);
});

test("no-op: nothing re-runs and the epoch stays", () => {
  const plan = planBuild(built(), inputsOf());
  assert.deepEqual(rerun(plan), []);
  assert.equal(plan.epoch, 0);
  assert.equal(plan.clean, false);
});

test("a kernel-only option change re-runs kernel and image, naming the option", () => {
  const plan = planBuild(built(), inputsOf({ criuFeatures: ["aio", "lazy-pages", "fanotify"] }));
  assert.deepEqual(rerun(plan), ["kernel", "image"]);
  assert.deepEqual(plan.stages.kernel.reasons, ["CONFIG_FANOTIFY added (y)"]);
  assert.deepEqual(plan.stages.image.reasons, ["kernel re-runs"]);
});

test("a kernel version bump re-runs config, kernel and image", () => {
  const plan = planBuild(
    built(),
    inputsOf({
      kernelVersion: "6.12.92",
      kernelSha256: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    }),
  );
  assert.deepEqual(rerun(plan), ["config", "kernel", "image"]);
  assert.match(
    plan.stages.kernel.reasons[0]!,
    /BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE changed: "6\.12\.91" -> "6\.12\.92"/,
  );
});

test("a rootfs package addition re-runs config, rootfs and image", () => {
  const plan = planBuild(built(), inputsOf({ rootfsPackages: ["htop"] }));
  assert.deepEqual(rerun(plan), ["config", "rootfs", "image"]);
  assert.deepEqual(plan.stages.rootfs.reasons, ["BR2_PACKAGE_HTOP added (y)"]);
  assert.deepEqual(plan.stages.image.reasons, ["rootfs re-runs"]);
});

test("a package removal forces a clean build", () => {
  const plan = planBuild(built({ rootfsPackages: ["htop"] }), inputsOf());
  assert.equal(plan.clean, true);
  assert.equal(plan.epoch, 1);
  assert.deepEqual(rerun(plan), ["toolchain", "config", "kernel", "rootfs", "image"]);
  assert.match(plan.stages.toolchain.reasons[0]!, /BR2_PACKAGE_HTOP removed; Buildroot cannot remove a package/);
});

test("a toolchain change and a Buildroot bump rebuild from scratch", () => {
  const toolchain = planBuild(built(), inputsOf({ toolchain: "buildroot", gccVersion: "14" }));
  assert.equal(toolchain.clean, true);
  assert.match(
    toolchain.stages.rootfs.reasons[0]!,
    /clean build: toolchain, architecture or Buildroot changed \(.*BR2_TOOLCHAIN_EXTERNAL_BOOTLIN removed/,
  );
  const bump = planBuild(built(), inputsOf({ buildrootVersion: "2026.02.4", buildrootCommit: "0".repeat(40) }));
  assert.equal(bump.clean, true);
  assert.match(bump.stages.kernel.reasons[0]!, /buildroot\.version changed: 2026\.02\.3 -> 2026\.02\.4/);
});

test("moving a stack to another build host is a clean build; staying local changes nothing", () => {
  const farm = { buildHost: "ssh://builder@build-1" };
  assert.deepEqual(inputsOf().toolchain, inputsOf({ buildMode: "docker" }).toolchain, "no build.host when local");
  const moved = planBuild(built(), inputsOf(farm));
  assert.equal(moved.clean, true);
  assert.match(moved.stages.kernel.reasons[0]!, /clean build: .*build\.host added \(ssh:\/\/builder@build-1\)/);
  const other = planBuild(built(farm), inputsOf({ buildHost: "ssh://builder@build-2" }));
  assert.match(
    other.stages.toolchain.reasons[0]!,
    /build\.host changed: ssh:\/\/builder@build-1 -> ssh:\/\/builder@build-2/,
  );
  assert.deepEqual(rerun(planBuild(built(farm), inputsOf(farm))), [], "the same host again: nothing re-runs");
});

test("br-criu:rebuild forces a clean build; the epoch counts clean builds", () => {
  const previous = { ...built(), epoch: 4 };
  const plan = planBuild(previous, inputsOf(), { forceClean: true });
  assert.equal(plan.epoch, 5);
  assert.match(plan.stages.image.reasons[0]!, /clean build requested \(br-criu:rebuild\)/);
});

test("a change to the CRIU package files re-runs rootfs and image", () => {
  const plan = planBuild(
    built(),
    inputsOf({}, { ...FILES, packageFiles: { "checkpoint-restore/checkpoint-restore.mk": "v2" } }),
  );
  assert.deepEqual(rerun(plan), ["rootfs", "image"]);
  assert.match(plan.stages.rootfs.reasons[0]!, /^external:checkpoint-restore\/checkpoint-restore\.mk changed/);
});

test("build records: round trip, and anything malformed counts as no record", () => {
  const record = built();
  assert.deepEqual(parseBuildRecord(JSON.stringify(record)), record);
  for (const text of [undefined, "", "{", '{"format":2}', JSON.stringify({ ...record, inputs: { toolchain: {} } })])
    assert.equal(parseBuildRecord(text), undefined);
});

test("an option of br-criu:kernelConfig re-runs only kernel and image, naming it", () => {
  const plan = planBuild(built(), inputsOf({ kernelConfig: { ZRAM: "y" } }));
  assert.deepEqual(rerun(plan), ["kernel", "image"]);
  assert.deepEqual(plan.stages.kernel.reasons, ["CONFIG_ZRAM added (y)"]);
});
