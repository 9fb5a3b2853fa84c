/**
 * The engine tier, configuration: the real Pulumi CLI (built from Go modules
 * by `npm run setup:pulumi`) and its Node.js language host run the program
 * on a scratch copy of the repository, with the project's local file backend
 * and an empty passphrase: how the CLI stores `config set` values and how
 * plan reads them, Pulumi.yaml's declared types as the engine checks them,
 * and refusals of bad configuration by the program under the real engine,
 * with exactly the message `npm run plan` gives. (up.test.ts builds.)
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../support/project";
import { engineWorld, type EngineWorld } from "../support/engine";
import { scratchDir } from "../support/scratch";

const STACK = "qemu-x86_64";
let world: EngineWorld;

function plan(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(
    join(REPO_ROOT, "node_modules/.bin/tsx"),
    [join(world.project, "packages/cli/src/main.ts"), "plan", ...args],
    {
      cwd: world.project,
      encoding: "utf8",
    },
  );
}

/** Runs checks with one config value set by the CLI, and puts the stack file back as it was whatever happens. */
function withConfig(key: string, value: string, checks: () => void, ...setOptions: string[]): void {
  const stackFile = join(world.project, "stacks", `Pulumi.${STACK}.yaml`);
  const before = readFileSync(stackFile, "utf8");
  const set = world.pulumi("config", "set", ...setOptions, key, value, "--stack", STACK);
  assert.equal(set.status, 0, set.stderr);
  try {
    checks();
  } finally {
    writeFileSync(stackFile, before);
  }
}

const stateListing = (root: string) =>
  existsSync(join(root, ".pulumi-state"))
    ? readdirSync(join(root, ".pulumi-state"), { recursive: true }).map(String).sort()
    : [];
const repoStateBefore = stateListing(REPO_ROOT);

before(() => {
  world = engineWorld();
});

test("the CLI is the pinned version and `stack init` uses the relative file backend inside the scratch copy", () => {
  const version = world.pulumi("version");
  assert.equal(version.status, 0, version.stderr);
  assert.equal(
    version.stdout.trim(),
    `v${JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"]}`,
  );
  const init = world.pulumi("stack", "init", STACK);
  assert.equal(init.status, 0, init.stderr);
  assert.ok(
    existsSync(join(world.project, ".pulumi-state/.pulumi/stacks/br-criu", `${STACK}.json`)),
    stateListing(world.project).join("\n"),
  );
  assert.deepEqual(stateListing(REPO_ROOT), repoStateBefore, "nothing is written in the repository's .pulumi-state");
});

test("`config set br-criu:ccache false` is stored as a string, and plan reads it as the boolean false", () => {
  withConfig("br-criu:ccache", "false", () => {
    assert.match(
      readFileSync(join(world.project, "stacks", `Pulumi.${STACK}.yaml`), "utf8"),
      /^ {2}br-criu:ccache: "false"$/m,
    );
    const planned = plan(STACK, "--json");
    assert.equal(planned.status, 0, planned.stderr);
    assert.equal(JSON.parse(planned.stdout)[0].buildroot_defconfig.BR2_CCACHE, "n");
  });
});

test("`config set --path 'br-criu:kernelConfig.ZRAM' y` is stored as a map, and plan renders CONFIG_ZRAM into the fragment", () => {
  withConfig(
    "br-criu:kernelConfig.ZRAM",
    "y",
    () => {
      assert.match(
        readFileSync(join(world.project, "stacks", `Pulumi.${STACK}.yaml`), "utf8"),
        /^ {2}br-criu:kernelConfig:\n {4}ZRAM: "y"$/m,
      );
      const out = scratchDir("engine-plan");
      const planned = plan(STACK, "--out", out);
      assert.equal(planned.status, 0, planned.stderr);
      assert.match(readFileSync(join(out, "board", STACK, "linux-criu.fragment"), "utf8"), /^CONFIG_ZRAM=y$/m);
      rmSync(out, { recursive: true, force: true });
    },
    "--path",
  );
});

