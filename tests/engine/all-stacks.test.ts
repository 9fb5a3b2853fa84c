/**
 * `npm run up|destroy -- --all` on the real engine: two x86_64 stacks of a
 * scratch copy (its other stack files removed) built side by side through
 * the Automation API against the bootable stand-in Buildroot, sharing its
 * checkout; then one stack broken, which fails alone while the other's up
 * goes on; then destroy of both.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { manifestHash } from "@br-criu/cli";
import {
  assertSideBySide,
  engineWorld,
  standInStacks,
  x86Payload,
  type EngineWorld,
  type Ran,
} from "../support/engine";
import { createStandInBuildroot, type StandInBuildroot } from "../support/standin-buildroot";
import { giveToUser } from "../support/container";

const STACKS = ["qemu-x86_64", "qemu-x86_64-twin"];
let world: EngineWorld;
let standIn: StandInBuildroot;

const ok = (ran: Ran, what: string) => assert.equal(ran.status, 0, `${what}:\n${ran.stdout}\n${ran.stderr}`);
/** The stdout of a command that must succeed. */
const stdoutOf = (ran: Ran, what: string) => {
  ok(ran, what);
  return ran.stdout;
};
const all = (...args: string[]) => world.run("bash", "packages/engine/pulumi.sh", ...args);

/** The lines `all-stacks` printed for one stack, in order. */
const linesOf = (stdout: string, stack: string) => stdout.split("\n").filter((line) => line.startsWith(`${stack}: `));

before(async () => {
  world = engineWorld();
  standIn = createStandInBuildroot(join(world.root, "standin"), randomBytes(6).toString("hex"), await x86Payload());
  giveToUser(world.user, standIn.dir);
  standInStacks(world, standIn, STACKS);
});

test("up --all --parallel 2 builds both stacks at once; the summary holds each image manifest's hash", () => {
  const ran = all("up", "--all", "--parallel", "2");
  ok(ran, "up --all --parallel 2");
  assertSideBySide(ran.stdout);
  for (const stack of STACKS) {
    assert.ok(
      linesOf(ran.stdout, stack).some((line) => /-boot-test create \(\d+ s\)$/.test(line)),
      `${stack}'s boot test reported:\n${ran.stdout}`,
    );
    const outputs = JSON.parse(stdoutOf(world.pulumi("stack", "output", "--json", "--stack", stack), "stack output"));
    assert.equal(outputs.bootTest.dumpRestore, true, stack);
    const row = new RegExp(
      `^${stack.replace(/[.-]/g, "\\$&")}\\s+local\\s+ok\\s+\\d+ s\\s+${manifestHash(outputs.imageManifest)}$`,
      "m",
    );
    assert.match(ran.stdout, row);
  }
  assert.match(ran.stdout, /up: all 2 stacks passed/);
});

test("a stack that fails does not stop the other; the exit code and the summary say which failed", () => {
  ok(world.pulumi("config", "set", "br-criu:arch", "mips", "--stack", STACKS[1]!), "config set arch mips");
  const ran = all("up", "--all");
  assert.equal(ran.status, 1, `${ran.stdout}\n${ran.stderr}`);
  assert.match(ran.stdout, /at most 1 at a time/);
  assert.match(ran.stdout, new RegExp(`^${STACKS[0]}\\s+local\\s+ok`, "m"));
  assert.match(ran.stdout, new RegExp(`^${STACKS[1]}\\s+local\\s+failed`, "m"));
  assert.match(ran.stdout, /up: 1 of 2 stacks failed/);
  assert.match(ran.stdout, new RegExp(`^${STACKS[1]}: error: .*mips.*\\(full output: .*${STACKS[1]}\\.log\\)$`, "m"));
  ok(world.pulumi("config", "set", "br-criu:arch", "x86_64", "--stack", STACKS[1]!), "config set arch back");
});

test("preview --all shows each stack's diff", () => {
  ok(world.pulumi("config", "set", "--path", "br-criu:kernelConfig.ZRAM", "y", "--stack", STACKS[0]!), "config set");
  const ran = all("preview", "--all");
  ok(ran, "preview --all");
  const kernelLines = linesOf(ran.stdout, STACKS[0]!).filter((line) => line.includes(`${STACKS[0]}-kernel would`));
  assert.deepEqual(
    kernelLines.map((line) => line.replace(/ \(\d+ s\)$/, "")),
    [`${STACKS[0]}: ${STACKS[0]}-kernel would replace`],
  );
  assert.match(ran.stdout, /CONFIG_ZRAM/);
  assert.doesNotMatch(linesOf(ran.stdout, STACKS[1]!).join("\n"), /would/);
  assert.match(ran.stdout, /preview: all 2 stacks passed/);
});

test("destroy --all tears both stacks down", () => {
  const ran = all("destroy", "--all", "--parallel", "2");
  ok(ran, "destroy --all");
  assert.match(ran.stdout, /destroy: all 2 stacks passed/);
  for (const stack of STACKS) {
    const exported = JSON.parse(stdoutOf(world.pulumi("stack", "export", "--stack", stack), "stack export"));
    assert.deepEqual(exported.deployment.resources ?? [], [], `${stack} has no resources left`);
  }
});
