/** The Pulumi program under Pulumi's mock runtime, for every stack file in stacks/, on both backends. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listStacks, loadProject } from "@br-criu/stacks";
import { EPOCH_KEY, STAGE_NAMES, STAGE_TABLE, planBuild } from "@br-criu/planner";
import { RESOURCE_TYPES, stageType } from "@br-criu/provider";
import { CREATE_JOINER } from "../../components/internal/pulumi-backend";
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
const typesAndNames = (resources: readonly RecordedResource[]) => resources.map((r) => `${r.type} ${r.name}`).sort();

/** What each stage's command lines must say (the stage table's make targets and br-criu's checks). */
const STAGE_STEPS: Record<string, RegExp[]> = {
  toolchain: [
    / clean$/,
    / make br-criu-logs\/toolchain\.log \S+_criu_defconfig$/,
    / make br-criu-logs\/toolchain\.log toolchain$/,
  ],
  config: [
    / make br-criu-logs\/config\.log \S+_criu_defconfig$/,
    /check-buildroot-config \S+ --config \S+\/output\/\.config$/,
  ],
  kernel: [
    / make br-criu-logs\/kernel\.log linux-reconfigure$/,
    /check-kernel \S+ --tree \S+\/output\/build\/linux-6\.12\.91$/,
    / make br-criu-logs\/kernel\.log linux-rebuild$/,
  ],
  rootfs: [/ make br-criu-logs\/rootfs\.log target-finalize$/],
  image: [
    / make br-criu-logs\/image\.log$/,
    / image-manifest$/,
    /^mv -f \S+\/build-record\.next\.json \S+\/build-record\.json$/,
  ],
};

/** Where each architecture's kernel build leaves its boot image (arch/<SRCARCH>/boot/...; ppc64le boots vmlinux). */
const KERNEL_BUILD_IMAGES: Readonly<Record<string, string>> = {
  x86_64: "arch/x86/boot/bzImage",
  aarch64: "arch/arm64/boot/Image",
  arm: "arch/arm/boot/zImage",
  powerpc64le: "vmlinux",
  riscv64: "arch/riscv/boot/Image",
};

