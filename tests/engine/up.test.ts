/**
 * The engine tier, end to end: `pulumi up` of the qemu-x86_64 stack on the
 * real engine with br-criu's provider, in a scratch copy, against a bootable
 * stand-in Buildroot (a local git repository the stack pins; its kernel and
 * root filesystem are the runtime tier's x86_64 test kernel, busybox and
 * CRIU 4.2.1, and the image's S99criu-acceptance runs in QEMU through the
 * board's own start-qemu.sh). Each step builds on the one before: up, a
 * no-op up, one kernel option, drift found by refresh, an interrupted up,
 * the same build in docker mode, a refused configuration, destroy.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../support/project";
import { ensureBaseImage, filesNotOwnedBy, requireDocker, volumeExists } from "../support/container";
import { TEST_MIRROR, TEST_SECURITY_MIRROR } from "../support/container";
import { engineWorld, x86Payload, type EngineWorld, type Ran } from "../support/engine";
import {
  FAILING_KERNEL_MARKER,
  SLOW_KERNEL_MARKER,
  TARGETS_LOG,
  createStandInBuildroot,
  type StandInBuildroot,
} from "../support/standin-buildroot";

const STACK = "qemu-x86_64";
const TOKEN = randomBytes(6).toString("hex");
/** Volumes of this run only, so that their creation and their survival of destroy are observable. */
const VOLUMES = { downloads: `br-criu-test-dl-${TOKEN}`, ccache: `br-criu-test-ccache-${TOKEN}` };

let world: EngineWorld;
let standIn: StandInBuildroot;
let workDir = "";
let checkout = "";
let output = "";
const repoStatus = () => spawnSync("git", ["status", "--porcelain"], { cwd: REPO_ROOT, encoding: "utf8" }).stdout;
const repoBefore = repoStatus();

const ok = (ran: Ran, what: string) => assert.equal(ran.status, 0, `${what}:\n${ran.stdout}\n${ran.stderr}`);
const pulumi = (...args: string[]) => world.pulumi(...args, "--stack", STACK);
const set = (key: string, value: string, ...flags: string[]) =>
  ok(pulumi("config", "set", ...flags, key, value), `config set ${key}`);

/** The make targets the stand-in ran since the last call. */
let targetsSeen = 0;
function targetsRun(): string[] {
  const log = join(checkout, TARGETS_LOG);
  const lines = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  const fresh = lines.slice(targetsSeen);
  targetsSeen = lines.length;
  return fresh;
}

/** The stack outputs this test reads. */
interface Outputs {
  readonly imageManifest: Record<string, string>;
  readonly buildrootVerified: string;
  readonly bootTest: { criuCheck: boolean; dumpRestore: boolean; timings: Record<string, number> };
}

/** What `pulumi stack export` says of the stack, as far as this test reads it. */
interface Exported {
  readonly deployment: {
    readonly resources?: { type: string; outputs?: Record<string, unknown> }[];
    readonly pending_operations?: unknown[];
  };
}

function outputs(): Outputs {
  const ran = pulumi("stack", "output", "--json", "--show-secrets");
  ok(ran, "stack output");
  return JSON.parse(ran.stdout);
}

function state(): Exported {
  const ran = pulumi("stack", "export");
  ok(ran, "stack export");
  return JSON.parse(ran.stdout);
}

/** The operation the preview plans per resource name (only those that do something). */
function plannedOperations(): Record<string, string> {
  const ran = pulumi("preview", "--json");
  ok(ran, "preview --json");
  const steps: { op: string; urn: string }[] = JSON.parse(ran.stdout).steps ?? [];
  return Object.fromEntries(steps.filter((s) => s.op !== "same").map((s) => [s.urn.split("::").pop()!, s.op]));
}

/** Every make target of a full build, in the stage table's order (never two at once). */
const FULL_BUILD = [
  "qemu_x86_64_criu_defconfig",
  "toolchain",
  "qemu_x86_64_criu_defconfig",
  "linux-reconfigure",
  "linux-rebuild",
  "target-finalize",
  "all",
];

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

before(async () => {
  world = engineWorld();
  const payload = await x86Payload();
  standIn = createStandInBuildroot(join(world.root, "standin"), TOKEN, payload);
  spawnSync("chown", ["-R", `${world.user.uid}:${world.user.gid}`, standIn.dir]);
  workDir = join(world.root, "work");
  checkout = join(workDir, `buildroot-${standIn.release.commit.slice(0, 12)}`);
  output = join(workDir, STACK, "output");
});

