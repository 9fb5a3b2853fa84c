/** The stage planner: which stages re-run for which change, and why. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveBoard, type ResolvedBoard } from "@br-criu/model";
import { shellQuote } from "@br-criu/generators";
import {
  FULL_BUILD_STAGES,
  buildrootTreeSteps,
  containerName,
  parseBuildRecord,
  parseComparison,
  parseManifest,
  planBuild,
  removeContainerCommand,
  reproducibilityCheck,
  stageCommand,
  stageInputs,
  type BuildRecord,
  type StageFiles,
} from "@br-criu/planner";

const FILES: StageFiles = {
  kernelFragments: {},
  packageFiles: { "checkpoint-restore/checkpoint-restore.mk": "v1" },
  overlayFiles: {},
};
const base = { board: "qemu-x86_64", description: "d", arch: "x86_64", criuFeatures: ["aio", "lazy-pages"] };

function board(config: Record<string, unknown>): ResolvedBoard {
  const result = resolveBoard({ ...base, ...config });
  if (!result.ok) assert.fail(JSON.stringify(result.problems));
  return result.board;
}

const inputsOf = (config: Record<string, unknown> = {}, files: StageFiles = FILES) =>
  stageInputs(board(config), "stacks/Pulumi.qemu-x86_64.yaml", files);
const built = (config: Record<string, unknown> = {}): BuildRecord => planBuild(undefined, inputsOf(config)).record;
const rerun = (plan: ReturnType<typeof planBuild>) =>
  Object.entries(plan.stages)
    .filter(([, s]) => s.rebuild)
    .map(([name]) => name);

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

test("manifests and comparisons as stage.sh prints them", () => {
  const hash = "0123456789abcdef".repeat(4);
  assert.deepEqual(parseManifest(`>>> linux 6.12.91 Building\n${hash}  zImage\n${hash}  rootfs.ext2\nnoise\n`), {
    "rootfs.ext2": hash,
    zImage: hash,
  });
  assert.deepEqual(parseComparison(">>> x\nidentical\n"), { identical: true, differing: [] });
  assert.deepEqual(parseComparison("differ:\nrootfs.ext2\nzImage\n"), {
    identical: false,
    differing: ["rootfs.ext2", "zImage"],
  });
  assert.throws(() => parseComparison(""), /no manifest comparison/);
});

test("stage command lines for docker and host", () => {
  const paths = { buildroot: "/w/br", external: "/repo/packages/br2-external", output: "/w/s p/output" };
  const docker = stageCommand(
    { mode: "docker", image: "br-criu-build:abc", downloadVolume: "dl", ccacheVolume: "cc" },
    paths,
    "qemu-arm",
    "kernel",
    ["qemu_arm_criu_defconfig"],
  );
  assert.equal(
    docker,
    // --user: the output on the host belongs to whoever runs the stage (the shell expands it then).
    `docker run --rm --name br-criu-qemu-arm-kernel --user "$(id -u):$(id -g)" -v dl:/br/dl -v cc:/br/ccache -v /w/br:/br/buildroot -v /repo/packages/br2-external:/br/external:ro -v '/w/s p/output:/br/output' br-criu-build:abc kernel qemu_arm_criu_defconfig`,
  );
  const host = stageCommand(
    { mode: "host", stageScript: "/repo/stage.sh", downloadDir: "/c/dl", ccacheDir: "/c/cc" },
    paths,
    "qemu-arm",
    "rootfs",
    ["d"],
  );
  assert.equal(
    host,
    "env BR_CRIU_BUILDROOT=/w/br BR_CRIU_EXTERNAL=/repo/packages/br2-external 'BR_CRIU_OUTPUT=/w/s p/output' BR2_DL_DIR=/c/dl BR2_CCACHE_DIR=/c/cc /repo/stage.sh rootfs d",
  );
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(containerName("qemu-x86_64", "image"), "br-criu-qemu-x86_64-image");
  assert.equal(
    removeContainerCommand({ mode: "host", stageScript: "", downloadDir: "", ccacheDir: "" }, "s", "image"),
    "true",
  );
});

test("the checkout stage mounts a local Buildroot mirror into the container, read-only", () => {
  const paths = { buildroot: "/w/br", external: "/x", output: "/o" };
  const docker = { mode: "docker" as const, image: "i", downloadVolume: "dl", ccacheVolume: "cc" };
  const source = (url: string) => ({ url, tag: "2026.02.3", commit: "c".repeat(40) });
  const [mkdir, local] = buildrootTreeSteps(docker, paths, "s", source("/srv/mirrors/buildroot"));
  assert.equal(mkdir, "mkdir -p /w/br");
  assert.match(
    local!,
    /-v \/srv\/mirrors\/buildroot:\/br\/upstream:ro i buildroot-tree \/br\/upstream 2026\.02\.3 c{40}$/,
  );
  assert.match(
    buildrootTreeSteps(docker, paths, "s", source("file:///srv/mirror"))[1]!,
    /-v \/srv\/mirror:\/br\/upstream:ro/,
  );
  const remote = buildrootTreeSteps(docker, paths, "s", source("https://gitlab.com/buildroot.org/buildroot.git"))[1]!;
  assert.doesNotMatch(remote, /\/br\/upstream/);
  assert.match(remote, / buildroot-tree https:\/\/gitlab\.com\/buildroot\.org\/buildroot\.git 2026\.02\.3 /);
  // The host sees its own paths: nothing to mount.
  const host = buildrootTreeSteps(
    { mode: "host", stageScript: "/s.sh", downloadDir: "/d", ccacheDir: "/c" },
    paths,
    "s",
    source("/srv/mirror"),
  )[1]!;
  assert.match(host, / \/s\.sh buildroot-tree \/srv\/mirror 2026\.02\.3 /);
});

test("the reproducibility check builds again at the same O= and compares manifests without failing", () => {
  const runner = { mode: "docker" as const, image: "i", downloadVolume: "dl", ccacheVolume: "cc" };
  const check = reproducibilityCheck(
    runner,
    { buildroot: "/b", external: "/x", output: "/w/out" },
    "s",
    "d_defconfig",
    "/w/out 2",
    "/r/stage.sh",
  );
  assert.equal(check.create[0], "mkdir -p '/w/out 2'");
  assert.deepEqual(
    check.create.slice(1, -1).map((line) => /i (\S+) d_defconfig$/.exec(line)?.[1]),
    [...FULL_BUILD_STAGES],
  );
  for (const line of check.create.slice(1, -1)) assert.match(line, / -v '\/w\/out 2:\/br\/output' /);
  assert.equal(
    check.create.at(-1),
    "{ /r/stage.sh compare-manifests /w/out/images/manifest.sha256 '/w/out 2/images/manifest.sha256' || true; }",
  );
  assert.equal(check.delete.at(-1), "rmdir '/w/out 2' 2>/dev/null || true");
});

test("an option of br-criu:kernelConfig re-runs only kernel and image, naming it", () => {
  const plan = planBuild(built(), inputsOf({ kernelConfig: { ZRAM: "y" } }));
  assert.deepEqual(rerun(plan), ["kernel", "image"]);
  assert.deepEqual(plan.stages.kernel.reasons, ["CONFIG_ZRAM added (y)"]);
});