for (const stack of stacks) {
  test(`${stack}: components, br-criu's resource types, one resource per stage table row, its inputs and commands, outputs`, async () => {
    const { resources, outputs } = await runProgram(stack, pulumiConfig(stack, { workDir: freshWorkDir() }));
    assert.deepEqual(
      typesAndNames(resources),
      [
        `br-criu-build:buildroot:Checkout ${stack}-buildroot`,
        `br-criu-build:docker:BuildImage ${stack}-env-image`,
        `br-criu-build:docker:CacheVolume ${stack}-env-ccache`,
        `br-criu-build:docker:CacheVolume ${stack}-env-downloads`,
        ...STAGE_NAMES.map((stage) => `${stageType(STAGE_TABLE[stage].type)} ${stack}-${stage}`),
        `br-criu-build:test:BootTest ${stack}-boot-test`,
        `br-criu:index:BoardBuild ${stack}`,
        `br-criu:index:BuildEnvironment ${stack}-env`,
      ].sort(),
    );

    const image = byName(resources, `${stack}-env-image`);
    assert.match(image.inputs["tag"], /^br-criu-build:[0-9a-f]{16}$/);
    assert.match(image.inputs["context"], /packages\/build-env$/);
    assert.deepEqual(image.inputs["buildArgs"], {});
    assert.deepEqual(
      resources
        .filter((r) => r.type === RESOURCE_TYPES.cacheVolume)
        .map((r) => r.inputs["name"])
        .sort(),
      ["br-criu-ccache", "br-criu-dl"],
    );

    const defconfig = `${stack.replace(/-/g, "_")}_criu_defconfig`;
    for (const stage of STAGE_NAMES) {
      const { inputs } = byName(resources, `${stack}-${stage}`);
      const create: string[] = inputs["run"]["commands"]["create"];
      assert.equal(create.length, STAGE_STEPS[stage]!.length, `${stage}: one line per step of its table row`);
      STAGE_STEPS[stage]!.forEach((pattern, index) => assert.match(create[index]!, pattern, `${stage} step ${index}`));
      if (stage !== "image")
        assert.ok(create.some((line) => line.includes(defconfig)) || stage === "kernel" || stage === "rootfs");
      for (const line of create.filter((l) => l.includes("docker run")))
        assert.match(line, /docker run --rm --init --name br-criu-/);
      assert.match(
        inputs["run"]["commands"]["cleanup"][0],
        /docker ps -aq --filter .name=\^\/\?br-criu-[^ ]+. \| xargs -r docker rm -f/,
      );
      assert.deepEqual(Object.keys(inputs["options"]), Object.keys(inputs["options"]).sort(), `${stage}: sorted keys`);
      assert.deepEqual(Object.keys(inputs["upstream"]), [...STAGE_TABLE[stage].upstream]);
      for (const [upstream, id] of Object.entries(inputs["upstream"])) assert.equal(id, `${stack}-${upstream}-id`);
      assert.match(inputs["log"], new RegExp(`/${stack}/output/br-criu-logs/${stage}\\.log$`));
    }
    const kernel = byName(resources, `${stack}-kernel`).inputs;
    assert.equal(kernel["options"]["CONFIG_CHECKPOINT_RESTORE"], "y");
    assert.equal(kernel["options"]["BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE"], '"6.12.91"');
    assert.deepEqual(
      kernel["products"].map((p: { path: string }) => p.path),
      ["build/linux-6.12.91/.config", `build/linux-6.12.91/${KERNEL_BUILD_IMAGES[String(outputs["arch"])]}`],
    );
    assert.equal(byName(resources, `${stack}-rootfs`).inputs["options"]["BR2_PACKAGE_CHECKPOINT_RESTORE"], "y");
    assert.match(byName(resources, `${stack}-toolchain`).inputs["run"]["commands"]["delete"][0], / clean$/);
    assert.equal(byName(resources, `${stack}-toolchain`).inputs["options"][EPOCH_KEY], "0", "epoch 0 on a first build");
    assert.equal(byName(resources, `${stack}-toolchain`).inputs["options"]["build.mode"], "docker");

    assert.equal(outputs["board"], stack);
    assert.equal(outputs["criuVersion"], "v4.2.1");
    assert.equal(outputs["kernelVersion"], "6.12.91");
    assert.equal(outputs["buildrootCommit"], "679b9ead7620bbf193620d1ebf56f53c1764d37a");
    assert.equal(outputs["buildrootVerified"], "buildroot 2026.02.3 679b9ead7620bbf193620d1ebf56f53c1764d37a");
    assert.match(String(outputs["inputsHash"]), /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(outputs["imageManifest"] as object), ["bzImage", "rootfs.ext2", "start-qemu.sh"]);
    assert.match(
      (outputs["imageFiles"] as Record<string, string>)["rootfs.ext2"]!,
      new RegExp(`/${stack}/output/images/rootfs\\.ext2$`),
    );
    assert.equal((outputs["criuFeatures"] as Record<string, string>)["lazy-pages"], "enabled");
    assert.equal(
      outputs["rebuildPlan"],
      undefined,
      "why stages re-run is logged on each stage, not an output that changes after every up",
    );

    const bootTest = byName(resources, `${stack}-boot-test`).inputs;
    assert.match(
      bootTest["run"]["commands"]["create"][0],
      new RegExp(`boot-test ${stack} --images \\S+/${stack}/output/images --timeout \\d+ --json`),
    );
    assert.equal(bootTest["image"], `${stack}-image-id`, "a new image re-runs the boot test");
    assert.deepEqual(outputs["bootTest"], {
      criuCheck: true,
      dumpRestore: true,
      timings: { bootToResultSeconds: 12.5, "criu-checkMs": 800, restoreMs: 600 },
    });
    assert.equal(outputs["reproducibility"], undefined);
  });
}

test("host mode: no Docker resources, a host tools check and cache directories, stages run stage.sh", async () => {
  const { resources } = await runProgram(
    "qemu-aarch64",
    pulumiConfig("qemu-aarch64", { buildMode: "host", workDir: freshWorkDir() }),
  );
  assert.deepEqual(
    resources.filter((r) => r.type.includes(":docker:")),
    [],
  );
  assert.match(byName(resources, "qemu-aarch64-env-host-tools").inputs["script"], /missing/);
  assert.deepEqual(
    resources
      .filter((r) => r.type === RESOURCE_TYPES.cacheDirectory)
      .map((r) => r.name)
      .sort(),
    ["qemu-aarch64-env-ccache", "qemu-aarch64-env-downloads"],
  );
  const toolchain = byName(resources, "qemu-aarch64-toolchain").inputs["run"]["commands"]["create"][1];
  assert.match(
    toolchain,
    /^env BR_CRIU_BUILDROOT=\S+ BR_CRIU_EXTERNAL=\S+\/qemu-aarch64\/br2-external BR_CRIU_OUTPUT=\S+\/qemu-aarch64\/output BR2_DL_DIR=\S+ BR2_CCACHE_DIR=\S+ \S+packages\/build-env\/stage\.sh make br-criu-logs\/toolchain\.log qemu_aarch64_criu_defconfig$/,
  );
  assert.equal(byName(resources, "qemu-aarch64-toolchain").inputs["options"]["build.mode"], "host");
});

