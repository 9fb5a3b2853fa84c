/** The command lines each stage runs, for the docker and host runners, and the double build's. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shellQuote } from "@br-criu/generators";
import {
  STAGE_NAMES,
  STAGE_TABLE,
  buildrootTreeSteps,
  containerName,
  doubleBuildCommands,
  parseCheckout,
  remoteVolume,
  removeContainersCommand,
  stageCommands,
  stageScriptCommand,
  type StageContext,
} from "@br-criu/planner";
import { scratchDir } from "../support/scratch";

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
    const fetches = STAGE_TABLE[stage].steps.filter((step) => step.run === "fetch").length;
    assert.equal(commands.create.length, STAGE_TABLE[stage].steps.length - fetches, "a local build fetches nothing");
  }
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

const REMOTE = { ...DOCKER, endpoint: { host: "tcp://10.77.0.2:2376", tlsDir: "/etc/br-criu/tls" } };
const TO_REMOTE =
  "docker -H tcp://10.77.0.2:2376 --tlsverify --tlscacert /etc/br-criu/tls/ca.pem --tlscert /etc/br-criu/tls/cert.pem --tlskey /etc/br-criu/tls/key.pem";

test("a remote build host: every docker call names it, and the stack's directories are volumes there", () => {
  const c = context(REMOTE);
  const output = remoteVolume("output", PATHS.output);
  const lines = [
    ...STAGE_NAMES.flatMap((stage) => Object.values(stageCommands(stage, c)).flat()),
    ...buildrootTreeSteps(REMOTE, PATHS, "s", { url: "/srv/mirror", tag: "t", commit: "c".repeat(40) }),
  ];
  const dockerCalls = lines.flatMap((line) => line.match(/(?:^|[|&] )docker [^|&]*/g) ?? []);
  assert.ok(dockerCalls.length > 10, dockerCalls.join("\n"));
  for (const call of dockerCalls) assert.ok(call.replace(/^[|&] /, "").startsWith(TO_REMOTE), call);
  assert.ok(lines.every((line) => !line.includes(`-v '${PATHS.output}:`) && !line.includes(`-v ${PATHS.buildroot}:`)));
  const make = stageCommands("kernel", c).create[0]!;
  assert.match(
    make,
    new RegExp(
      `-v ${remoteVolume("checkout", PATHS.buildroot)}:/br/buildroot -v ${remoteVolume("external", PATHS.external)}:/br/external:ro -v ${output}:/br/output `,
    ),
  );
  assert.match(
    make,
    /^find -H \/w\/s\/br2-external -mindepth 1 -maxdepth 1 -printf '%P\\0' \| tar -c -C \/w\/s\/br2-external --null -T - \| docker .* run --rm -i --user "\$\(id -u\):\$\(id -g\)" --entrypoint bash /,
    "make gets the stack's BR2_EXTERNAL tree first",
  );
});

test("a remote build host: the products the checks and the boot test read come back; delete removes the volume", () => {
  const c = context(REMOTE);
  const fetched = (stage: (typeof STAGE_NAMES)[number]) =>
    stageCommands(stage, c).create.filter((line) => line.includes(" fetch "));
  const [config] = fetched("config");
  assert.match(
    config!,
    /^mkdir -p '\/w\/s p\/output' && rm -rf '\/w\/s p\/output\/.config' && docker .* fetch .config \| tar -x -C '\/w\/s p\/output'$/,
  );
  const configSteps = stageCommands("config", c).create;
  assert.ok(
    configSteps.indexOf(config!) < configSteps.findIndex((line) => line.includes("check-buildroot-config")),
    "fetched before the check",
  );
  assert.match(fetched("kernel")[0]!, /-name "Kconfig\*".* fetch build\/linux-6\.12\.91 \|/);
  assert.match(fetched("image")[0]!, / fetch images \| tar -x /);
  assert.deepEqual(fetched("toolchain"), []);
  const removal = stageCommands("toolchain", c).delete;
  assert.match(
    removal[1]!,
    new RegExp(`volume rm -f ${remoteVolume("output", PATHS.output)} ${remoteVolume("external", PATHS.external)}`),
  );
  assert.equal(removal[2], "rm -rf '/w/s p/output'");
});

test("a remote build host gets a local Buildroot mirror as a tar stream, not a mount", () => {
  const [step, ...rest] = buildrootTreeSteps(REMOTE, PATHS, "s", {
    url: "/srv/mirror",
    tag: "2026.02.3",
    commit: "c".repeat(40),
  });
  assert.deepEqual(rest, [], "no local checkout directory to make");
  assert.match(step!, /^tar -c -C \/srv\/mirror \. \| docker -H .* run --rm --init -i --name br-criu-s-checkout-0 /);
  assert.doesNotMatch(step!, /\/br\/upstream|\/srv\/mirror:/);
  assert.match(step!, /buildroot-tree \/tmp\/br-criu-upstream "\$1" "\$2"' checkout 2026\.02\.3 c{40}$/);
});

/**
 * Runs the remote checkout step for `mirror` with a `docker` on PATH that does
 * what the container does with its stdin: unpack it (no checkout yet), or
 * read nothing (the checkout is there).
 */
function runRemoteCheckout(mirror: string, checkout: "missing" | "there") {
  const dir = scratchDir("remote-checkout");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(
    join(bin, "docker"),
    `#!/bin/sh\n[ "${checkout}" = there ] && exit 0\nmkdir -p "${dir}/unpacked" && exec tar -x -C "${dir}/unpacked"\n`,
    { mode: 0o755 },
  );
  const [step] = buildrootTreeSteps(REMOTE, PATHS, "s", { url: mirror, tag: "2026.02.3", commit: "c".repeat(40) });
  return spawnSync("sh", ["-c", step!], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env["PATH"]}` },
  });
}

test("a remote checkout from a local mirror tar cannot read fails naming the mirror; a present checkout is quiet", () => {
  const missing = runRemoteCheckout("/nonexistent/buildroot-mirror", "missing");
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /tar: \/nonexistent\/buildroot-mirror: Cannot open/);
  const mirror = scratchDir("mirror");
  // More than a pipe holds, so tar is still writing when a container that reads nothing exits.
  writeFileSync(join(mirror, "pack"), Buffer.alloc(4 * 1024 * 1024));
  const there = runRemoteCheckout(mirror, "there");
  assert.deepEqual([there.status, there.stderr], [0, ""]);
  const sent = runRemoteCheckout(mirror, "missing");
  assert.deepEqual([sent.status, sent.stderr], [0, ""]);
});
