/** The Pulumi program under Pulumi's mock runtime, for every stack file in stacks/. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listStacks, loadProject } from "@br-criu/stacks";
import { planBuild } from "@br-criu/planner";
import { REPO_ROOT } from "../support/project";
import { pulumiConfig, runProgram, type RecordedResource } from "../support/mocks";
import { scratchDir } from "../support/scratch";

const stacks = listStacks(loadProject(REPO_ROOT));
const freshWorkDir = () => scratchDir("work");
const byName = (resources: readonly RecordedResource[], name: string) => {
  const found = resources.find((r) => r.name === name);
  assert.ok(found, `no resource named ${name}; have ${resources.map((r) => r.name).join(", ")}`);
  return found;
};

const STAGE_STEPS: Record<string, RegExp[]> = {
  toolchain: [/ toolchain (\S+_criu_defconfig)$/m],
  config: [/ config \S+_criu_defconfig /, /check-buildroot-config \S+ --config \S+\/output\/\.config/],
  kernel: [
    / kernel-configure \S+_criu_defconfig /,
    /check-kernel \S+ --tree \S+\/output\/build\/linux-6\.12\.91 /,
    / kernel \S+_criu_defconfig$/m,
  ],
  rootfs: [/ rootfs \S+_criu_defconfig$/m],
  image: [/ image \S+_criu_defconfig /, /build-record\.json/],
};

for (const stack of stacks) {
  test(`${stack}: component tree, docker build environment, one command per stage, map-shaped triggers, outputs`, async () => {
    const { resources, outputs } = await runProgram(stack, pulumiConfig(stack, { workDir: freshWorkDir() }));
    const components = resources.filter((r) => r.type.startsWith("br-criu:")).map((r) => `${r.type} ${r.name}`);
    assert.deepEqual(
      components.sort(),
      [
        `br-criu:build:BoardBuild ${stack}`,
        `br-criu:build:BootTest ${stack}-boot-test`,
        `br-criu:build:BuildEnvironment ${stack}-env`,
        `br-criu:build:BuildrootConfig ${stack}-config`,
        `br-criu:build:BuildrootTree ${stack}-buildroot`,
        `br-criu:build:Image ${stack}-image`,
        `br-criu:build:Kernel ${stack}-kernel`,
        `br-criu:build:Rootfs ${stack}-rootfs`,
        `br-criu:build:Toolchain ${stack}-toolchain`,
      ].sort(),
    );

    const image = byName(resources, `${stack}-env-image`);
    assert.equal(image.type, "docker:index/image:Image");
    assert.match(image.inputs["imageName"], /^br-criu-build:[0-9a-f]{16}$/);
    assert.equal(image.inputs["skipPush"], true);
    assert.match(image.inputs["build"]["context"], /packages\/build-env$/);
    assert.deepEqual(
      resources
        .filter((r) => r.type === "docker:index/volume:Volume")
        .map((r) => r.inputs["name"])
        .sort(),
      ["br-criu-ccache", "br-criu-dl"],
    );

    const defconfig = `${stack.replace(/-/g, "_")}_criu_defconfig`;
    for (const [stage, patterns] of Object.entries(STAGE_STEPS)) {
      const command = byName(resources, `${stack}-${stage}-${stage === "config" ? "defconfig" : "make"}`);
      assert.equal(command.type, "command:local:Command");
      for (const pattern of patterns) assert.match(command.inputs["create"], pattern, `${stage}: ${pattern}`);
      assert.ok(command.inputs["create"].includes(defconfig), `${stage} uses ${defconfig}`);
      assert.match(command.inputs["create"], /docker run --rm --name br-criu-/);
      assert.match(command.inputs["delete"], /docker ps -aq --filter .name=\^br-criu-[^ ]+. \| xargs -r docker rm -f/);
      const [inputs] = command.inputs["triggers"];
      assert.equal(typeof inputs, "object", `${stage}: first trigger is the inputs map`);
      assert.deepEqual(Object.keys(inputs), Object.keys(inputs).sort(), `${stage}: sorted keys`);
    }
    const kernelTriggers = byName(resources, `${stack}-kernel-make`).inputs["triggers"][0];
    assert.equal(kernelTriggers["CONFIG_CHECKPOINT_RESTORE"], "y");
    assert.equal(kernelTriggers["BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE"], '"6.12.91"');
    assert.equal(
      byName(resources, `${stack}-rootfs-make`).inputs["triggers"][0]["BR2_PACKAGE_CHECKPOINT_RESTORE"],
      "y",
    );
    assert.match(byName(resources, `${stack}-toolchain-make`).inputs["delete"], / clean\b/);
    assert.equal(byName(resources, `${stack}-toolchain-make`).inputs["triggers"][1], 0, "epoch 0 on a first build");

    assert.equal(outputs["board"], stack);
    assert.equal(outputs["criuVersion"], "v4.2.1");
    assert.equal(outputs["kernelVersion"], "6.12.91");
    assert.equal(outputs["buildrootCommit"], "679b9ead7620bbf193620d1ebf56f53c1764d37a");
    assert.match(String(outputs["inputsHash"]), /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(outputs["imageManifest"] as object), ["bzImage", "rootfs.ext2", "start-qemu.sh"]);
    assert.match(
      (outputs["imageFiles"] as Record<string, string>)["rootfs.ext2"]!,
      new RegExp(`/${stack}/output/images/rootfs\\.ext2$`),
    );
    assert.equal((outputs["criuFeatures"] as Record<string, string>)["lazy-pages"], "enabled");
    assert.deepEqual(Object.keys(outputs["rebuildPlan"] as object), [
      "toolchain",
      "config",
      "kernel",
      "rootfs",
      "image",
    ]);

    const bootTest = byName(resources, `${stack}-boot-test-qemu`);
    assert.match(
      bootTest.inputs["create"],
      new RegExp(`boot-test ${stack} --images \\S+/${stack}/output/images --timeout \\d+ --json`),
    );
    assert.equal(bootTest.inputs["triggers"][0], `${stack}-image-make-id`, "a new image re-runs the boot test");
    assert.equal(outputs["criuCheck"], true);
    assert.equal(outputs["dumpRestore"], true);
    assert.deepEqual(outputs["bootTimings"], { bootToResultSeconds: 12.5, "criu-checkMs": 800, restoreMs: 600 });
  });
}

test("host mode: no Docker resources, a host check, stages run stage.sh with fixed environment", async () => {
  const { resources } = await runProgram(
    "qemu-aarch64",
    pulumiConfig("qemu-aarch64", { buildMode: "host", workDir: freshWorkDir() }),
  );
  assert.deepEqual(
    resources.filter((r) => r.type.startsWith("docker:")),
    [],
  );
  assert.match(byName(resources, "qemu-aarch64-env-host-check").inputs["create"], /missing/);
  const toolchain = byName(resources, "qemu-aarch64-toolchain-make").inputs["create"];
  assert.match(
    toolchain,
    /env BR_CRIU_BUILDROOT=\S+ BR_CRIU_EXTERNAL=\S+packages\/br2-external BR_CRIU_OUTPUT=\S+\/qemu-aarch64\/output BR2_DL_DIR=\S+ BR2_CCACHE_DIR=\S+ \S+packages\/build-env\/stage\.sh toolchain qemu_aarch64_criu_defconfig/,
  );
});

test("verifyReproducible adds a second build and exports the verdict", async () => {
  const { resources, outputs } = await runProgram(
    "qemu-x86_64",
    pulumiConfig("qemu-x86_64", { verifyReproducible: true, workDir: freshWorkDir() }),
  );
  const verify = byName(resources, "qemu-x86_64-verify-second-build").inputs["create"];
  assert.match(verify, /\/qemu-x86_64\/output-verify:\/br\/output/);
  assert.match(verify, /compare-manifests/);
  assert.equal(outputs["reproducible"], true);
  assert.deepEqual(outputs["differingFiles"], []);
});

test("a previous build record makes the planner's reasons and epoch reach the program", async () => {
  const workDir = freshWorkDir();
  const first = await runProgram("qemu-arm", pulumiConfig("qemu-arm", { workDir }));
  assert.match((first.outputs["rebuildPlan"] as Record<string, string[]>)["kernel"]![0]!, /first build/);
  // Record a build whose rootfs had one more package: its removal forces a clean build (epoch 1).
  const image = byName(first.resources, "qemu-arm-image-make");
  const record = JSON.parse(image.inputs["environment"]["BR_CRIU_RECORD"]);
  record.inputs.rootfs = { ...record.inputs.rootfs, BR2_PACKAGE_HTOP: "y" };
  mkdirSync(join(workDir, "qemu-arm"), { recursive: true });
  writeFileSync(join(workDir, "qemu-arm", "build-record.json"), JSON.stringify(record));
  const second = await runProgram("qemu-arm", pulumiConfig("qemu-arm", { workDir }));
  assert.equal(byName(second.resources, "qemu-arm-toolchain-make").inputs["triggers"][1], 1);
  assert.match((second.outputs["rebuildPlan"] as Record<string, string[]>)["rootfs"]![0]!, /BR2_PACKAGE_HTOP removed/);
  assert.equal(planBuild(record, record.inputs).clean, false, "the record itself plans a no-op");
});

test("a bad stack configuration fails before any resource is declared", async () => {
  await assert.rejects(runProgram("qemu-x86_64", pulumiConfig("qemu-x86_64", { arch: "mips" })), (error: Error) => {
    assert.match(error.message, /^stacks\/Pulumi\.qemu-x86_64\.yaml: br-criu:arch: "mips" is not supported/);
    return true;
  });
  await assert.rejects(
    runProgram("qemu-x86_64", pulumiConfig("qemu-x86_64", { reproducible: "maybe" })),
    /br-criu:reproducible: expected boolean/,
  );
  await assert.rejects(
    runProgram("qemu-x86_64", pulumiConfig("qemu-x86_64", { frobnicate: true })),
    /unknown key "frobnicate"/,
  );
});

test("a stack whose checked-in BR2_EXTERNAL files are stale is refused with the fix", async () => {
  await assert.rejects(
    runProgram("qemu-x86_64", pulumiConfig("qemu-x86_64", { hostname: "renamed" })),
    /packages\/br2-external is out of date.*npm run generate/,
  );
});

test("the program entry loads through ts-node, as Pulumi's Node.js runtime loads it", () => {
  // Pulumi runs the program in main's directory, registers ts-node with the
  // tsconfig.json it finds there and requires main; workspace packages are
  // TypeScript sources that must transpile the same way (the engine tier also
  // type-checks them so).
  const script = `
    require("ts-node").register({ transpileOnly: true, project: "tsconfig.json" });
    const pulumi = require("@pulumi/pulumi");
    const types = [];
    pulumi.runtime.setMocks({ newResource: (a) => { types.push(a.type); return { id: a.name + "-id", state: a.inputs }; }, call: (a) => a.inputs }, "br-criu", "qemu-arm", true)
      .then(() => {
        pulumi.runtime.setAllConfig(${JSON.stringify(pulumiConfig("qemu-arm", { workDir: freshWorkDir() }))});
        require("./index.ts");
        setTimeout(() => { console.log(JSON.stringify([...new Set(types)].sort())); }, 1500);
      });`;
  const result = spawnSync(process.execPath, ["-e", script], { cwd: join(REPO_ROOT, "components"), encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const types = JSON.parse(result.stdout.trim().split("\n").pop()!);
  assert.ok(
    types.includes("br-criu:build:Kernel") &&
      types.includes("command:local:Command") &&
      types.includes("docker:index/image:Image"),
    result.stdout,
  );
});

test("br-criu:buildrootRepository is where the checkout clones from, and part of its triggers", async () => {
  const mirror = "/srv/mirrors/buildroot.git";
  const { resources } = await runProgram(
    "qemu-aarch64",
    pulumiConfig("qemu-aarch64", { buildMode: "host", workDir: freshWorkDir(), buildrootRepository: mirror }),
  );
  const checkout = byName(resources, "qemu-aarch64-buildroot-checkout").inputs;
  assert.match(
    checkout["create"],
    new RegExp(`stage\\.sh buildroot-tree ${mirror.replace(/\./g, "\\.")} 2026\\.02\\.3 [0-9a-f]{40}`),
  );
  assert.equal(JSON.parse(JSON.stringify(checkout["triggers"]))[0].url, mirror);
  const upstream = (
    await runProgram("qemu-aarch64", pulumiConfig("qemu-aarch64", { buildMode: "host", workDir: freshWorkDir() }))
  ).resources;
  assert.match(
    byName(upstream, "qemu-aarch64-buildroot-checkout").inputs["create"],
    /buildroot-tree https:\/\/gitlab\.com\/buildroot\.org\/buildroot\.git /,
  );
});