test('the program under the engine reads the CLI\'s string "false" as a boolean, as plan does', () => {
  // With ccache "false" and a bad rootfsSize, the program's refusal names rootfsSize only:
  // had it read "false" as text, it would refuse br-criu:ccache too (expected boolean).
  withConfig("br-criu:ccache", "false", () =>
    withConfig("br-criu:rootfsSize", "0M", () => {
      const planned = plan(STACK);
      assert.equal(planned.status, 1);
      const preview = world.pulumi("preview", "--stack", STACK);
      assert.notEqual(preview.status, 0);
      const output = preview.stdout + preview.stderr;
      assert.ok(output.includes(planned.stderr.trim()), `preview output lacks plan's message:\n${output}`);
      assert.match(output, /br-criu:rootfsSize: is not a whole number followed by K, M or G/);
      assert.doesNotMatch(output, /br-criu:ccache/);
    }),
  );
});

test("`npm run preview -- <stack>` creates the stack on first use and runs the pinned engine on the file backend", () => {
  const stackFile = join(world.project, "stacks", "Pulumi.qemu-aarch64.yaml");
  const before = readFileSync(stackFile, "utf8");
  writeFileSync(stackFile, before.replace(/^ {2}br-criu:arch: aarch64$/m, "  br-criu:arch: mips"));
  try {
    const wrapper = world.run("bash", join(world.project, "packages/engine/pulumi.sh"), "preview", "qemu-aarch64");
    assert.notEqual(wrapper.status, 0);
    assert.match(
      wrapper.stdout + wrapper.stderr,
      /stacks\/Pulumi\.qemu-aarch64\.yaml: br-criu:arch: "mips" is not supported/,
    );
    assert.ok(
      existsSync(join(world.project, ".pulumi-state/.pulumi/stacks/br-criu/qemu-aarch64.json")),
      "the wrapper created the stack in the scratch copy's state",
    );
  } finally {
    writeFileSync(stackFile, before);
  }
  assert.equal(world.pulumi("stack", "rm", "--yes", "--stack", "qemu-aarch64").status, 0);
});

test("`npm run pulumi -- <stack> config set/get` runs any pulumi command on that stack", () => {
  const wrapper = (...args: string[]) =>
    world.run("bash", join(world.project, "packages/engine/pulumi.sh"), "pulumi", "qemu-arm", ...args);
  assert.equal(wrapper("config", "set", "br-criu:hostname", "lab-arm").status, 0);
  const got = wrapper("config", "get", "br-criu:hostname");
  assert.equal(got.status, 0, got.stderr);
  assert.equal(got.stdout.trim(), "lab-arm");
  assert.match(
    readFileSync(join(world.project, "stacks", "Pulumi.qemu-arm.yaml"), "utf8"),
    /br-criu:hostname: lab-arm/,
  );
  assert.equal(world.pulumi("stack", "rm", "--yes", "--force", "--stack", "qemu-arm").status, 0);
});

test("the engine checks Pulumi.yaml's declared types", () => {
  withConfig("br-criu:ccache", "maybe", () => {
    const preview = world.pulumi("preview", "--stack", STACK);
    assert.notEqual(preview.status, 0);
    assert.match(preview.stdout + preview.stderr, /configuration key '(br-criu:)?ccache' must be of type 'boolean'/);
  });
});

test("a namespace typo set with the CLI is refused by the program under the real engine", () => {
  withConfig("br-ciru:kernelVersion", "6.12.91", () => {
    const preview = world.pulumi("preview", "--stack", STACK);
    assert.notEqual(preview.status, 0);
    assert.match(
      preview.stdout + preview.stderr,
      /br-ciru:kernelVersion: unknown namespace "br-ciru".*did you mean br-criu:kernelVersion\?/s,
    );
  });
});

test("`stack rm` removes the stack from the scratch state", () => {
  const removed = world.pulumi("stack", "rm", "--yes", "--stack", STACK);
  assert.equal(removed.status, 0, removed.stderr);
  assert.ok(!existsSync(join(world.project, ".pulumi-state/.pulumi/stacks/br-criu", `${STACK}.json`)));
  assert.deepEqual(stateListing(REPO_ROOT), repoStateBefore);
});
