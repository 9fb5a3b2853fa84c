/**
 * packages/build-env/stage.sh run for real against temporary directories: a
 * stand-in Buildroot tree (a Makefile) for make handling, real sha256sum for
 * manifests, a real git repository for the Buildroot checkout step.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseComparison, parseManifest } from "@br-criu/planner";
import { REPO_ROOT } from "../support/project";
import { scratchDir } from "../support/scratch";

const STAGE = join(REPO_ROOT, "packages/build-env/stage.sh");
const temp = (prefix: string) => scratchDir(prefix);

function stage(args: string[], env: Record<string, string> = {}) {
  return spawnSync(STAGE, args, { encoding: "utf8", env: { PATH: process.env["PATH"]!, ...env } });
}

/** A directory standing in for Buildroot: make targets echo progress, `broken` fails. */
function fakeBuildroot(): string {
  const dir = temp("buildroot");
  writeFileSync(
    join(dir, "Makefile"),
    [
      "%_defconfig:",
      "\t@echo '>>> $@ configuring'",
      "\t@echo 'BR2_x86_64=y' > $(O)/.config",
      "toolchain target-finalize:",
      "\t@echo 'compiler chatter'",
      "\t@echo '>>> $@ Building'",
      "\t@echo 'warning: noise' >&2",
      "all:",
      "\t@mkdir -p $(O)/images",
      "\t@printf kernel > $(O)/images/bzImage",
      "\t@printf root > $(O)/images/rootfs.ext2",
      "\t@echo '>>> images done'",
      "broken:",
      '\t@for i in $$(seq 1 60); do echo "line $$i"; done',
      "\t@echo 'error: the real cause' >&2",
      "\t@false",
      ".DEFAULT_GOAL := all",
      "",
    ].join("\n"),
  );
  return dir;
}

function environment() {
  const output = temp("output");
  return {
    output,
    env: { BR_CRIU_BUILDROOT: fakeBuildroot(), BR_CRIU_EXTERNAL: temp("external"), BR_CRIU_OUTPUT: output },
  };
}

test("usage errors, missing environment and log files outside the output directory exit 2", () => {
  for (const args of [[], ["nonsense"], ["make"], ["clean", "x"], ["manifest"], ["compare-manifests", "a"]]) {
    const result = stage(args);
    assert.equal(result.status, 2, JSON.stringify(args));
    assert.match(result.stderr, /usage: br-criu-stage/);
  }
  const missing = stage(["make", "br-criu-logs/config.log", "x_defconfig"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /BR_CRIU_BUILDROOT is not set/);
  const { env } = environment();
  for (const log of ["/etc/passwd", "../outside.log", "br-criu-logs/../../outside.log"]) {
    const outside = stage(["make", log, "toolchain"], env);
    assert.equal(outside.status, 2, log);
    assert.match(outside.stderr, /must be a path below the output directory/);
  }
});

test("make streams only Buildroot's progress lines and logs everything", () => {
  const { output, env } = environment();
  const result = stage(["make", "br-criu-logs/toolchain.log", "qemu_x86_64_criu_defconfig", "toolchain"], env);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, ">>> qemu_x86_64_criu_defconfig configuring\n>>> toolchain Building\n");
  assert.equal(existsSync(join(output, ".config")), true);
  const log = readFileSync(join(output, "br-criu-logs/toolchain.log"), "utf8");
  assert.match(log, /compiler chatter/);
  assert.match(log, /warning: noise/);
});

test("a failing make prints the end of its log and fails the stage", () => {
  const { env } = environment();
  // The stand-in Makefile has no linux-rebuild: make fails.
  const result = stage(["make", "br-criu-logs/kernel.log", "linux-rebuild"], env);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /make linux-rebuild failed; last 40 lines of .*br-criu-logs\/kernel\.log:/);
  assert.match(result.stderr, /No rule to make target .linux-rebuild./);
});

test("the tail shows the real cause of a long failing make", () => {
  const { env } = environment();
  // br_make itself, taken from stage.sh, on a target that prints 60 lines and fails.
  const result = spawnSync(
    "bash",
    ["-c", `source <(sed -n '/^br_make()/,/^}/p' ${STAGE}); set -euo pipefail; br_make t broken`],
    {
      encoding: "utf8",
      env: { PATH: process.env["PATH"]!, ...env },
    },
  );
  assert.equal(result.status, 1);
  assert.match(result.stderr, /error: the real cause/);
  assert.doesNotMatch(result.stderr, /^line 1$/m, "only the last 40 lines");
});

