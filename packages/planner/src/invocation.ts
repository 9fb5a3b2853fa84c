/**
 * Shell command lines that run a build stage, in the build container or on
 * the host. Pure string building; the Pulumi components pass the result to
 * `command.local.Command`. Every word goes through the one shell quoting
 * function of the generators.
 */
import { shellCommandLine, shellQuote } from "@br-criu/generators";

/** Paths inside the build container (fixed: Buildroot is only reproducible with the same O=). */
export const CONTAINER_PATHS = {
  buildroot: "/br/buildroot",
  external: "/br/external",
  output: "/br/output",
  downloads: "/br/dl",
  ccache: "/br/ccache",
  /** A local Buildroot mirror (br-criu:buildrootRepository as a path), mounted read-only for the checkout. */
  upstream: "/br/upstream",
} as const;

/**
 * Stages run as the user who runs them (`pulumi up`), so that the output
 * directory on the host belongs to that user and not to root. The shell
 * evaluates it when the stage runs: a constant, never a configuration value.
 */
const AS_INVOKING_USER = '--user "$(id -u):$(id -g)"';

export interface DockerRunner {
  readonly mode: "docker";
  /** Image built from packages/build-env/Dockerfile. */
  readonly image: string;
  readonly downloadVolume: string;
  readonly ccacheVolume: string;
}

export interface HostRunner {
  readonly mode: "host";
  /** packages/build-env/stage.sh in this repository. */
  readonly stageScript: string;
  readonly downloadDir: string;
  readonly ccacheDir: string;
}

export type Runner = DockerRunner | HostRunner;

export interface StagePaths {
  /** Host path of the Buildroot checkout. */
  readonly buildroot: string;
  /** Host path of the BR2_EXTERNAL tree. */
  readonly external: string;
  /** Host path of this stack's output directory. */
  readonly output: string;
}

export function containerName(stack: string, stage: string): string {
  return `br-criu-${stack}-${stage}`.replace(/[^A-Za-z0-9_.-]/g, "-");
}

/** The command line running `stage.sh <stage> <args...>` for a stack. */
export function stageCommand(
  runner: Runner,
  paths: StagePaths,
  stack: string,
  stage: string,
  args: readonly string[],
  extraMounts: readonly string[] = [],
): string {
  if (runner.mode === "docker") {
    const mounts = [
      ["-v", `${runner.downloadVolume}:${CONTAINER_PATHS.downloads}`],
      ["-v", `${runner.ccacheVolume}:${CONTAINER_PATHS.ccache}`],
      ["-v", `${paths.buildroot}:${CONTAINER_PATHS.buildroot}`],
      ["-v", `${paths.external}:${CONTAINER_PATHS.external}:ro`],
      ["-v", `${paths.output}:${CONTAINER_PATHS.output}`],
      ...extraMounts.map((mount) => ["-v", mount]),
    ].flat();
    const run = shellCommandLine(["docker", "run", "--rm", "--name", containerName(stack, stage)]);
    return `${run} ${AS_INVOKING_USER} ${shellCommandLine([...mounts, runner.image, stage, ...args])}`;
  }
  const env = [
    `BR_CRIU_BUILDROOT=${paths.buildroot}`,
    `BR_CRIU_EXTERNAL=${paths.external}`,
    `BR_CRIU_OUTPUT=${paths.output}`,
    `BR2_DL_DIR=${runner.downloadDir}`,
    `BR2_CCACHE_DIR=${runner.ccacheDir}`,
  ];
  return shellCommandLine(["env", ...env, runner.stageScript, stage, ...args]);
}

/** The pinned Buildroot release: where to clone it from, which tag, and the commit the tag must be. */
export interface BuildrootSource {
  readonly url: string;
  readonly tag: string;
  readonly commit: string;
}

/** A repository on this machine (an absolute path or a file:/// URL) rather than a remote one. */
export function localRepositoryPath(url: string): string | undefined {
  if (url.startsWith("/")) return url;
  if (url.startsWith("file:///")) return url.slice("file://".length);
  return undefined;
}

/**
 * The checkout stage's steps: make the checkout directory (as the invoking
 * user; docker would make a missing one as root), then clone the tag and
 * check its commit. A local mirror is mounted read-only into the container,
 * which cannot see the host's files.
 */
export function buildrootTreeSteps(
  runner: Runner,
  paths: StagePaths,
  stack: string,
  source: BuildrootSource,
): string[] {
  const local = localRepositoryPath(source.url);
  const mkdir = shellCommandLine(["mkdir", "-p", paths.buildroot]);
  if (runner.mode === "docker" && local !== undefined) {
    return [
      mkdir,
      stageCommand(
        runner,
        paths,
        stack,
        "buildroot-tree",
        [CONTAINER_PATHS.upstream, source.tag, source.commit],
        [`${local}:${CONTAINER_PATHS.upstream}:ro`],
      ),
    ];
  }
  return [mkdir, stageCommand(runner, paths, stack, "buildroot-tree", [source.url, source.tag, source.commit])];
}

/**
 * Removes containers a stage left behind (an interrupted run); the name
 * prefix also catches its sub-steps (kernel-configure for kernel). Nothing to
 * do on the host.
 */
export function removeContainerCommand(runner: Runner, stack: string, stage: string): string {
  if (runner.mode === "host") return "true";
  const filter = shellQuote(`name=^${containerName(stack, stage)}`);
  return `docker ps -aq --filter ${filter} | xargs -r docker rm -f >/dev/null 2>&1 || true`;
}

/** The Buildroot stages of a full build, in order (what VerifyReproducible runs a second time). */
export const FULL_BUILD_STAGES = ["toolchain", "config", "kernel-configure", "kernel", "rootfs", "image"] as const;

export interface ReproducibilityCheck {
  /** A second full build in `secondOutput`, then the manifest comparison (stdout: parseComparison's input). */
  readonly create: readonly string[];
  /** Empties and removes the second output directory. */
  readonly delete: readonly string[];
}

/**
 * The VerifyReproducible stage: build the board again in a fresh output
 * directory (mounted at the same O= path in the container) and compare the
 * two image manifests. A difference is a verdict to report, not a failed
 * command, so the comparison never fails the step.
 */
export function reproducibilityCheck(
  runner: Runner,
  paths: StagePaths,
  stack: string,
  defconfig: string,
  secondOutput: string,
  stageScript: string,
): ReproducibilityCheck {
  const second = { ...paths, output: secondOutput };
  const manifest = (output: string) => `${output}/images/manifest.sha256`;
  const compare = shellCommandLine([stageScript, "compare-manifests", manifest(paths.output), manifest(secondOutput)]);
  return {
    create: [
      shellCommandLine(["mkdir", "-p", secondOutput]),
      ...FULL_BUILD_STAGES.map((stage) => stageCommand(runner, second, stack, stage, [defconfig])),
      `{ ${compare} || true; }`,
    ],
    delete: [
      stageCommand(runner, second, stack, "clean", []),
      `${shellCommandLine(["rmdir", secondOutput])} 2>/dev/null || true`,
    ],
  };
}
