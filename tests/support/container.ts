/**
 * What the container tier needs around the real Dockerfile: a Docker engine,
 * a Debian base made with debootstrap (no registry can be reached to pull
 * one), the build image, and a way to run stage commands as a user other
 * than root, as `pulumi up` would for most users.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, lstatSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { cacheDirectory, cachePath } from "@br-criu/cache";
import { buildrootTreeSteps, fullBuildCommands, type Runner, type StagePaths } from "@br-criu/planner";
import type { StandInBuildroot, StandInRelease } from "./standin-buildroot";
import { REPO_ROOT } from "./project";
import { scratchDir } from "./scratch";

/** Debian's ordinary mirror: snapshot.debian.org cannot be reached from the test machines. */
export const TEST_MIRROR = "http://deb.debian.org/debian";
export const TEST_SECURITY_MIRROR = "http://deb.debian.org/debian-security";

const run = (command: string, args: readonly string[], input?: string) =>
  execFileSync(command, args, {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    ...(input === undefined ? {} : { input }),
  });

/** Fails, naming the fix, unless a Docker engine answers. */
export function requireDocker(): void {
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8" });
  if (info.status !== 0) {
    throw new Error(
      `no Docker engine answers (${(info.stderr || String(info.error)).trim().split("\n")[0]}): install Debian's docker.io and start dockerd (.ci/run does both)`,
    );
  }
}

export interface Timed<T> {
  readonly value: T;
  readonly seconds: number;
}

/**
 * The debootstrap'd bookworm base, imported as br-criu-test-base:<hash of
 * its inputs>. The root filesystem tarball is cached under
 * <cache>/docker-base/<hash>/ so that an engine with empty storage imports it
 * again instead of running debootstrap.
 */
export function ensureBaseImage(): Timed<string> & { /** False when the engine had it. */ readonly built: boolean } {
  const debootstrapVersion = run("dpkg-query", ["-W", "-f=${Version}", "debootstrap"]);
  const script = join(REPO_ROOT, "packages/build-env/debootstrap-base.sh");
  const inputs = {
    suite: "bookworm",
    variant: "minbase",
    mirror: TEST_MIRROR,
    debootstrapVersion,
    arch: run("dpkg", ["--print-architecture"]).trim(),
    script: createHash("sha256").update(readFileSync(script)).digest("hex"),
  };
  const hash = createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 16);
  const tag = `br-criu-test-base:${hash}`;
  const started = Date.now();
  if (spawnSync("docker", ["image", "inspect", tag], { stdio: "ignore" }).status === 0)
    return { value: tag, seconds: 0, built: false };
  const { dir } = cacheDirectory(cachePath("dockerBase", hash), (staging) => {
    run(script, [TEST_MIRROR, join(staging, "rootfs.tar")]);
    return JSON.stringify(inputs);
  });
  run("docker", ["import", join(dir, "rootfs.tar"), tag]);
  return { value: tag, seconds: (Date.now() - started) / 1000, built: true };
}

/** `docker build` of packages/build-env as users get it, with only BASE and the archives overridden. */
export function buildEnvironmentImage(
  base: string,
  tag: string,
  contextDir = join(REPO_ROOT, "packages/build-env"),
): Timed<string> {
  const started = Date.now();
  const result = spawnSync(
    "docker",
    [
      "build",
      "-q",
      "-t",
      tag,
      "--build-arg",
      `BASE=${base}`,
      "--build-arg",
      `DEBIAN_ARCHIVE=${TEST_MIRROR}`,
      "--build-arg",
      `DEBIAN_SECURITY_ARCHIVE=${TEST_SECURITY_MIRROR}`,
      contextDir,
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0)
    throw new Error(`docker build of ${contextDir} failed:\n${result.stderr.trim().split("\n").slice(-20).join("\n")}`);
  return { value: tag, seconds: (Date.now() - started) / 1000 };
}

export interface InvokingUser {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups: docker's, so the engine's socket answers. */
  readonly groups: readonly number[];
}

/** Not root: CI runs as root, so a uid without an account stands in for a developer's own (in the docker group). */
export function invokingUser(): InvokingUser {
  const uid = process.getuid!();
  if (uid !== 0) return { uid, gid: process.getgid!(), groups: [] };
  const docker = run("getent", ["group", "docker"]).split(":")[2];
  if (!docker) throw new Error("there is no docker group (Debian's docker.io creates it)");
  return { uid: 4242, gid: 4242, groups: [Number(docker)] };
}

/** A fresh directory (under the system's temporary directory) that belongs to the user. */
export function userDirectory(user: InvokingUser, prefix: string): string {
  const dir = scratchDir(prefix);
  chownSync(dir, user.uid, user.gid);
  return dir;
}

/** Runs a shell command line as the user, as command.local.Command runs a stage (`sh -c`), from the user's home (the checkout may be private to root). */
export function runAsUser(
  user: InvokingUser,
  commandLine: string,
  home: string,
): { status: number; stdout: string; stderr: string } {
  const asUser =
    process.getuid!() === user.uid
      ? ["sh", "-c", commandLine]
      : [
          "setpriv",
          `--reuid=${user.uid}`,
          `--regid=${user.gid}`,
          `--groups=${user.groups.join(",")}`,
          "--inh-caps=-all",
          "sh",
          "-c",
          commandLine,
        ];
  const result = spawnSync(asUser[0]!, asUser.slice(1), {
    cwd: home,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: process.env["PATH"]!, HOME: home },
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Every file under `dir` whose owner is not `uid` (relative paths). */
export function filesNotOwnedBy(dir: string, uid: number, prefix = ""): string[] {
  const foreign: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = join(prefix, entry.name);
    if (lstatSync(join(dir, path)).uid !== uid) foreign.push(path);
    if (entry.isDirectory()) foreign.push(...filesNotOwnedBy(dir, uid, path));
  }
  return foreign;
}

export function volumeExists(name: string): boolean {
  return spawnSync("docker", ["volume", "inspect", name], { stdio: "ignore" }).status === 0;
}

/** Hands a directory tree made by this (root) process to the user. */
export function giveToUser(user: InvokingUser, dir: string): void {
  if (process.getuid!() !== user.uid) execFileSync("chown", ["-R", `${user.uid}:${user.gid}`, dir]);
}

/** The docker mode's command lines for a full build of a stand-in release: checkout with the commit check, then every Buildroot stage's build steps. */
export function fullBuildSteps(
  runner: Runner,
  paths: StagePaths,
  stack: string,
  standIn: StandInBuildroot,
  release: StandInRelease,
  defconfig: string,
): string[] {
  const context = { runner, paths, stack, defconfig, kernelVersion: "6.12.91", record: { current: "", next: "" } };
  return [
    ...buildrootTreeSteps(runner, paths, stack, { url: standIn.dir, tag: release.tag, commit: release.commit }),
    ...fullBuildCommands(context, "build"),
  ];
}