test("image-manifest writes a sorted sha256 manifest of images/ and prints it", () => {
  const { output, env } = environment();
  assert.equal(stage(["make", "br-criu-logs/image.log"], env).status, 0);
  const result = stage(["image-manifest"], env);
  assert.equal(result.status, 0, result.stderr);
  const manifest = readFileSync(join(output, "images/manifest.sha256"), "utf8");
  const sha = (text: string) => execFileSync("sha256sum", { input: text, encoding: "utf8" }).split(" ")[0]!;
  assert.equal(manifest, `${sha("kernel")}  bzImage\n${sha("root")}  rootfs.ext2\n`);
  assert.deepEqual(parseManifest(result.stdout), { bzImage: sha("kernel"), "rootfs.ext2": sha("root") });
});

test("manifest and compare-manifests", () => {
  const a = temp("images-a");
  const b = temp("images-b");
  for (const dir of [a, b]) {
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "zImage"), "same");
    writeFileSync(join(dir, "sub/file"), dir === a ? "one" : "two");
  }
  const manifestA = stage(["manifest", a]).stdout;
  assert.deepEqual(Object.keys(parseManifest(manifestA)), ["sub/file", "zImage"]);
  const fileA = join(temp("m"), "a");
  const fileB = join(temp("m"), "b");
  writeFileSync(fileA, manifestA);
  writeFileSync(fileB, stage(["manifest", b]).stdout);
  const same = stage(["compare-manifests", fileA, fileA]);
  assert.equal(same.status, 0);
  assert.deepEqual(parseComparison(same.stdout), { identical: true, differing: [] });
  const differ = stage(["compare-manifests", fileA, fileB]);
  assert.equal(differ.status, 1);
  assert.deepEqual(parseComparison(differ.stdout), { identical: false, differing: ["sub/file"] });
  assert.equal(stage(["manifest", join(a, "missing")]).status, 1);
});

/** A git repository standing in for Buildroot's, with one commit tagged 2026.02.3. */
function releaseRepository(): { upstream: string; commit: string } {
  const upstream = temp("upstream");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: upstream, encoding: "utf8" });
  git("init", "-q");
  writeFileSync(join(upstream, "Makefile"), "all:\n");
  git("add", ".");
  git("commit", "-qm", "release");
  git("tag", "2026.02.3");
  return { upstream, commit: git("rev-parse", "HEAD").trim() };
}

test("buildroot-tree clones the tag and refuses a checkout at another commit", () => {
  const { upstream, commit } = releaseRepository();
  const checkout = join(temp("checkouts"), "buildroot");
  const ok = stage(["buildroot-tree", upstream, "2026.02.3", commit], { BR_CRIU_BUILDROOT: checkout });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, `buildroot 2026.02.3 ${commit}\n`);
  const wrong = stage(["buildroot-tree", upstream, "2026.02.3", "0".repeat(40)], { BR_CRIU_BUILDROOT: checkout });
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, new RegExp(`is at ${commit}, but tag 2026\\.02\\.3 must be 0{40}`));
});

test("buildroot-tree run by two stacks at once: one clones, the other waits for it and checks the same commit", async () => {
  const { upstream, commit } = releaseRepository();
  const checkout = join(temp("checkouts"), "buildroot");
  const clone = () =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(STAGE, ["buildroot-tree", upstream, "2026.02.3", commit], {
        env: { PATH: process.env["PATH"]!, BR_CRIU_BUILDROOT: checkout },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
  for (const ran of await Promise.all([clone(), clone(), clone()])) {
    assert.equal(ran.status, 0, ran.stderr);
    assert.equal(ran.stdout, `buildroot 2026.02.3 ${commit}\n`);
  }
});

test("clean empties the output directory but keeps it (it may be a mount point)", () => {
  const { output, env } = environment();
  mkdirSync(join(output, "build/linux"), { recursive: true });
  writeFileSync(join(output, ".config"), "x");
  assert.equal(stage(["clean"], env).status, 0);
  assert.deepEqual(execFileSync("ls", ["-A", output], { encoding: "utf8" }), "");
});
