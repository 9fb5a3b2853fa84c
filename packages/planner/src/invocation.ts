/**
 * Shell command lines that run stage.sh, in the build container or on the
 * host. Pure string building; every word goes through the one shell quoting
 * function of the generators.
 */
import { createHash } from "node:crypto";
import { shellCommandLine, shellQuote } from "@br-criu/generators";
import { LOCAL_BUILD_HOST } from "@br-criu/model";

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

/** A Docker engine on another machine (br-criu:buildHost). */
export interface DockerEndpoint {
  /** ssh://[user@]host[:port] or tcp://host:port, as `docker -H` takes it. */
  readonly host: string;
  /** A tcp:// engine's TLS directory: ca.pem, cert.pem, key.pem (br-criu:buildHostTls). */
  readonly tlsDir?: string;
}

export interface DockerRunner {
  readonly mode: "docker";
  /** Image built from packages/build-env/Dockerfile. */
  readonly image: string;
  readonly downloadVolume: string;
  readonly ccacheVolume: string;
  /** The build host; the local engine when absent. */
  readonly endpoint?: DockerEndpoint;
}

/** `docker` with the options that point it at the build host (none for the local engine). */
export function dockerCli(endpoint: DockerEndpoint | undefined): [string, ...string[]] {
  if (endpoint === undefined) return ["docker"];
  const tls =
    endpoint.tlsDir === undefined
      ? []
      : [
          "--tlsverify",
          ...["--tlscacert", `${endpoint.tlsDir}/ca.pem`],
          ...["--tlscert", `${endpoint.tlsDir}/cert.pem`],
          ...["--tlskey", `${endpoint.tlsDir}/key.pem`],
        ];
  return ["docker", "-H", endpoint.host, ...tls];
}

/** Where a stack is built, for its stack output: the build host, or LOCAL_BUILD_HOST. */
export function buildHostName(runner: Runner): string {
  return runsRemotely(runner) ? runner.endpoint.host : LOCAL_BUILD_HOST;
}

/** A runner whose engine is on another machine: the container cannot see this machine's files. */
export function runsRemotely(runner: Runner): runner is DockerRunner & { readonly endpoint: DockerEndpoint } {
  return runner.mode === "docker" && runner.endpoint !== undefined;
}

/**
 * The volume on a build host that stands for one of the stack's local
 * directories (checkout, BR2_EXTERNAL tree, output): named after the path,
 * so that the double build's second output and every stack get their own,
 * and stacks of one Buildroot commit share the checkout.
 */
export function remoteVolume(role: "checkout" | "external" | "output", hostPath: string): string {
  return `br-criu-${role}-${createHash("sha256").update(hostPath).digest("hex").slice(0, 16)}`;
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
  /** `--entrypoint PROGRAM` instead of stage.sh (the args are then the program's). */
  readonly entrypoint?: readonly ["--entrypoint", string];
  /** The container reads its standard input (docker run -i): a tar stream sent to a remote host. */
  readonly stdin?: boolean;
}

/** What every container runs as when the image's entry point is replaced: a constant script with its arguments. */
const SHELL_ENTRYPOINT = ["--entrypoint", "bash"] as const;

/**
 * Copies the stack's BR2_EXTERNAL tree into its volume on the build host
 * (replacing what an earlier stage sent): tar on this machine, tar in a
 * container there.
 */
function sendExternalTree(runner: DockerRunner, paths: StagePaths): string {
  const run = shellCommandLine([...dockerCli(runner.endpoint), "run", "--rm", "-i"]);
  const receive = shellCommandLine([
    ...SHELL_ENTRYPOINT,
    "-v",
    `${remoteVolume("external", paths.external)}:${CONTAINER_PATHS.external}`,
    runner.image,
    "-c",
    `find ${CONTAINER_PATHS.external} -mindepth 1 -delete && tar -x -C ${CONTAINER_PATHS.external}`,
  ]);
  // The tree's entries, not ".": the volume's own directory belongs to root, and tar would try to change it.
  const entries = shellCommandLine([
    "find",
    "-H",
    paths.external,
    "-mindepth",
    "1",
    "-maxdepth",
    "1",
    "-printf",
    "%P\\0",
  ]);
  const send = shellCommandLine(["tar", "-c", "-C", paths.external, "--null", "-T", "-"]);
  return `${entries} | ${send} | ${run} ${AS_INVOKING_USER} ${receive}`;
}

/**
 * Copies paths below the output directory on the build host back to the
 * stack's local output directory (products br-criu's checks, the boot test
 * and refresh read). With `kconfigOnly`, of each path only what the kernel
 * check reads: its .config, Makefile and Kconfig files.
 */