test("a. stack init and preview --diff list every resource with its type", () => {
  ok(world.pulumi("stack", "init", STACK), "stack init");
  set("br-criu:buildMode", "host");
  set("br-criu:workDir", workDir);
  set("br-criu:buildrootRepository", standIn.dir);
  set("br-criu:buildrootCommit", standIn.release.commit);
  set("br-criu:rootfsFormats[0]", "cpio", "--path");
  const preview = pulumi("preview", "--diff");
  ok(preview, "preview --diff");
  for (const line of [
    "br-criu:index:BoardBuild",
    "br-criu:index:BuildEnvironment",
    "br-criu-build:host:HostTools",
    "br-criu-build:host:CacheDirectory",
    "br-criu-build:buildroot:Checkout",
    "br-criu-build:stage:Toolchain",
    "br-criu-build:stage:BuildrootConfig",
    "br-criu-build:stage:Kernel",
    "br-criu-build:stage:Rootfs",
    "br-criu-build:stage:Image",
    "br-criu-build:test:BootTest",
  ])
    assert.match(preview.stdout, new RegExp(`\\+ ${line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\(create\\)`), line);
});

/** An engine event of `pulumi up --event-log`, as far as these tests read it. */
interface EngineEvent {
  readonly sequence: number;
  readonly diagnosticEvent?: { readonly urn?: string; readonly message: string; readonly ephemeral?: boolean };
  readonly resOutputsEvent?: { readonly metadata: { readonly urn: string } };
}

function engineEvents(path: string): EngineEvent[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EngineEvent);
}

test("b. up in host mode: the image's manifest, the boot test's verdicts and the verified Buildroot commit; progress as it happens", () => {
  const eventLog = join(world.root, "up-events.jsonl");
  // The CLI offers --event-log only with its debug commands on.
  ok(
    world.run("env", "PULUMI_DEBUG_COMMANDS=true", "pulumi", "up", "--yes", "--event-log", eventLog, "--stack", STACK),
    "up",
  );
  assert.deepEqual(targetsRun(), FULL_BUILD);
  // Buildroot's ">>>" lines reach the engine as status lines of their stage, before the stage is done.
  const events = engineEvents(eventLog);
  const kernelUrn = (urn: string | undefined) => urn?.endsWith(`::${STACK}-kernel`) ?? false;
  const progress = events.find(
    (e) =>
      kernelUrn(e.diagnosticEvent?.urn) &&
      e.diagnosticEvent!.ephemeral &&
      /^>>> linux .*Building/.test(e.diagnosticEvent!.message),
  );
  assert.ok(progress, "the kernel stage's >>> lines reached the engine as status lines");
  const kernelDone = events.find((e) => kernelUrn(e.resOutputsEvent?.metadata.urn));
  assert.ok(kernelDone && progress.sequence < kernelDone.sequence, "progress came while the kernel stage ran");
  assert.match(readFileSync(join(output, "br-criu-logs/kernel.log"), "utf8"), /^>>> linux .*Building$/m);
  const out = outputs();
  const images = join(output, "images");
  const onDisk = Object.fromEntries(
    readdirSync(images)
      .filter((file) => file !== "manifest.sha256")
      .sort()
      .map((file) => [file, sha256(join(images, file))]),
  );
  assert.deepEqual(out["imageManifest"], onDisk);
  assert.ok("rootfs.cpio" in onDisk && "bzImage" in onDisk && "start-qemu.sh" in onDisk);
  assert.equal(out["bootTest"]["criuCheck"], true);
  assert.equal(out["bootTest"]["dumpRestore"], true);
  assert.ok((out.bootTest.timings["bootToResultSeconds"] ?? 0) > 0, JSON.stringify(out.bootTest.timings));
  assert.equal(out["buildrootVerified"], `buildroot 2026.02.3 ${standIn.release.commit}`);
});

test("c. a second up changes nothing and runs no make target", () => {
  ok(pulumi("up", "--yes", "--expect-no-changes"), "a no-op up");
  assert.deepEqual(targetsRun(), []);
});

