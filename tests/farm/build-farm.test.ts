/**
 * Build farm tier: two build hosts made here (network namespaces, each with
 * its own dockerd, tests/support/build-hosts.ts), the first reached on
 * tcp:// with TLS, the second on ssh:// through an sshd of its own; two
 * x86_64 stacks of a scratch copy assigned one to each with
 * br-criu:buildHost, built by `npm run up -- --all --parallel 2` through
 * the real engine from the bootable stand-in Buildroot. Each stack's
 * containers must have run on its own host and nowhere else, its images
 * must have come back and booted; a host cut off mid-build (its veth down)
 * fails its stack, naming the host, and not the other; `destroy` leaves
 * each host's caches. Needs root (namespaces, iptables), Docker, the
 * Pulumi CLI and the runtime tier's x86_64 payload; fails, never skips.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { manifestHash } from "@br-criu/cli";
import { stackLayout } from "@br-criu/generators";
import { remoteVolume } from "@br-criu/planner";
import { assignBuildHosts, startBuildFarm, type BuildFarm, type BuildHost } from "../support/build-hosts";
import { ensureBaseImage, giveToUser, requireDocker } from "../support/container";
import { assertSideBySide, engineWorld, standInStacks, x86Payload } from "../support/engine";
import type { EngineWorld, Ran } from "../support/engine";
import { SLOW_KERNEL_MARKER, createStandInBuildroot, type StandInBuildroot } from "../support/standin-buildroot";

const STACKS = ["qemu-x86_64", "qemu-x86_64-twin"] as const;
/** The stages whose containers a full build starts. */
const STAGES = ["checkout", "toolchain", "config", "kernel", "rootfs", "image"];

let world: EngineWorld;
let standIn: StandInBuildroot;
let farm: BuildFarm;
let base: string;
const token = randomBytes(4).toString("hex");
const caches = { downloads: `br-criu-farm-dl-${token}`, ccache: `br-criu-farm-ccache-${token}` };

const ok = (ran: Ran, what: string) => assert.equal(ran.status, 0, `${what}:\n${ran.stdout}\n${ran.stderr}`);
const all = (...args: string[]) => world.run("bash", "packages/engine/pulumi.sh", ...args);
const hostOf = (stack: string): BuildHost => farm.hosts[STACKS.indexOf(stack as (typeof STACKS)[number])]!;
const layoutOf = (stack: string) => stackLayout(join(world.root, "work"), stack, standIn.release.commit);
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

/**
 * The containers of `stack` a host's engine was asked to create (its debug
 * log names every API call), from the log's `from`th character on.
 */
function containersOn(host: BuildHost, stack: string, from = 0): string[] {
  const pattern = new RegExp(`containers/create\\?name=br-criu-${escaped(stack)}-(${STAGES.join("|")})-\\d+`, "g");
  return [...readFileSync(host.log, "utf8").slice(from).matchAll(pattern)].map((match) => match[0].split("name=")[1]!);
}

interface FarmOutputs {
  readonly buildHost: string;
  readonly bootTest: { readonly dumpRestore: boolean };
  readonly imageFiles: Record<string, string>;
  readonly imageManifest: Record<string, string>;
}

function outputsOf(stack: string): FarmOutputs {
  const ran = world.pulumi("stack", "output", "--json", "--stack", stack);
  ok(ran, `stack output ${stack}`);
  return JSON.parse(ran.stdout);
}

before(async () => {
  requireDocker();
  base = ensureBaseImage().value;
  farm = startBuildFarm(["tcp", "ssh"], [base]);
  world = engineWorld();
  standIn = createStandInBuildroot(join(world.root, "standin"), token, await x86Payload());
  giveToUser(world.user, standIn.dir);
  standInStacks(world, standIn, STACKS);
  assignBuildHosts(world, STACKS, farm, base, caches);
});

after(() => {
  for (const host of farm?.hosts ?? []) host.docker("volume", "rm", "-f", caches.downloads, caches.ccache);
  farm?.stop();
});

