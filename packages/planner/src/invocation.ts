/**
 * Shell command lines that run stage.sh, in the build container or on the
 * host. Pure string building; every word goes through the one shell quoting
 * function of the generators.
 */
import { shellCommandLine, shellQuote } from "@br-criu/generators";

/** Paths inside the build container (fixed: Buildroot is only reproducible with the same O=). */
const CONTAINER_PATHS = {
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

const CONTAINER_PREFIX = "br-criu";

/** The container of step `step` (0, 1, ...) of a stage; a stage's containers share a prefix. */
export function containerName(stack: string, stage: string, step: number): string {
  return `${containerPrefix(stack, stage)}-${step}`;
}

function containerPrefix(stack: string, stage: string): string {
  return `${CONTAINER_PREFIX}-${stack}-${stage}`.replace(/[^A-Za-z0-9_.-]/g, "-");
}

/** Where and as what one stage.sh call runs. */
export interface StageScriptCall {
  readonly runner: Runner;
  readonly paths: StagePaths;
  readonly stack: string;
  readonly stage: string;
  /** Which step of the stage (names its container). */
  readonly step: number;
  readonly args: readonly string[];
  /** Extra `-v` mounts in the container. */
  readonly mounts?: readonly string[];
}

/** The command line running `stage.sh <args...>` for a stack. */
export function stageScriptCommand(call: StageScriptCall): string {
  const { runner, paths } = call;
  if (runner.mode === "docker") {
    const mounts = [
      ["-v", `${runner.downloadVolume}:${CONTAINER_PATHS.downloads}`],
      ["-v", `${runner.ccacheVolume}:${CONTAINER_PATHS.ccache}`],
      ["-v", `${paths.buildroot}:${CONTAINER_PATHS.buildroot}`],
      ["-v", `${paths.external}:${CONTAINER_PATHS.external}:ro`],
      ["-v", `${paths.output}:${CONTAINER_PATHS.output}`],
      ...(call.mounts ?? []).map((mount) => ["-v", mount]),
    ].flat();
    // --init: a signal to `docker run` reaches stage.sh and make through the container's init, so an interrupted stage stops.
    const run = shellCommandLine([
      "docker",
      "run",
      "--rm",
      "--init",
      "--name",
      containerName(call.stack, call.stage, call.step),
    ]);
    return `${run} ${AS_INVOKING_USER} ${shellCommandLine([...mounts, runner.image, ...call.args])}`;
  }
  const env = [
    `BR_CRIU_BUILDROOT=${paths.buildroot}`,
    `BR_CRIU_EXTERNAL=${paths.external}`,
    `BR_CRIU_OUTPUT=${paths.output}`,
    `BR2_DL_DIR=${runner.downloadDir}`,
    `BR2_CCACHE_DIR=${runner.ccacheDir}`,
  ];
  return shellCommandLine(["env", ...env, runner.stageScript, ...call.args]);
}

/** The pinned Buildroot release: where to clone it from, which tag, and the commit the tag must be. */
export interface BuildrootSource {
  readonly url: string;
  readonly tag: string;
  readonly commit: string;
}

/** A repository on this machine (an absolute path or a file:/// URL) rather than a remote one. */
function localRepositoryPath(url: string): string | undefined {
  if (url.startsWith("/")) return url;
  if (url.startsWith("file:///")) return url.slice("file://".length);
  return undefined;
}

/**
 * The checkout's steps: make the checkout directory (as the invoking user;
 * docker would make a missing one as root), then clone the tag and check its
 * commit. A local mirror is mounted read-only into the container, which
 * cannot see the host's files.
 */
export function buildrootTreeSteps(
  runner: Runner,
  paths: StagePaths,
  stack: string,
  source: BuildrootSource,
): string[] {
  const local = localRepositoryPath(source.url);
  const mounted = runner.mode === "docker" && local !== undefined;
  const url = mounted ? CONTAINER_PATHS.upstream : source.url;
  return [
    shellCommandLine(["mkdir", "-p", paths.buildroot]),
    stageScriptCommand({
      runner,
      paths,
      stack,
      stage: "checkout",
      step: 0,
      args: ["buildroot-tree", url, source.tag, source.commit],
      ...(mounted ? { mounts: [`${local}:${CONTAINER_PATHS.upstream}:ro`] } : {}),
    }),
  ];
}

/**
 * Removes containers a stage left behind (an interrupted run): every step's
 * container of that stage. Nothing to do on the host.
 */
export function removeContainersCommand(runner: Runner, stack: string, stage: string): string {
  if (runner.mode === "host") return "true";
  const filter = shellQuote(`name=^/?${containerPrefix(stack, stage)}-[0-9]+$`);
  return `docker ps -aq --filter ${filter} | xargs -r docker rm -f >/dev/null 2>&1 || true`;
}
