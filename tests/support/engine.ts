/**
 * The engine tier's world: a scratch copy of the repository owned by the
 * user `pulumi up` runs as (not root: CI is root, so uid 4242 in the docker
 * group stands in, as in the container tier), the pinned Pulumi CLI, and a
 * bootable stand-in Buildroot whose kernel and root filesystem are the
 * runtime tier's x86_64 test kernel, busybox and CRIU 4.2.1.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { cacheRoot } from "@br-criu/cache";
import { stackTestKernel } from "@br-criu/kernel";
import { criuSystemFiles, testSystemCriu } from "@br-criu/runtime";
import { loadProject, loadStack, resolveStack } from "@br-criu/stacks";
import { giveToUser, invokingUser, type InvokingUser } from "./container";
import { REPO_ROOT } from "./project";
import { scratchDir } from "./scratch";
import type { BootPayload, StandInBuildroot } from "./standin-buildroot";

/** The Pulumi CLI and language host, built by `npm run setup:pulumi`; fails naming the fix without them. */
export function engineBin(): string {
  const setup = spawnSync("bash", [join(REPO_ROOT, "packages/engine/setup.sh")], { encoding: "utf8" });
  if (setup.status !== 0) throw new Error(`npm run setup:pulumi failed (the engine tier needs it):\n${setup.stderr}`);
  return setup.stdout.trim();
}