test("up --all --parallel 2: each stack's containers ran on its own host only; images came back and booted", () => {
  const sshLogBefore = new Map(
    farm.hosts.map((host) => [host, host.ssh ? readFileSync(host.ssh.log, "utf8").length : 0]),
  );
  const ran = all("up", "--all", "--parallel", "2");
  ok(ran, "up --all --parallel 2");
  assertSideBySide(ran.stdout);
  for (const stack of STACKS) {
    const host = hostOf(stack);
    const other = farm.hosts.find((h) => h !== host)!;
    const ranThere = containersOn(host, stack).map((name) => name.slice(`br-criu-${stack}-`.length).split("-")[0]);
    assert.deepEqual([...new Set(ranThere)].sort(), [...STAGES].sort(), `${stack}'s stages on ${host.host}`);
    assert.deepEqual(containersOn(other, stack), [], `no container of ${stack} on ${other.host}`);
    const outputs = outputsOf(stack);
    assert.equal(outputs.buildHost, host.host);
    assert.equal(outputs.bootTest.dumpRestore, true, `${stack} booted its images and CRIU restored`);
    for (const file of Object.values(outputs.imageFiles))
      assert.ok(existsSync(file), `${file} came back to this machine`);
    assert.match(
      ran.stdout,
      new RegExp(
        `^${escaped(stack)}\\s+${escaped(host.host)}\\s+ok\\s+\\d+ s\\s+${manifestHash(outputs.imageManifest)}$`,
        "m",
      ),
    );
    const output = remoteVolume("output", layoutOf(stack).output);
    assert.equal(host.docker("volume", "inspect", output).status, 0, `${stack}'s output volume is on its host`);
    if (host.ssh) {
      const logins = readFileSync(host.ssh.log, "utf8").slice(sshLogBefore.get(host));
      assert.match(logins, /Accepted publickey for root/, `${stack}'s steps reached ${host.host} over ssh`);
    }
  }
  assert.match(ran.stdout, /up: all 2 stacks passed/);
});

test("a host cut off mid-build fails its stack, naming the host, and not the other; back up, up resumes", async () => {
  const [slowStack, otherStack] = STACKS;
  const host = hostOf(slowStack);
  const checkout = remoteVolume("checkout", layoutOf(slowStack).checkout);
  const marker = ["run", "--rm", "--entrypoint", "sh", "-v", `${checkout}:/br/buildroot`, base, "-c"];
  ok(host.docker(...marker, `touch /br/buildroot/${SLOW_KERNEL_MARKER}`), "slow kernel marker");
  for (const stack of STACKS)
    ok(world.pulumi("config", "set", "--path", "br-criu:kernelConfig.ZRAM", "y", "--stack", stack), "config set");
  const logBefore = readFileSync(host.log, "utf8").length;
  const up = world.startCommand("bash", "packages/engine/pulumi.sh", "up", "--all", "--parallel", "2");
  let stdout = "";
  up.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  up.stderr!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  let exitCode: number | undefined;
  const exited = new Promise<number>((resolve) =>
    up.on("close", (code) => {
      exitCode = code ?? -1;
      resolve(exitCode);
    }),
  );
  // linux-rebuild is the kernel stage's last container; the stand-in's takes two minutes with the marker.
  const rebuild = `br-criu-${slowStack}-kernel-3`;
  for (let waited = 0; !containersOn(host, slowStack, logBefore).includes(rebuild); waited += 1) {
    assert.ok(waited < 600 && exitCode === undefined, `${rebuild} never started on ${host.host}:\n${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const cut = Date.now();
  host.cutOff();
  const code = await exited;
  const secondsToFail = (Date.now() - cut) / 1000;
  host.reconnect();
  assert.equal(code, 1, stdout);
  assert.ok(secondsToFail < 90, `the stack failed ${secondsToFail} s after its host was cut off`);
  assert.match(stdout, new RegExp(`^${escaped(slowStack)}\\s+${escaped(host.host)}\\s+failed`, "m"));
  assert.match(stdout, new RegExp(`^${escaped(otherStack)}\\s+\\S+\\s+ok`, "m"));
  assert.match(
    stdout,
    new RegExp(`^${escaped(slowStack)}: error: .*build host ${escaped(host.host)} stopped answering`, "m"),
  );
  ok(host.docker(...marker, `rm /br/buildroot/${SLOW_KERNEL_MARKER}`), "slow kernel marker removed");
  const again = all("up", "--all", "--parallel", "2");
  ok(again, "up --all once the host answers again");
  assert.match(again.stdout, new RegExp(`^${escaped(slowStack)}: ${escaped(slowStack)}-kernel replace`, "m"));
  assert.doesNotMatch(again.stdout, new RegExp(`^${escaped(otherStack)}: .*-kernel `, "m"));
});

test("destroy --all: each host keeps its caches; the output volumes and local copies go", () => {
  const ran = all("destroy", "--all", "--parallel", "2");
  ok(ran, "destroy --all");
  for (const stack of STACKS) {
    const host = hostOf(stack);
    for (const cache of Object.values(caches))
      assert.equal(host.docker("volume", "inspect", cache).status, 0, `${cache} stays on ${host.host}`);
    const output = remoteVolume("output", layoutOf(stack).output);
    assert.notEqual(host.docker("volume", "inspect", output).status, 0, `${stack}'s output volume is gone`);
    assert.equal(existsSync(layoutOf(stack).output), false, `${stack}'s local output directory is gone`);
  }
});