test("br-criu:buildHost: every docker call names it, its stages are watched, and the outputs say where", async () => {
  const { resources, outputs } = await runProgram(
    "qemu-x86_64",
    pulumiConfig("qemu-x86_64", { buildHost: BUILD_HOST, workDir: freshWorkDir() }),
  );
  assert.equal(outputs["buildHost"], BUILD_HOST);
  for (const kind of [RESOURCE_TYPES.buildImage, RESOURCE_TYPES.cacheVolume])
    for (const r of resources.filter((resource) => resource.type === kind))
      assert.deepEqual(r.inputs["endpoint"], { host: BUILD_HOST }, `${r.name} is made on the build host`);
  for (const stage of STAGE_NAMES) {
    const { run } = byName(resources, `qemu-x86_64-${stage}`).inputs;
    assert.deepEqual(run["buildHost"], { host: BUILD_HOST }, `${stage} is watched`);
    for (const line of [...run["commands"]["create"], ...run["commands"]["cleanup"]] as string[])
      for (const call of line.match(/(?:^|[|&] )docker \S+ \S+/g) ?? [])
        assert.match(call, new RegExp(`docker -H ${BUILD_HOST.replace(/[.]/g, "\\.")}$`), `${stage}: ${line}`);
  }
  assert.equal(byName(resources, "qemu-x86_64-toolchain").inputs["options"]["build.host"], BUILD_HOST);
  const kernel = byName(resources, "qemu-x86_64-kernel").inputs["products"];
  assert.deepEqual(
    kernel.map((p: { path: string }) => p.path),
    ["build/linux-6.12.91/.config"],
    "refresh checks the local copies",
  );
  const local = await runProgram("qemu-x86_64", pulumiConfig("qemu-x86_64", { workDir: freshWorkDir() }));
  assert.equal(local.outputs["buildHost"], "local");
  assert.equal(byName(local.resources, "qemu-x86_64-toolchain").inputs["options"]["build.host"], undefined);
});

test("verifyReproducible adds the double build and exports its verdict", async () => {
  const { resources, outputs } = await runProgram(
    "qemu-x86_64",
    pulumiConfig("qemu-x86_64", { verifyReproducible: true, workDir: freshWorkDir() }),
  );
  const double = byName(resources, "qemu-x86_64-double-build");
  assert.equal(double.type, RESOURCE_TYPES.doubleBuild);
  const create: string[] = double.inputs["run"]["commands"]["create"];
  assert.ok(create.some((line) => /\/qemu-x86_64\/output-verify:\/br\/output/.test(line)));
  assert.match(create.at(-1)!, /compare-manifests/);
  assert.equal(double.inputs["image"], "qemu-x86_64-image-id");
  assert.deepEqual(outputs["reproducibility"], { reproducible: true, differingFiles: [] });
});

