/**
 * The engine part of `npm run bench`: what Pulumi and br-criu's provider
 * cost on top of the build. Everything runs as the engine tier's user, in a
 * scratch copy, on the bootable stand-in Buildroot (host mode).
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { assignBuildHosts, startBuildFarm } from "../tests/support/build-hosts";
import { ensureBaseImage, giveToUser } from "../tests/support/container";
import { engineWorld, standInStacks, x86Payload, type EngineWorld } from "../tests/support/engine";
import { createStandInBuildroot, type StandInBuildroot } from "../tests/support/standin-buildroot";

const STACK = "qemu-x86_64";

/** Seconds a command takes; it must succeed. */
function timed(what: string, run: () => { status: number; stderr: string; stdout: string }): number {
  const started = performance.now();
  const result = run();
  if (result.status !== 0) throw new Error(`${what} failed:\n${result.stdout}\n${result.stderr}`);
  return (performance.now() - started) / 1000;
}

/** The fastest of three runs: one run's time varies by a second or more on a shared machine. */
function fastestOf(run: () => number): number {
  return Math.min(run(), run(), run());
}

/** An empty TypeScript program on the same engine, transpiled like br-criu's (noCheck): the floor of any up. */
function floor(world: EngineWorld): number {
  const dir = join(world.root, "floor");
  mkdirSync(join(dir, "state"), { recursive: true });
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    "name: floor\nruntime: nodejs\nmain: index.ts\nbackend:\n  url: file://./state\n",
  );
  writeFileSync(join(dir, "index.ts"), "export const nothing = 0;\n");
  writeFileSync(join(dir, "tsconfig.json"), '{ "compilerOptions": { "noCheck": true } }\n');
  symlinkSync(join(world.project, "node_modules"), join(dir, "node_modules"));
  giveToUser(world.user, dir);
  const inFloor = (...args: string[]) =>
    world.run("sh", "-c", `cd "$1" && shift && exec pulumi "$@"`, "sh", dir, ...args);
  timed("floor stack init", () => inFloor("stack", "init", "floor", "--non-interactive"));
  timed("floor first up", () => inFloor("up", "--yes", "--non-interactive"));
  return fastestOf(() => timed("floor up", () => inFloor("up", "--yes", "--non-interactive")));
}

/** Every create line of the stack's resources, in the order the build runs them, from the exported state. */
function commandLines(world: EngineWorld): { dir: string; lines: string[] } {
  const exported = world.pulumi("stack", "export", "--stack", STACK);
  const resources = (
    JSON.parse(exported.stdout) as {
      deployment: { resources: { urn: string; inputs?: { run?: { dir: string; commands: { create: string[] } } } }[] };
    }
  ).deployment.resources;
  const order = ["buildroot", "toolchain", "config", "kernel", "rootfs", "image", "boot-test"];
  const runs = order.map((name) => resources.find((r) => r.urn.endsWith(`::${STACK}-${name}`))!.inputs!.run!);
  return { dir: runs[0]!.dir, lines: runs.flatMap((run) => run.commands.create) };
}

/**
 * `npm run up -- --all` on two stand-in stacks, one at a time and side by
 * side, each from nothing (destroyed before): what --parallel 2 saves on
 * one machine (both stacks build here: there is one build host).
 */
function allStacks(world: EngineWorld, standIn: StandInBuildroot): void {
  standInStacks(world, standIn, [STACK, `${STACK}-twin`]);
  const all = (...args: string[]) => world.run("bash", "packages/engine/pulumi.sh", ...args);
  const seconds = [1, 2].map((parallel) => {
    timed("destroy --all", () => all("destroy", "--all"));
    return timed(`up --all --parallel ${parallel}`, () => all("up", "--all", "--parallel", String(parallel)));
  });
  timed("destroy --all", () => all("destroy", "--all"));
  console.log(
    `engine: up -- --all of two stand-in stacks on this machine: --parallel 1 ${seconds[0]!.toFixed(1)} s, --parallel 2 ${seconds[1]!.toFixed(1)} s (ratio ${(seconds[1]! / seconds[0]!).toFixed(2)})`,
  );
}

