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
} as const;

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
export function stageCommand(runner: Runner, paths: StagePaths, stack: string, stage: string, args: readonly string[]): string {
  if (runner.mode === "docker") {
    const mounts = [
      ["-v", `${runner.downloadVolume}:${CONTAINER_PATHS.downloads}`],
      ["-v", `${runner.ccacheVolume}:${CONTAINER_PATHS.ccache}`],
      ["-v", `${paths.buildroot}:${CONTAINER_PATHS.buildroot}`],
      ["-v", `${paths.external}:${CONTAINER_PATHS.external}:ro`],
      ["-v", `${paths.output}:${CONTAINER_PATHS.output}`],
    ].flat();
    return shellCommandLine(["docker", "run", "--rm", "--name", containerName(stack, stage), ...mounts, runner.image, stage, ...args]);
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