test("d. one kernel option: preview --diff names it and replaces kernel, image and boot test only; up runs only those", () => {
  set("br-criu:kernelConfig.ZRAM", "y", "--path");
  const preview = pulumi("preview", "--diff");
  ok(preview, "preview --diff");
  assert.match(preview.stdout, /\+\+?CONFIG_ZRAM\s*: "y"|CONFIG_ZRAM\s*:\s*"y"/);
  assert.deepEqual(plannedOperations(), {
    [`${STACK}-kernel`]: "replace",
    [`${STACK}-image`]: "replace",
    [`${STACK}-boot-test`]: "replace",
  });
  ok(pulumi("up", "--yes"), "up");
  assert.deepEqual(targetsRun(), ["linux-reconfigure", "linux-rebuild", "all"]);
  assert.match(readFileSync(join(output, "build/linux-6.12.91/.config"), "utf8"), /^CONFIG_ZRAM=y$/m);
});

test("e. images deleted by hand: refresh reports the image stage changed; up rebuilds image and boot test only", () => {
  for (const file of readdirSync(join(output, "images")).filter((name) => name.startsWith("rootfs.")))
    rmSync(join(output, "images", file));
  const refresh = pulumi("refresh", "--yes");
  ok(refresh, "refresh");
  assert.match(refresh.stdout, new RegExp(`br-criu-build:stage:Image\\s+${STACK}-image\\s+updated`));
  assert.deepEqual(plannedOperations(), { [`${STACK}-image`]: "replace", [`${STACK}-boot-test`]: "replace" });
  ok(pulumi("up", "--yes"), "up");
  assert.deepEqual(targetsRun(), ["all"]);
  assert.ok(existsSync(join(output, "images/rootfs.cpio")));
});

test("f. SIGINT during the kernel stage: up stops within 10 s, no make is left, the state is whole; the next up runs the kernel stage and what follows", async () => {
  set("br-criu:kernelConfig.ZSMALLOC", "y", "--path");
  writeFileSync(join(checkout, SLOW_KERNEL_MARKER), "");
  const up = world.start("up", "--yes", "--stack", STACK);
  let printed = "";
  up.stdout!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  up.stderr!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<number>((resolve) => up.on("close", (code) => resolve(code ?? -1)));
  const deadline = Date.now() + 300_000;
  while (!targetsRun().includes("linux-rebuild")) {
    assert.ok(Date.now() < deadline, `the kernel stage did not start:\n${printed}`);
    await new Promise((done) => setTimeout(done, 250));
  }
  await new Promise((done) => setTimeout(done, 1000));
  const interrupted = Date.now();
  up.kill("SIGINT");
  const code = await exited;
  const seconds = (Date.now() - interrupted) / 1000;
  assert.notEqual(code, 0, printed);
  assert.ok(seconds < 10, `up took ${seconds.toFixed(1)} s to stop`);
  console.log(`# up stopped ${seconds.toFixed(1)} s after SIGINT`);
  const left = spawnSync("pgrep", ["-f", checkout], { encoding: "utf8" }).stdout.trim();
  assert.equal(left, "", "no process of the build is left");
  const exported = state();
  assert.deepEqual(exported.deployment.pending_operations ?? [], [], "no pending operations");
  rmSync(join(checkout, SLOW_KERNEL_MARKER));
  ok(pulumi("up", "--yes"), "up after the interrupt");
  assert.deepEqual(targetsRun(), ["linux-reconfigure", "linux-rebuild", "all"]);
  assert.equal(outputs()["bootTest"]["dumpRestore"], true);
});