export function fetchFromHostCommand(
  runner: DockerRunner,
  paths: StagePaths,
  relative: readonly string[],
  kconfigOnly = false,
): string {
  const select = kconfigOnly
    ? `find "$@" \\( -name "Kconfig*" -o -path "$1/.config" -o -path "$1/Makefile" \\) -print0 | tar -c --null -T -`
    : 'tar -c "$@"';
  const send = shellCommandLine([
    ...dockerCli(runner.endpoint),
    "run",
    "--rm",
    ...SHELL_ENTRYPOINT,
    "-v",
    `${remoteVolume("output", paths.output)}:${CONTAINER_PATHS.output}:ro`,
    runner.image,
    "-c",
    `cd ${CONTAINER_PATHS.output} && ${select}`,
    "fetch",
    ...relative,
  ]);
  const clear = shellCommandLine(["rm", "-rf", ...relative.map((path) => `${paths.output}/${path}`)]);
  const receive = shellCommandLine(["tar", "-x", "-C", paths.output]);
  return `${shellCommandLine(["mkdir", "-p", paths.output])} && ${clear} && ${send} | ${receive}`;
}

/** Removes a stack's output and BR2_EXTERNAL volumes on its build host (the local output directory holds only copies). */
export function removeStackVolumesCommand(runner: DockerRunner, paths: StagePaths): string {
  const volumes = [remoteVolume("output", paths.output), remoteVolume("external", paths.external)];
  return `${shellCommandLine([...dockerCli(runner.endpoint), "volume", "rm", "-f", ...volumes])} >/dev/null`;
}

/** The command line running `stage.sh <args...>` for a stack. */
export function stageScriptCommand(call: StageScriptCall): string {
  const { runner, paths } = call;
  if (runner.mode === "docker") {
    // A remote engine mounts the stack's volumes there; the local one, this machine's directories.
    const source = (role: "checkout" | "external" | "output", path: string) =>
      runsRemotely(runner) ? remoteVolume(role, path) : path;
    const mounts = [
      ["-v", `${runner.downloadVolume}:${CONTAINER_PATHS.downloads}`],
      ["-v", `${runner.ccacheVolume}:${CONTAINER_PATHS.ccache}`],
      ["-v", `${source("checkout", paths.buildroot)}:${CONTAINER_PATHS.buildroot}`],
      ["-v", `${source("external", paths.external)}:${CONTAINER_PATHS.external}:ro`],
      ["-v", `${source("output", paths.output)}:${CONTAINER_PATHS.output}`],
      ...(call.mounts ?? []).map((mount) => ["-v", mount]),
    ].flat();
    // --init: a signal to `docker run` reaches stage.sh and make through the container's init, so an interrupted stage stops.
    const run = shellCommandLine([
      ...dockerCli(runner.endpoint),
      "run",
      "--rm",
      "--init",
      ...(call.stdin ? ["-i"] : []),
      "--name",
      containerName(call.stack, call.stage, call.step),
    ]);
    const line = `${run} ${AS_INVOKING_USER} ${shellCommandLine([...mounts, ...(call.entrypoint ?? []), runner.image, ...call.args])}`;
    // make reads the BR2_EXTERNAL tree: a remote host gets this stack's copy first.
    return runsRemotely(runner) && call.args[0] === "make" ? `${sendExternalTree(runner, paths)} && ${line}` : line;
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
  if (runsRemotely(runner)) return [remoteCheckoutStep(runner, paths, stack, source, local)];
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
 * The checkout on a remote build host, in its checkout volume. A local
 * mirror is on this machine only: it is sent as a tar stream, unpacked in
 * the container, and cloned from there. When the checkout is already there
 * the container reads nothing and tar ends on SIGPIPE, silently; tar's own
 * errors (a mirror it cannot read) stay on stderr, beside the container's.
 */
function remoteCheckoutStep(
  runner: DockerRunner & { readonly endpoint: DockerEndpoint },
  paths: StagePaths,
  stack: string,
  source: BuildrootSource,
  local: string | undefined,
): string {
  const tree = ["buildroot-tree", source.url, source.tag, source.commit];
  if (local === undefined) return stageScriptCommand({ runner, paths, stack, stage: "checkout", step: 0, args: tree });
  const mirror = "/tmp/br-criu-upstream";
  const clone = stageScriptCommand({
    runner,
    paths,
    stack,
    stage: "checkout",
    step: 0,
    stdin: true,
    entrypoint: SHELL_ENTRYPOINT,
    args: [
      "-c",
      `[ -d ${CONTAINER_PATHS.buildroot}/.git ] || { mkdir -p ${mirror} && tar -x -C ${mirror}; } && exec br-criu-stage buildroot-tree ${mirror} "$1" "$2"`,
      "checkout",
      source.tag,
      source.commit,
    ],
  });
  return `${shellCommandLine(["tar", "-c", "-C", local, "."])} | ${clone}`;
}

/**
 * Removes containers a stage left behind (an interrupted run): every step's
 * container of that stage. Nothing to do on the host.
 */
export function removeContainersCommand(runner: Runner, stack: string, stage: string): string {
  if (runner.mode === "host") return "true";
  const filter = shellQuote(`name=^/?${containerPrefix(stack, stage)}-[0-9]+$`);
  const docker = shellCommandLine(dockerCli(runner.endpoint));
  return `${docker} ps -aq --filter ${filter} | xargs -r ${docker} rm -f >/dev/null 2>&1 || true`;
}
