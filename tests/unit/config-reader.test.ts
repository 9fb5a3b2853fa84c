/**
 * The one configuration reader: plan and the Pulumi program read stack files
 * the way Pulumi hands them over (text), refuse unknown namespaces and keys
 * with the closest known one, and keep their messages short.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadProject, loadStack, listStacks } from "@br-criu/stacks";
import { readRawConfig } from "../../components/internal/stack-config";
import { pulumiConfig } from "../support/mocks";
import { REPO_ROOT, makeProject, runCli, stackYaml } from "../support/project";
import { quoted } from "../support/hostile";

test("a namespace typo is refused with the closest known key", async () => {
  // Written by hand: stackYaml puts every key under br-criu:.
  const root = makeProject({
    bad: `config:\n  br-criu:board: test-board\n  br-criu:description: test board\n  br-criu:arch: x86_64\n  br-ciru:kernelVersion: "6.12.91"\n`,
  });
  const result = await runCli(["plan", "bad"], root);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^stacks\/Pulumi\.bad\.yaml: br-ciru:kernelVersion: unknown namespace "br-ciru"/);
  assert.match(result.stderr, /Fix: did you mean br-criu:kernelVersion\?/);
});

test("provider and Pulumi namespaces are not ours to refuse", async () => {
  const root = makeProject({
    ok: `config:\n  br-criu:board: test-board\n  br-criu:description: test board\n  br-criu:arch: x86_64\n  docker:host: unix:///var/run/docker.sock\n  pulumi:tags:\n    team: kernel\n`,
  });
  assert.equal((await runCli(["plan", "ok"], root)).code, 0);
});

test("string-typed booleans, as `pulumi config set` stores them, are read the same by plan and by the program", async () => {
  const root = makeProject({
    strings: stackYaml({ ...quoted, ccache: '"false"', reproducible: '"true"', bootTest: "false" }),
  });
  const result = await runCli(["plan", "strings", "--json"], root);
  assert.equal(result.code, 0, result.stderr);
  const viaPlan = loadStack(loadProject(root), "strings").config;
  assert.equal(viaPlan["ccache"], false);
  assert.equal(viaPlan["reproducible"], true);
  assert.equal(viaPlan["bootTest"], false);
  const asPulumiHandsIt = {
    "br-criu:ccache": "false",
    "br-criu:reproducible": "true",
    "br-criu:bootTest": "false",
    "br-criu:board": "test-board",
    "br-criu:description": "test board",
    "br-criu:arch": "x86_64",
  };
  const viaProgram = readRawConfig(loadProject(root), "strings", asPulumiHandsIt);
  for (const key of Object.keys(viaProgram)) assert.deepEqual(viaProgram[key], viaPlan[key], key);
});

test("plan and the program read every stack in stacks/ identically", () => {
  const project = loadProject(REPO_ROOT);
  for (const stack of listStacks(project)) {
    const viaPlan = loadStack(project, stack).config;
    const viaProgram = readRawConfig(project, stack, pulumiConfig(stack));
    assert.deepEqual(viaProgram, viaPlan, stack);
  }
});

test("the program refuses a namespace typo as plan does", () => {
  const project = loadProject(REPO_ROOT);
  assert.throws(
    () => readRawConfig(project, "qemu-arm", { ...pulumiConfig("qemu-arm"), "br-ciru:kernelVersion": "6.12.91" }),
    /br-ciru:kernelVersion: unknown namespace "br-ciru".*did you mean br-criu:kernelVersion\?/s,
  );
});

test("a 5 MB list of duplicate features gives a short message, fast", async () => {
  const features = Array.from({ length: 500_000 }, () => "aio");
  const root = makeProject({ huge: stackYaml({ ...quoted, criuFeatures: JSON.stringify(features) }) });
  assert.ok(readFileSync(join(root, "stacks", "Pulumi.huge.yaml")).length > 3_000_000);
  const started = Date.now();
  const result = await runCli(["plan", "huge"], root);
  assert.equal(result.code, 1);
  assert.ok(result.stderr.length < 10_000, `stderr is ${result.stderr.length} bytes`);
  assert.match(result.stderr, /br-criu:criuFeatures: lists more entries than there are features/);
  assert.ok(result.stderr.split("\n\n").length <= 21);
  // Not a timing test: the bound only catches a return to per-entry paragraphs (22 s before).
  assert.ok(Date.now() - started < 15_000);
});

test("problems are deduplicated and capped at 20 paragraphs", async () => {
  const features = Array.from({ length: 12 }, (_, i) => `nope-${i}`);
  const one = await runCli(
    ["plan", "one"],
    makeProject({ one: stackYaml({ ...quoted, criuFeatures: JSON.stringify(features) }) }),
  );
  assert.equal(one.code, 1);
  assert.equal(one.stderr.trimEnd().split("\n\n").length, 1, one.stderr);
  assert.match(one.stderr, /br-criu:criuFeatures\[0\]: unknown CRIU feature "nope-0".* \(11 more like it\)\n$/);
  // 25 bad stacks: 25 different paragraphs, of which 20 are shown.
  const stacks = Object.fromEntries(
    Array.from({ length: 25 }, (_, i) => [
      `bad${String(i).padStart(2, "0")}`,
      stackYaml({ ...quoted, arch: '"mips"' }),
    ]),
  );
  const many = await runCli(["plan", "--all"], makeProject(stacks));
  assert.equal(many.code, 1);
  const paragraphs = many.stderr.trimEnd().split("\n\n");
  assert.equal(paragraphs.length, 21);
  assert.equal(paragraphs[20], "and 5 more problems.");
});

test("a duplicate YAML key names the key", async () => {
  const root = makeProject({
    dup: `config:\n  br-criu:board: test-board\n  br-criu:description: test board\n  br-criu:arch: x86_64\n  br-criu:arch: arm\n`,
  });
  const result = await runCli(["plan", "dup"], root);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^stacks\/Pulumi\.dup\.yaml: key "br-criu:arch" appears twice \(again at line 5\)\. Fix: keep one of the two entries\./,
  );
});

test("a br-criu:__proto__ key is refused as unknown, not dropped", async () => {
  const root = makeProject({
    bad: `config:\n  br-criu:board: test-board\n  br-criu:description: test board\n  br-criu:arch: x86_64\n  br-criu:__proto__: x\n`,
  });
  const result = await runCli(["plan", "bad"], root);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /br-criu:__proto__: unknown key "__proto__"/);
});
