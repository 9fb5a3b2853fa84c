/**
 * Container tier: packages/build-env/Dockerfile built for real on a Debian
 * base made with debootstrap (only BASE and the apt archives are
 * overridden), and the stand-in Buildroot built inside the container through
 * the planner's docker runner (the command lines the docker mode's stages
 * run), with the br-criu-dl and br-criu-ccache volumes, as a user who is not
 * root. Needs a Docker engine, debootstrap and Debian's mirror; fails, never
 * skips, without them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO_LAYOUT } from "@br-criu/generators";
import {
  buildrootTreeSteps,
  doubleBuildCommands,
  parseComparison,
  parseManifest,
  stageScriptCommand,
  type DockerRunner,
  type StagePaths,
} from "@br-criu/planner";
import { REPO_ROOT } from "../support/project";
import { createStandInBuildroot, type StandInRelease } from "../support/standin-buildroot";
import {
  buildEnvironmentImage,
  ensureBaseImage,
  filesNotOwnedBy,
  fullBuildSteps,
  giveToUser,
  invokingUser,
  requireDocker,
  runAsUser,
  userDirectory,
  volumeExists,
} from "../support/container";
import { scratchDir } from "../support/scratch";

const STACK = "container-test";
const DEFCONFIG = "qemu_x86_64_criu_defconfig";
const user = invokingUser();
const home = userDirectory(user, "container-home");
// The comparison runs on the host as the invoking user, from the repository
// root, and that user may not be able to read this checkout (a clone in a
// private temporary directory): a copy at the same place below the user's home.
const STAGE_SCRIPT = join(home, REPO_LAYOUT.stageScript);
mkdirSync(dirname(STAGE_SCRIPT), { recursive: true });
copyFileSync(join(REPO_ROOT, REPO_LAYOUT.stageScript), STAGE_SCRIPT);
chmodSync(STAGE_SCRIPT, 0o755);
giveToUser(user, join(home, "packages"));

requireDocker();
const base = ensureBaseImage();
console.log(
  `# base image ${base.value}: ${base.built ? `debootstrap'd and imported in ${base.seconds.toFixed(0)} s` : "from the engine"}`,
);
const image = buildEnvironmentImage(base.value, "br-criu-build-env:test");
console.log(`# docker build of packages/build-env: ${image.seconds.toFixed(0)} s`);
const runner: DockerRunner = {
  mode: "docker",
  image: image.value,
  downloadVolume: "br-criu-dl",
  ccacheVolume: "br-criu-ccache",
};
const standIn = createStandInBuildroot(scratchDir("standin-upstream"), randomBytes(6).toString("hex"));
// The repository belongs to the invoking user, as a mirror of theirs would (git refuses other users' repositories).
giveToUser(user, standIn.dir);

function paths(buildroot: string, output: string): StagePaths {
  return { buildroot, external: join(REPO_ROOT, REPO_LAYOUT.external), output };
}

/** Runs command lines joined as a stage joins its steps; fails with the output when one fails. */
function runSteps(steps: readonly string[]): string {
  const result = runAsUser(user, steps.join(" && \\\n"), home);
  assert.equal(result.status, 0, `${steps.join("\n")}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result.stdout;
}

/** Checkout with the commit check, then every Buildroot stage, in the container. */
function fullBuild(release: StandInRelease, stagePaths: StagePaths): string {
  return runSteps(fullBuildSteps(runner, stagePaths, STACK, standIn, release, DEFCONFIG));
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

test("the stand-in Buildroot builds in the container: images on the host, owned by the invoking user, manifest matching", () => {
  const stagePaths = paths(join(userDirectory(user, "checkout"), "buildroot"), userDirectory(user, "output"));
  const stdout = fullBuild(standIn.release, stagePaths);
  assert.match(
    stdout,
    new RegExp(`^buildroot 2026\\.02\\.3 ${standIn.release.commit}$`, "m"),
    "the checkout verified the commit",
  );
  assert.match(stdout, /^>>> defconfig qemu_x86_64_criu_defconfig from BR2_EXTERNAL$/m);
  assert.match(stdout, /^>>> toolchain gcc and g\+\+ work$/m);
  assert.match(
    stdout,
    new RegExp(`^>>> linux ${standIn.token} Downloading$`, "m"),
    "the first build downloads into br-criu-dl",
  );
  assert.match(stdout, new RegExp(`^>>> linux ${standIn.token} ccache miss$`, "m"));

  const images = join(stagePaths.output, "images");
  assert.deepEqual(readdirSync(images).sort(), [
    "bzImage",
    "manifest.sha256",
    "rootfs.cpio",
    "rootfs.tar",
    "start-qemu.sh",
  ]);
  const manifest = parseManifest(readFileSync(join(images, "manifest.sha256"), "utf8"));
  assert.deepEqual(manifest, {
    bzImage: sha256(join(images, "bzImage")),
    "rootfs.cpio": sha256(join(images, "rootfs.cpio")),
    "rootfs.tar": sha256(join(images, "rootfs.tar")),
    "start-qemu.sh": sha256(join(images, "start-qemu.sh")),
  });
  assert.deepEqual(filesNotOwnedBy(stagePaths.output, user.uid), [], `every output file belongs to uid ${user.uid}`);
  assert.deepEqual(filesNotOwnedBy(stagePaths.buildroot, user.uid), [], "the checkout belongs to the invoking user");

  // A second build (another output directory) reuses both volumes.
  const again = fullBuild(standIn.release, paths(stagePaths.buildroot, userDirectory(user, "output-again")));
  assert.doesNotMatch(again, /Downloading/);
  assert.match(again, new RegExp(`^>>> linux ${standIn.token} ccache hit$`, "m"));

  // Removing the output directory (what `pulumi destroy` does to a stack's output) leaves the caches.
  rmSync(stagePaths.output, { recursive: true, force: true });
  assert.ok(
    volumeExists("br-criu-dl") && volumeExists("br-criu-ccache"),
    "the cache volumes outlive the output directory",
  );
  assert.ok(existsSync(stagePaths.buildroot));
});

test("the reproducibility check in the container: identical manifests, and an embedded timestamp is caught", () => {
  for (const [release, expected] of [
    [standIn.release, { identical: true, differing: [] }],
    [standIn.timestamped, { identical: false, differing: ["build-time"] }],
  ] as const) {
    const stagePaths = paths(join(userDirectory(user, "checkout"), "buildroot"), userDirectory(user, "output"));
    fullBuild(release, stagePaths);
    // The double build's own command lines: a second build in a fresh directory at the same O=.
    const context = {
      runner,
      paths: stagePaths,
      stack: STACK,
      defconfig: DEFCONFIG,
      kernelVersion: "6.12.91",
      record: { current: "", next: "" },
    };
    const check = doubleBuildCommands(context, join(userDirectory(user, "output-verify"), "second"));
    const verdict = parseComparison(runSteps(check.create));
    assert.deepEqual(verdict, expected, release.tag);
    runSteps([...check.cleanup, ...check.delete]);
  }
});

test("a build image without a tool Buildroot's dependency check needs fails the stage, naming the tool", () => {
  // A one-line derived image without rsync (dpkg --remove), built on the tested image.
  const broken = spawnSync("docker", ["build", "-q", "-t", "br-criu-build-env:test-without-rsync", "-"], {
    input: `FROM ${image.value}\nRUN dpkg --remove --force-depends rsync\n`,
    encoding: "utf8",
  });
  assert.equal(broken.status, 0, broken.stderr);
  const brokenRunner: DockerRunner = { ...runner, image: "br-criu-build-env:test-without-rsync" };
  const stagePaths = paths(join(userDirectory(user, "checkout"), "buildroot"), userDirectory(user, "output"));
  const checkout = runAsUser(
    user,
    buildrootTreeSteps(brokenRunner, stagePaths, STACK, {
      url: standIn.dir,
      tag: standIn.release.tag,
      commit: standIn.release.commit,
    }).join(" && "),
    home,
  );
  assert.equal(checkout.status, 0, checkout.stderr);
  const config = runAsUser(
    user,
    stageScriptCommand({
      runner: brokenRunner,
      paths: stagePaths,
      stack: STACK,
      stage: "config",
      step: 0,
      args: ["make", "br-criu-logs/config.log", DEFCONFIG],
    }),
    home,
  );
  assert.equal(config.status, 1);
  assert.match(config.stderr, /Buildroot \(stand-in\) needs Buildroot's host tools; missing: rsync/);
});