/** The same on two build hosts (tests/support/build-hosts.ts, one on tcp://, one on ssh://): one stack per host, each on its own engine. */
function allStacksOnTwoHosts(world: EngineWorld, standIn: StandInBuildroot): void {
  const stacks = [STACK, `${STACK}-twin`];
  const base = ensureBaseImage().value;
  const farm = startBuildFarm(["tcp", "ssh"], [base]);
  try {
    standInStacks(world, standIn, stacks);
    const token = randomBytes(4).toString("hex");
    assignBuildHosts(world, stacks, farm, base, {
      downloads: `br-criu-bench-dl-${token}`,
      ccache: `br-criu-bench-cc-${token}`,
    });
    const all = (...args: string[]) => world.run("bash", "packages/engine/pulumi.sh", ...args);
    // The first up builds each host's build image: not what is measured.
    timed("up --all (build images on the hosts)", () => all("up", "--all", "--parallel", "2"));
    const seconds = [1, 2].map((parallel) => {
      timed("destroy --all", () => all("destroy", "--all"));
      return timed(`up --all --parallel ${parallel}`, () => all("up", "--all", "--parallel", String(parallel)));
    });
    timed("destroy --all", () => all("destroy", "--all"));
    console.log(
      `engine: up -- --all of two stand-in stacks on two build hosts: --parallel 1 ${seconds[0]!.toFixed(1)} s, --parallel 2 ${seconds[1]!.toFixed(1)} s (ratio ${(seconds[1]! / seconds[0]!).toFixed(2)})`,
    );
  } finally {
    farm.stop();
  }
}

export async function benchEngine(): Promise<void> {
  const world = engineWorld();
  const payload = await x86Payload();
  const standIn = createStandInBuildroot(join(world.root, "standin"), randomBytes(6).toString("hex"), payload);
  giveToUser(world.user, standIn.dir);
  const set = (key: string, value: string, ...flags: string[]) =>
    timed(`config set ${key}`, () => world.pulumi("config", "set", ...flags, key, value, "--stack", STACK));
  timed("stack init", () => world.pulumi("stack", "init", STACK));
  set("br-criu:buildMode", "host");
  set("br-criu:workDir", join(world.root, "work"));
  set("br-criu:buildrootRepository", standIn.dir);
  set("br-criu:buildrootCommit", standIn.release.commit);
  set("br-criu:rootfsFormats[0]", "cpio", "--path");

  const full = timed("full up", () => world.pulumi("up", "--yes", "--stack", STACK));
  const preview = timed("preview", () => world.pulumi("preview", "--stack", STACK));
  const noop = fastestOf(() =>
    timed("no-op up", () => world.pulumi("up", "--yes", "--expect-no-changes", "--stack", STACK)),
  );
  const empty = floor(world);
  console.log(`engine: preview of ${STACK} (nothing to do): ${preview.toFixed(1)} s (target under 10 s)`);
  console.log(
    `engine: no-op up (fastest of 3): ${noop.toFixed(1)} s; an empty program's up on the same engine (fastest of 3): ${empty.toFixed(1)} s; ratio ${(noop / empty).toFixed(2)} (targets: under 15 s and 2x)`,
  );
  const { dir, lines } = commandLines(world);
  timed("destroy", () => world.pulumi("destroy", "--yes", "--stack", STACK));
  // What the program writes before the stages run (the image stage moves it into place).
  const stackDir = join(world.root, "work", STACK);
  copyFileSync(join(stackDir, "build-record.json"), join(stackDir, "build-record.next.json"));
  const direct = timed("the same command lines in a shell", () =>
    world.run(
      "sh",
      "-c",
      `cd "$1" && shift && for line in "$@"; do sh -c "$line" >/dev/null || exit 1; done`,
      "sh",
      dir,
      ...lines,
    ),
  );
  console.log(
    `engine: full up on the stand-in: ${full.toFixed(1)} s; its ${lines.length} command lines in sequence by a shell: ${direct.toFixed(1)} s; Pulumi and br-criu add ${(full - direct).toFixed(1)} s (ratio ${(full / direct).toFixed(2)})`,
  );
  allStacks(world, standIn);
  allStacksOnTwoHosts(world, standIn);
}
