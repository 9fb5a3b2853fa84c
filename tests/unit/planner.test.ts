/** The stage planner: which stages re-run for which change, and why. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveBoard, type ResolvedBoard } from "@br-criu/model";
import { shellQuote } from "@br-criu/generators";
import {
  STAGE_NAMES,
  STAGE_TABLE,
  buildrootTreeSteps,
  containerName,
  doubleBuildCommands,
  downstreamOf,
  parseBuildRecord,
  parseCheckout,
  parseComparison,
  parseManifest,
  planBuild,
  removeContainersCommand,
  stageCommands,
  stageInputs,
  stageScriptCommand,
  type BuildRecord,
  type StageContext,
  type StageFiles,
} from "@br-criu/planner";
import { DEFCONFIG_SECTIONS } from "@br-criu/generators";

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

const DOCKER = { mode: "docker" as const, image: "br-criu-build:abc", downloadVolume: "dl", ccacheVolume: "cc" };
const HOST = { mode: "host" as const, stageScript: "/repo/stage.sh", downloadDir: "/c/dl", ccacheDir: "/c/cc" };
const PATHS = { buildroot: "/w/br", external: "/w/s/br2-external", output: "/w/s p/output" };
const context = (runner: StageContext["runner"]): StageContext => ({
  runner,
  paths: PATHS,
  stack: "qemu-arm",
  defconfig: "qemu_arm_criu_defconfig",
  kernelVersion: "6.12.91",
  record: { current: "/w/s/build-record.json", next: "/w/s/build-record.next.json" },
});

test("stage.sh command lines for docker and host", () => {
  const docker = stageScriptCommand({
    runner: DOCKER,
    paths: PATHS,
    stack: "qemu-arm",
    stage: "kernel",
    step: 2,
    args: ["make", "br-criu-logs/kernel.log", "linux-rebuild"],
  });
  assert.equal(
    docker,
    // --user: the output on the host belongs to whoever runs the stage (the shell expands it then); --init passes signals on.
    `docker run --rm --init --name br-criu-qemu-arm-kernel-2 --user "$(id -u):$(id -g)" -v dl:/br/dl -v cc:/br/ccache -v /w/br:/br/buildroot -v /w/s/br2-external:/br/external:ro -v '/w/s p/output:/br/output' br-criu-build:abc make br-criu-logs/kernel.log linux-rebuild`,
  );
  const host = stageScriptCommand({
    runner: HOST,
    paths: PATHS,
    stack: "qemu-arm",
    stage: "rootfs",
    step: 0,
    args: ["clean"],
  });
  assert.equal(
    host,
    "env BR_CRIU_BUILDROOT=/w/br BR_CRIU_EXTERNAL=/w/s/br2-external 'BR_CRIU_OUTPUT=/w/s p/output' BR2_DL_DIR=/c/dl BR2_CCACHE_DIR=/c/cc /repo/stage.sh clean",
  );
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(containerName("qemu-x86_64", "image", 0), "br-criu-qemu-x86_64-image-0");
  assert.equal(removeContainersCommand(HOST, "s", "image"), "true");
  assert.equal(
    removeContainersCommand(DOCKER, "qemu-x86_64", "kernel"),
    "docker ps -aq --filter 'name=^/?br-criu-qemu-x86_64-kernel-[0-9]+$' | xargs -r docker rm -f >/dev/null 2>&1 || true",
  );
});

test("each stage runs its table row's steps: make targets through stage.sh, br-criu's checks on the host", () => {
  const c = context(DOCKER);
  const args = (line: string) => /br-criu-build:abc (.*)$/.exec(line)?.[1];
  const toolchain = stageCommands("toolchain", c);
  assert.match(toolchain.create[0]!, /^mkdir -p '\/w\/s p\/output' && docker run .* br-criu-build:abc clean$/);
  assert.deepEqual(toolchain.create.slice(1).map(args), [
    "make br-criu-logs/toolchain.log qemu_arm_criu_defconfig",
    "make br-criu-logs/toolchain.log toolchain",
  ]);
  assert.deepEqual(
    toolchain.delete.at(-1),
    "rmdir '/w/s p/output' 2>/dev/null || true",
    "the first stage's delete removes the output",
  );
  const config = stageCommands("config", c).create;
  assert.equal(args(config[0]!), "make br-criu-logs/config.log qemu_arm_criu_defconfig");
  assert.equal(
    config[1],
    "npx --no-install tsx packages/cli/src/main.ts check-buildroot-config qemu-arm --config '/w/s p/output/.config'",
  );
  const kernel = stageCommands("kernel", c).create;
  assert.equal(args(kernel[0]!), "make br-criu-logs/kernel.log linux-reconfigure");
  assert.equal(
    kernel[1],
    "npx --no-install tsx packages/cli/src/main.ts check-kernel qemu-arm --tree '/w/s p/output/build/linux-6.12.91'",
  );
  assert.equal(args(kernel[2]!), "make br-criu-logs/kernel.log linux-rebuild");
  assert.deepEqual(stageCommands("rootfs", c).create.map(args), ["make br-criu-logs/rootfs.log target-finalize"]);
  const image = stageCommands("image", c).create;
  assert.deepEqual(image.slice(0, 2).map(args), ["make br-criu-logs/image.log", "image-manifest"]);
  assert.equal(image[2], "mv -f /w/s/build-record.next.json /w/s/build-record.json", "the record moves in last");
  for (const stage of STAGE_NAMES) {
    const commands = stageCommands(stage, c);
    assert.deepEqual(commands.cleanup, [removeContainersCommand(DOCKER, "qemu-arm", stage)]);
    assert.deepEqual(stageCommands(stage, context(HOST)).cleanup, [], "nothing to clean up on the host");
    assert.equal(commands.create.length, STAGE_TABLE[stage].steps.length);
  }
});

test("the stage table: every defconfig section belongs to a stage, and re-runs follow its upstream column", () => {
  const covered = new Set(STAGE_NAMES.flatMap((stage) => STAGE_TABLE[stage].sections).filter((s) => s !== "all"));
  assert.deepEqual([...covered].sort(), [...DEFCONFIG_SECTIONS].sort());
  assert.deepEqual(downstreamOf("toolchain"), ["config", "kernel", "rootfs", "image"]);
  assert.deepEqual(downstreamOf("kernel"), ["image"]);
  assert.deepEqual(downstreamOf("rootfs"), ["image"]);
  assert.deepEqual(downstreamOf("config"), [], "a new defconfig alone re-runs nothing that builds on it");
  assert.deepEqual(downstreamOf("image"), []);
});

test("the stage table orders every two stages: no two makes run in one output directory at once", () => {
  const before = (stage: (typeof STAGE_NAMES)[number]): Set<string> => {
    const found = new Set<string>();
    const visit = (name: (typeof STAGE_NAMES)[number]) => {
      for (const prior of [...STAGE_TABLE[name].upstream, ...STAGE_TABLE[name].after]) {
        if (!found.has(prior)) {
          found.add(prior);
          visit(prior);
        }
      }
    };
    visit(stage);
    return found;
  };
  for (const a of STAGE_NAMES)
    for (const b of STAGE_NAMES)
      if (a !== b) assert.ok(before(a).has(b) || before(b).has(a), `${a} and ${b} could run at the same time`);
});

test("the checkout mounts a local Buildroot mirror into the container, read-only", () => {
  const source = (url: string) => ({ url, tag: "2026.02.3", commit: "c".repeat(40) });
  const runner = { ...DOCKER, image: "i" };
  const [mkdir, local] = buildrootTreeSteps(runner, PATHS, "s", source("/srv/mirrors/buildroot"));
  assert.equal(mkdir, "mkdir -p /w/br");
  assert.match(
    local!,
    /-v \/srv\/mirrors\/buildroot:\/br\/upstream:ro i buildroot-tree \/br\/upstream 2026\.02\.3 c{40}$/,
  );
  assert.match(
    buildrootTreeSteps(runner, PATHS, "s", source("file:///srv/mirror"))[1]!,
    /-v \/srv\/mirror:\/br\/upstream:ro/,
  );
  const remote = buildrootTreeSteps(runner, PATHS, "s", source("https://gitlab.com/buildroot.org/buildroot.git"))[1]!;
  assert.doesNotMatch(remote, /\/br\/upstream/);
  assert.match(remote, / buildroot-tree https:\/\/gitlab\.com\/buildroot\.org\/buildroot\.git 2026\.02\.3 /);
  // The host sees its own paths: nothing to mount.
  const host = buildrootTreeSteps(HOST, PATHS, "s", source("/srv/mirror"))[1]!;
  assert.match(host, / \/repo\/stage\.sh buildroot-tree \/srv\/mirror 2026\.02\.3 /);
  assert.equal(
    parseCheckout(`mkdir\nbuildroot 2026.02.3 ${"c".repeat(40)}\n`),
    `buildroot 2026.02.3 ${"c".repeat(40)}`,
  );
  assert.equal(parseCheckout(""), "");
});

test("the double build builds again at the same O= and compares manifests without failing", () => {
  const check = doubleBuildCommands(context(DOCKER), "/w/out 2");
  assert.equal(check.create[0], "mkdir -p '/w/out 2'");
  const builds = check.create.slice(1, -1);
  assert.deepEqual(
    builds.map((line) => /br-criu-build:abc (.*)$/.exec(line)?.[1]),
    [
      "clean",
      "make br-criu-logs/verify.log qemu_arm_criu_defconfig",
      "make br-criu-logs/verify.log toolchain",
      "make br-criu-logs/verify.log qemu_arm_criu_defconfig",
      "make br-criu-logs/verify.log linux-reconfigure",
      "make br-criu-logs/verify.log linux-rebuild",
      "make br-criu-logs/verify.log target-finalize",
      "make br-criu-logs/verify.log",
      "image-manifest",
    ],
  );
  for (const line of builds) assert.match(line, / -v '\/w\/out 2:\/br\/output' /);
  assert.equal(
    check.create.at(-1),
    "{ packages/build-env/stage.sh compare-manifests '/w/s p/output/images/manifest.sha256' '/w/out 2/images/manifest.sha256' || true; }",
  );
  assert.equal(check.delete.at(-1), "rmdir '/w/out 2' 2>/dev/null || true");
});

test("an option of br-criu:kernelConfig re-runs only kernel and image, naming it", () => {
  const plan = planBuild(built(), inputsOf({ kernelConfig: { ZRAM: "y" } }));
  assert.deepEqual(rerun(plan), ["kernel", "image"]);
  assert.deepEqual(plan.stages.kernel.reasons, ["CONFIG_ZRAM added (y)"]);
});