test("g. a failing kernel build: up fails showing the last 40 lines and the full log's path; the next up recovers", () => {
  set("br-criu:kernelConfig.ZRAM_WRITEBACK", "y", "--path");
  const marker = join(checkout, FAILING_KERNEL_MARKER);
  writeFileSync(marker, "");
  let printed = "";
  try {
    const failed = pulumi("up", "--yes");
    printed = failed.stdout + failed.stderr;
    assert.notEqual(failed.status, 0, printed);
  } finally {
    rmSync(marker);
  }
  const log = /full make log: (\S+)/.exec(printed)?.[1];
  assert.ok(log, `the failure names the make log:\n${printed}`);
  const logLines = readFileSync(log, "utf8").trimEnd().split("\n");
  assert.ok(logLines.includes("stand-in compiler line 1"), "the log holds the whole output");
  const shown = (line: string) => printed.split("\n").some((printedLine) => printedLine.trim() === line.trim());
  assert.deepEqual(
    logLines.slice(-40).filter((line) => !shown(line)),
    [],
    "every one of the log's last 40 lines is shown",
  );
  assert.ok(!shown(logLines.at(-41)!), `only the last 40 lines are shown, not "${logLines.at(-41)}"`);
  assert.deepEqual(targetsRun(), ["linux-reconfigure", "linux-rebuild"], "nothing after the failed stage ran");
  ok(pulumi("up", "--yes"), "up after the fix");
  assert.deepEqual(targetsRun(), ["linux-reconfigure", "linux-rebuild", "all"]);
  assert.equal(outputs()["bootTest"]["dumpRestore"], true);
});

test("h. the same stack in docker mode on the real engine: build image and volumes by the provider, stages in the container as the user; then a no-op up", () => {
  requireDocker();
  const base = ensureBaseImage();
  set("br-criu:buildMode", "docker");
  set("br-criu:buildBaseImage", base.value);
  set("br-criu:buildDebianArchive", TEST_MIRROR);
  set("br-criu:buildDebianSecurityArchive", TEST_SECURITY_MIRROR);
  set("br-criu:downloadCache", VOLUMES.downloads);
  set("br-criu:ccacheCache", VOLUMES.ccache);
  ok(pulumi("up", "--yes"), "up in docker mode");
  assert.ok(volumeExists(VOLUMES.downloads) && volumeExists(VOLUMES.ccache), "the provider created the volumes");
  const image = state().deployment.resources?.find((r) => r.type === "br-criu-build:docker:BuildImage");
  assert.ok(image?.outputs, "the build image is a resource of the stack");
  assert.match(
    spawnSync("docker", ["image", "inspect", String(image.outputs["tag"])], { encoding: "utf8" }).stdout,
    /"Id"/,
  );
  // A clean build (the output's O= path changed), every stage in the container.
  assert.deepEqual(targetsRun(), FULL_BUILD);
  assert.deepEqual(filesNotOwnedBy(output, world.user.uid), [], `every output file belongs to uid ${world.user.uid}`);
  assert.equal(outputs()["bootTest"]["criuCheck"], true);
  ok(pulumi("up", "--yes", "--expect-no-changes"), "a no-op up in docker mode");
  assert.deepEqual(targetsRun(), []);
});

test("i. `config set br-criu:arch mips`: preview fails with plan's message, and no resource is touched", () => {
  const resourcesBefore = state().deployment.resources;
  set("br-criu:arch", "mips");
  const planned = spawnSync(
    join(REPO_ROOT, "node_modules/.bin/tsx"),
    [join(world.project, "packages/cli/src/main.ts"), "plan", STACK],
    { cwd: world.project, encoding: "utf8" },
  );
  assert.equal(planned.status, 1);
  const preview = pulumi("preview");
  assert.notEqual(preview.status, 0);
  assert.ok((preview.stdout + preview.stderr).includes(planned.stderr.trim()), `${preview.stdout}\n${preview.stderr}`);
  assert.deepEqual(state().deployment.resources, resourcesBefore);
  set("br-criu:arch", "x86_64");
});

test("j. destroy removes the output directory and keeps the caches; stack rm", () => {
  ok(pulumi("destroy", "--yes"), "destroy");
  assert.equal(existsSync(output), false, "the output directory is gone");
  assert.ok(volumeExists(VOLUMES.downloads) && volumeExists(VOLUMES.ccache), "the cache volumes remain");
  const hostCaches = join(world.env["BR_CRIU_CACHE"]!, "dl");
  assert.ok(existsSync(hostCaches), "host mode's download cache remains");
  ok(pulumi("stack", "rm", "--yes"), "stack rm");
  for (const volume of Object.values(VOLUMES)) spawnSync("docker", ["volume", "rm", volume], { stdio: "ignore" });
});

test("k. all state lived in the scratch copy: nothing was written in the repository", () => {
  assert.equal(repoStatus(), repoBefore);
  assert.equal(existsSync(join(REPO_ROOT, ".pulumi-state/.pulumi/stacks/br-criu", `${STACK}.json`)), false);
});