export interface Ran {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface EngineWorld {
  /** The scratch copy of the repository, where every pulumi command runs. */
  readonly project: string;
  /** Scratch root: the repository copy, the user's home, Pulumi's home, the br-criu cache. */
  readonly root: string;
  readonly user: InvokingUser;
  readonly env: NodeJS.ProcessEnv;
  /** Runs pulumi (non-interactive) as the user and waits. */
  pulumi(...args: string[]): Ran;
  /** Runs any command as the user, in the scratch copy. */
  run(command: string, ...args: string[]): Ran;
  /** Starts pulumi and returns the process (for the interrupt test). */
  start(...args: string[]): ChildProcess;
  /** Starts any command as the user, in the scratch copy, and returns the process. */
  startCommand(command: string, ...args: string[]): ChildProcess;
}

/** A directory's files as hard links where the file system allows (node_modules: thousands of files), else copies. */
function linkTree(from: string, to: string): void {
  try {
    execFileSync("cp", ["-al", from, to]);
  } catch {
    cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  }
}

/**
 * The scratch copy: the repository's files as git lists them (tracked, and
 * new ones not ignored), node_modules linked in, the Pulumi binaries, a
 * home, a Pulumi home and a br-criu cache of its own, all owned by the user.
 */
export function engineWorld(): EngineWorld {
  const user = invokingUser();
  const root = scratchDir("engine");
  const project = join(root, "repo");
  const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  })
    .stdout.split("\0")
    .filter(Boolean);
  for (const file of files)
    if (existsSync(join(REPO_ROOT, file))) cpSync(join(REPO_ROOT, file), join(project, file), { recursive: true });
  linkTree(join(REPO_ROOT, "node_modules"), join(project, "node_modules"));
  for (const dir of ["home", "pulumi-home", "cache", join("repo", ".pulumi-state")])
    mkdirSync(join(root, dir), { recursive: true });
  // The built Pulumi binaries, where setup.sh (and so `npm run up`) finds them under this cache: nothing is built again.
  const engine = engineBin();
  linkTree(dirname(engine), join(root, "cache", "pulumi"));
  giveToUser(user, root);
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(root, "cache", "pulumi", "bin")}:${process.env["PATH"]}`,
    HOME: join(root, "home"),
    // The CLI is built without cgo: it learns who runs it from $USER (uid 4242 has no account).
    USER: process.getuid!() === user.uid ? (process.env["USER"] ?? "br-criu") : "br-criu-test",
    PULUMI_HOME: join(root, "pulumi-home"),
    BR_CRIU_CACHE: join(root, "cache"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_CONFIG_PASSPHRASE: "",
  };
  const asUser = (argv: string[]) =>
    process.getuid!() === user.uid
      ? argv
      : [
          "setpriv",
          `--reuid=${user.uid}`,
          `--regid=${user.gid}`,
          `--groups=${user.groups.join(",")}`,
          "--inh-caps=-all",
          ...argv,
        ];
  const run = (argv: string[]): Ran => {
    const [command, ...rest] = asUser(argv);
    const result = spawnSync(command!, rest, {
      cwd: project,
      env,
      encoding: "utf8",
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  };
  const startAsUser = (argv: string[]): ChildProcess => {
    const [command, ...rest] = asUser(argv);
    return spawn(command!, rest, { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] });
  };
  // Links this cache's pulumi/bin to its own copies (the linked tree's links still name the original cache).
  const linked = run(["bash", join(project, "packages/engine/setup.sh")]);
  if (linked.status !== 0) throw new Error(`setup.sh in the scratch copy failed:\n${linked.stderr}`);
  return {
    project,
    root,
    user,
    env,
    pulumi: (...args) => run(["pulumi", ...args, "--non-interactive"]),
    run: (command, ...args) => run([command, ...args]),
    start: (...args) => startAsUser(["pulumi", ...args, "--non-interactive"]),
    startCommand: (command, ...args) => startAsUser([command, ...args]),
  };
}

/**
 * What the bootable stand-in builds from, for the qemu-x86_64 board: the
 * runtime tier's test kernel (built or taken from the shared cache), and
 * busybox with CRIU 4.2.1 as the package tier builds it.
 */
export async function x86Payload(): Promise<BootPayload> {
  const board = resolveStack(loadStack(loadProject(REPO_ROOT), "qemu-x86_64"));
  const kernel = await stackTestKernel("qemu-x86_64", board);
  const criu = testSystemCriu(board, cacheRoot());
  return {
    kernel: kernel.image,
    kernelConfig: readFileSync(kernel.config, "utf8"),
    kernelBuildImage: board.arch.kernelBuildImage,
    files: criuSystemFiles({ criu: { binary: criu.binary, sysroot: criu.sysroot } }),
  };
}

/**
 * Leaves the scratch copy with the x86_64 stacks `names` only (the first is
 * qemu-x86_64, the others copies of its stack file), each initialised and
 * set to build in host mode from the stand-in, for `npm run up -- --all`.
 */
export function standInStacks(world: EngineWorld, standIn: StandInBuildroot, names: readonly string[]): void {
  const stacksDir = join(world.project, "stacks");
  const original = `Pulumi.${names[0]}.yaml`;
  for (const file of readdirSync(stacksDir))
    if (file.startsWith("Pulumi.") && file !== original) rmSync(join(stacksDir, file));
  for (const name of names.slice(1)) copyFileSync(join(stacksDir, original), join(stacksDir, `Pulumi.${name}.yaml`));
  giveToUser(world.user, stacksDir);
  const must = (ran: Ran, what: string) => {
    if (ran.status !== 0) throw new Error(`${what} failed:\n${ran.stdout}\n${ran.stderr}`);
  };
  for (const stack of names) {
    must(world.pulumi("stack", "select", "--create", stack), `stack select --create ${stack}`);
    const settings: [string, string, ...string[]][] = [
      ["br-criu:buildMode", "host"],
      ["br-criu:workDir", join(world.root, "work")],
      ["br-criu:buildrootRepository", standIn.dir],
      ["br-criu:buildrootCommit", standIn.release.commit],
      ["br-criu:rootfsFormats[0]", "cpio", "--path"],
    ];
    for (const [key, value, ...flags] of settings)
      must(world.pulumi("config", "set", ...flags, key, value, "--stack", stack), `config set ${key} on ${stack}`);
  }
}

/** `all-stacks` started the first two stacks before either finished: they ran side by side. */
export function assertSideBySide(stdout: string): void {
  const events = stdout.split("\n").filter((line) => / up (started|done)$/.test(line));
  assert.deepEqual(
    events.slice(0, 2).map((line) => line.split(" ").pop()),
    ["started", "started"],
    stdout,
  );
}