test("a previous build record makes the planner's reasons and epoch reach the program", async () => {
  const workDir = freshWorkDir();
  const first = await runProgram("qemu-arm", pulumiConfig("qemu-arm", { workDir }));
  assert.ok(
    first.logs.includes("info qemu-arm-kernel: kernel re-runs: clean build: first build: no record of an earlier one"),
    first.logs.join("\n"),
  );
  // `pulumi up` wrote the record this build will leave; record a build whose rootfs had one more package.
  const record = JSON.parse(readFileSync(join(workDir, "qemu-arm", "build-record.next.json"), "utf8"));
  record.inputs.rootfs = { ...record.inputs.rootfs, BR2_PACKAGE_HTOP: "y" };
  writeFileSync(join(workDir, "qemu-arm", "build-record.json"), JSON.stringify(record));
  const second = await runProgram("qemu-arm", pulumiConfig("qemu-arm", { workDir }));
  assert.equal(
    byName(second.resources, "qemu-arm-toolchain").inputs["options"][EPOCH_KEY],
    "1",
    "its removal forces a clean build",
  );
  assert.ok(
    second.logs.some((line) =>
      /^info qemu-arm-rootfs: rootfs re-runs: clean build: BR2_PACKAGE_HTOP removed/.test(line),
    ),
    second.logs.join("\n"),
  );
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

test("a configuration not yet generated into the checked-in tree builds from a tree rendered for the stack", async () => {
  const workDir = freshWorkDir();
  const before = await runProgram("qemu-x86_64", pulumiConfig("qemu-x86_64", { workDir }));
  const after = await runProgram("qemu-x86_64", pulumiConfig("qemu-x86_64", { workDir, kernelConfig: { ZRAM: "y" } }));
  // Only the kernel stage's inputs change, by exactly the new option.
  for (const stage of STAGE_NAMES) {
    const a = byName(before.resources, `qemu-x86_64-${stage}`).inputs["options"];
    const b = byName(after.resources, `qemu-x86_64-${stage}`).inputs["options"];
    if (stage === "kernel") assert.deepEqual({ ...b, CONFIG_ZRAM: undefined }, { ...a, CONFIG_ZRAM: undefined });
    else assert.deepEqual(b, a, `${stage}: unchanged`);
  }
  assert.equal(byName(after.resources, "qemu-x86_64-kernel").inputs["options"]["CONFIG_ZRAM"], "y");
  // The stages build from <stack>/br2-external, a link to the rendered tree, which has the option.
  const link = join(workDir, "qemu-x86_64", "br2-external");
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.match(readFileSync(join(link, "board/qemu-x86_64/linux-criu.fragment"), "utf8"), /^CONFIG_ZRAM=y$/m);
  assert.ok(existsSync(join(link, "package/checkpoint-restore/checkpoint-restore.mk")));
  assert.equal(lstatSync(join(link, "board/qemu-x86_64/start-qemu.sh")).mode & 0o777, 0o755);
  // Two configurations, two content-addressed trees, both whole.
  assert.equal(readdirSync(join(workDir, "br2-external")).filter((name) => !name.includes(".partial")).length, 2);
});

test("a preview writes nothing: no rendered tree, no build record", async () => {
  const workDir = freshWorkDir();
  await runProgram("qemu-x86_64", pulumiConfig("qemu-x86_64", { workDir }), { preview: true });
  assert.deepEqual(readdirSync(workDir), []);
});

test("br-criu:buildrootRepository is where the checkout clones from, and replaces it when it changes", async () => {
  const mirror = "/srv/mirrors/buildroot.git";
  const { resources } = await runProgram(
    "qemu-aarch64",
    pulumiConfig("qemu-aarch64", { buildMode: "host", workDir: freshWorkDir(), buildrootRepository: mirror }),
  );
  const checkout = byName(resources, "qemu-aarch64-buildroot").inputs;
  assert.match(
    checkout["run"]["commands"]["create"][1],
    new RegExp(`stage\\.sh buildroot-tree ${mirror.replace(/\./g, "\\.")} 2026\\.02\\.3 [0-9a-f]{40}$`),
  );
  assert.equal(checkout["url"], mirror);
});

test("buildBaseImage and the Debian archives become the build image's arguments and change its tag", async () => {
  const plain = byName(
    (await runProgram("qemu-arm", pulumiConfig("qemu-arm", { workDir: freshWorkDir() }))).resources,
    "qemu-arm-env-image",
  );
  const based = byName(
    (
      await runProgram(
        "qemu-arm",
        pulumiConfig("qemu-arm", {
          workDir: freshWorkDir(),
          buildBaseImage: "br-criu-test-base:0123456789abcdef",
          buildDebianArchive: "http://deb.debian.org/debian",
        }),
      )
    ).resources,
    "qemu-arm-env-image",
  );
  assert.deepEqual(based.inputs["buildArgs"], {
    BASE: "br-criu-test-base:0123456789abcdef",
    DEBIAN_ARCHIVE: "http://deb.debian.org/debian",
  });
  assert.notEqual(based.inputs["tag"], plain.inputs["tag"]);
});

/** The br-criu provider's and Pulumi's command lines and triggers, by resource name. */
async function bothBackends(stack: string, config: Record<string, unknown>) {
  const workDir = freshWorkDir();
  const own = (await runProgram(stack, pulumiConfig(stack, { ...config, workDir }))).resources;
  const pulumi = (await runProgram(stack, pulumiConfig(stack, { ...config, workDir, providers: "pulumi" }))).resources;
  return { own, pulumi };
}

const BUILD_HOST = "ssh://builder@build-1.example.com";

for (const [buildMode, where] of [
  ["docker", "local"],
  ["host", "local"],
  ["docker", BUILD_HOST],
] as const) {
  test(`br-criu:providers: pulumi runs the same command lines with the same triggers (${buildMode} mode, ${where})`, async () => {
    const { own, pulumi } = await bothBackends("qemu-x86_64", {
      buildMode,
      verifyReproducible: buildMode === "docker",
      ...(where === "local" ? {} : { buildHost: where }),
    });
    if (where !== "local") {
      const engines = pulumi.filter((r) => r.type === "pulumi:providers:docker");
      assert.deepEqual(
        engines.map((r) => r.inputs["host"]),
        [where],
        "one docker provider for the build host",
      );
    }
    const commands = pulumi.filter((r) => r.type === "command:local:Command");
    assert.ok(commands.length >= 8);
    assert.deepEqual(
      pulumi.filter((r) => r.type.startsWith("br-criu-build:")),
      [],
      "no resource of br-criu's provider",
    );
    for (const stage of STAGE_NAMES) {
      const mine = byName(own, `qemu-x86_64-${stage}`).inputs;
      const theirs = byName(pulumi, `qemu-x86_64-${stage}`).inputs;
      const { create, cleanup, delete: remove } = mine["run"]["commands"];
      assert.equal(theirs["create"], create.join(CREATE_JOINER), `${stage}: create`);
      assert.equal(theirs["delete"], [...cleanup, ...remove].join("\n") || undefined, `${stage}: delete`);
      assert.equal(theirs["dir"], mine["run"]["dir"]);
      assert.deepEqual(theirs["triggers"][0], mine["options"], `${stage}: the inputs map is the first trigger`);
      assert.deepEqual(
        theirs["triggers"].slice(1),
        STAGE_TABLE[stage].upstream.map((u) => mine["upstream"][u]),
      );
    }
    const checkout = byName(own, "qemu-x86_64-buildroot").inputs;
    assert.equal(
      byName(pulumi, "qemu-x86_64-buildroot").inputs["create"],
      checkout["run"]["commands"]["create"].join(CREATE_JOINER),
    );
    const test = byName(own, "qemu-x86_64-boot-test").inputs;
    const command = byName(pulumi, "qemu-x86_64-boot-test").inputs;
    assert.equal(command["create"], test["run"]["commands"]["create"][0]);
    assert.deepEqual(command["triggers"], [test["image"]]);
    if (buildMode === "docker") {
      assert.equal(byName(pulumi, "qemu-x86_64-env-image").type, "docker:index/image:Image");
      assert.equal(
        byName(pulumi, "qemu-x86_64-env-image").inputs["imageName"],
        byName(own, "qemu-x86_64-env-image").inputs["tag"],
      );
      assert.deepEqual(
        pulumi
          .filter((r) => r.type === "docker:index/volume:Volume")
          .map((r) => r.inputs["name"])
          .sort(),
        ["br-criu-ccache", "br-criu-dl"],
      );
      const double = byName(own, "qemu-x86_64-double-build").inputs["run"]["commands"];
      assert.equal(byName(pulumi, "qemu-x86_64-double-build").inputs["create"], double["create"].join(CREATE_JOINER));
    } else {
      assert.equal(
        byName(pulumi, "qemu-x86_64-env-host-tools").inputs["create"],
        byName(own, "qemu-x86_64-env-host-tools").inputs["script"],
      );
    }
  });
}

test("the program entry loads through ts-node, as Pulumi's Node.js runtime loads it", () => {
  // Pulumi runs the program in main's directory, registers ts-node with the
  // tsconfig.json it finds there and requires main; workspace packages are
  // TypeScript sources that must transpile the same way.
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
  assert.ok(types.includes(stageType("Kernel")) && types.includes(RESOURCE_TYPES.buildImage), result.stdout);
});

test("host-mode caches and the checkout live where the layout says", async () => {
  const workDir = freshWorkDir();
  mkdirSync(workDir, { recursive: true });
  const { resources } = await runProgram("qemu-riscv64", pulumiConfig("qemu-riscv64", { buildMode: "host", workDir }));
  assert.equal(byName(resources, "qemu-riscv64-buildroot").inputs["path"], `${workDir}/buildroot-679b9ead7620`);
  assert.equal(byName(resources, "qemu-riscv64-image").inputs["outputDir"], `${workDir}/qemu-riscv64/output`);
});
