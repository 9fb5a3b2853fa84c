/**
 * Every resource of a board's build, described without Pulumi: the build
 * environment, the Buildroot checkout, one resource per row of the stage
 * table, the boot test and the double build, each with the command lines it
 * runs and the inputs whose change re-runs it. The components wire this
 * description to br-criu's provider or to @pulumi/command and
 * @pulumi/docker, so both run exactly the same lines.
 */
import { compareSymbols } from "@br-criu/kconfig";
import type { ResolvedBoard } from "@br-criu/model";
import { REPO_LAYOUT, defconfigName, stageLog, type StackLayout } from "@br-criu/generators";
import { hostToolsCheck } from "./host-tools";
import {
  buildHostName,
  buildrootTreeSteps,
  runsRemotely,
  type DockerEndpoint,
  type Runner,
  type StagePaths,
} from "./invocation";
import type { BuildPlan, StagePlan } from "./plan";
import {
  bootTestCommand,
  doubleBuildCommands,
  stageCommands,
  type StageCommands,
  type StageContext,
} from "./stage-steps";
import { STAGE_NAMES, STAGE_TABLE, localProducts, type StageName, type StageProduct } from "./stage-table";
import { sha256, type InputMap, type StageInputs } from "./stages";

/** Where the build runs and what it is called; absolute paths. */
export interface BuildLayout {
  readonly repoRoot: string;
  readonly stack: StackLayout;
  /** Host mode's download cache and ccache directories. */
  readonly hostCaches: { readonly downloads: string; readonly ccache: string };
  /** Tag of the build image: a content address of its build context and arguments. */
  readonly buildImageTag: string;
}

/** The build image (docker mode), built from packages/build-env. */
export interface BuildImageSpec {
  readonly tag: string;
  readonly context: string;
  readonly dockerfile: string;
  /** Build arguments from the stack (BASE, the Debian archives); empty ones are left out. */
  readonly buildArgs: Readonly<Record<string, string>>;
  /** The build host it is built on; the local engine when absent. */
  readonly endpoint?: DockerEndpoint;
}

/** A cache every stack shares: a Docker volume, or a directory in host mode. */
export interface CacheSpec {
  readonly role: "downloads" | "ccache";
  /** The volume's name or the directory's path. */
  readonly name: string;
  /** The stack key that names it, for messages. */
  readonly stackKey: string;
  /** The build host a cache volume lives on; the local engine when absent. */
  readonly endpoint?: DockerEndpoint;
}

export interface CheckoutSpec {
  readonly url: string;
  readonly tag: string;
  readonly commit: string;
  /** Host path of the checkout. */
  readonly path: string;
  readonly create: readonly string[];
}

export interface StageResourceSpec {
  readonly stage: StageName;
  /** Resource type name from the stage table, e.g. Kernel. */
  readonly type: string;
  /** Exactly the stage's inputs: a change re-runs it. */
  readonly options: InputMap;
  /** Stages whose re-run re-runs this one (their ids join its inputs). */
  readonly upstream: readonly StageName[];
  /** Stages that run first. */
  readonly after: readonly StageName[];
  readonly commands: StageCommands;
  /** What it leaves below the output directory (checked by refresh). */
  readonly products: readonly StageProduct[];
  readonly outputDir: string;
  /** The stage's make log (stage.sh writes it), named in failures. */
  readonly log: string;
  /** The planner's verdict, logged so that previews say why it re-runs. */
  readonly plan: StagePlan;
  /** The remote build host it runs on (watched while it runs); absent for a local build. */
  readonly buildHost?: DockerEndpoint;
}

/** Docker mode: the build image and two cache volumes. */
export interface DockerEnvironment {
  readonly mode: "docker";
  readonly buildImage: BuildImageSpec;
  readonly caches: readonly CacheSpec[];
}

/** Host mode: a check that fails early, naming what Buildroot's host tools lack, and two cache directories. */
export interface HostEnvironment {
  readonly mode: "host";
  readonly hostTools: string;
  readonly caches: readonly CacheSpec[];
}

export interface BoardResources {
  readonly runner: Runner;
  /** Where the stages run: the build host's address, or "local". */
  readonly buildHost: string;
  readonly environment: DockerEnvironment | HostEnvironment;
  readonly checkout: CheckoutSpec;
  /** In table order. */
  readonly stages: readonly StageResourceSpec[];
  readonly bootTest?: { readonly command: string };
  /** Where the image stage leaves the images. */
  readonly imagesDir: string;
  readonly doubleBuild?: { readonly commands: StageCommands; readonly buildHost?: DockerEndpoint };
  /** The working directory of every command. */
  readonly dir: string;
  readonly stack: string;
}

/** Upper bound for the boot test (boot plus acceptance under QEMU TCG). */
const BOOT_TEST_TIMEOUT_SECONDS = 600;

const BUILD_ARG_KEYS = [
  ["BASE", "buildBaseImage"],
  ["DEBIAN_ARCHIVE", "buildDebianArchive"],
  ["DEBIAN_SECURITY_ARCHIVE", "buildDebianSecurityArchive"],
] as const;

/** The build image's tag: a content address of the build context's files and the build arguments. */
export function buildImageTag(
  contextFiles: Readonly<Record<string, string>>,
  buildArgs: Readonly<Record<string, string>>,
): string {
  return `br-criu-build:${sha256(JSON.stringify({ contextFiles, buildArgs })).slice(0, 16)}`;
}

/** The Dockerfile's build arguments the stack sets. */
export function buildImageArgs(board: ResolvedBoard): Record<string, string> {
  return Object.fromEntries(
    BUILD_ARG_KEYS.flatMap(([arg, key]) => (board.config[key] === undefined ? [] : [[arg, board.config[key]]])),
  );
}

function environment(board: ResolvedBoard, layout: BuildLayout): Pick<BoardResources, "runner" | "environment"> {
  const { config } = board;
  if (config.buildMode === "docker") {
    const endpoint: { endpoint?: DockerEndpoint } =
      config.buildHost === undefined
        ? {}
        : {
            endpoint: {
              host: config.buildHost,
              ...(config.buildHostTls === undefined ? {} : { tlsDir: config.buildHostTls }),
            },
          };
    const runner: Runner = {
      mode: "docker",
      image: layout.buildImageTag,
      downloadVolume: config.downloadCache,
      ccacheVolume: config.ccacheCache,
      ...endpoint,
    };
    const buildImage = {
      tag: layout.buildImageTag,
      context: `${layout.repoRoot}/${REPO_LAYOUT.buildEnv}`,
      dockerfile: `${layout.repoRoot}/${REPO_LAYOUT.dockerfile}`,
      buildArgs: buildImageArgs(board),
      ...endpoint,
    };
    const caches: CacheSpec[] = [
      { role: "downloads", name: config.downloadCache, stackKey: "downloadCache", ...endpoint },
      { role: "ccache", name: config.ccacheCache, stackKey: "ccacheCache", ...endpoint },
    ];
    return { runner, environment: { mode: "docker", buildImage, caches } };
  }
  const { downloads, ccache } = layout.hostCaches;
  const stageScript = `${layout.repoRoot}/${REPO_LAYOUT.stageScript}`;
  const caches: CacheSpec[] = [
    { role: "downloads", name: downloads, stackKey: "workDir" },
    { role: "ccache", name: ccache, stackKey: "workDir" },
  ];
  return {
    runner: { mode: "host", stageScript, downloadDir: downloads, ccacheDir: ccache },
    environment: { mode: "host", hostTools: hostToolsCheck("host mode"), caches },
  };
}

/** The key of the clean-build epoch in the toolchain stage's inputs. */
export const EPOCH_KEY = "build.epoch";

function withEpoch(options: InputMap, epoch: number): InputMap {
  return Object.fromEntries(
    [...Object.entries(options), [EPOCH_KEY, String(epoch)] as const].sort(([a], [b]) => compareSymbols(a, b)),
  );
}

/** The build host stages are watched on, as a spec field: present for a remote build only. */
function watchedHost(runner: Runner): { buildHost?: DockerEndpoint } {
  return runsRemotely(runner) ? { buildHost: runner.endpoint } : {};
}

/** One resource spec per row of the stage table. */
function stageSpecs(
  board: ResolvedBoard,
  inputs: StageInputs,
  plan: BuildPlan,
  context: StageContext,
): StageResourceSpec[] {
  const products = { kernelVersion: board.kernel.version, kernelBuildImage: board.arch.kernelBuildImage };
  const output = context.paths.output;
  return STAGE_NAMES.map((stage): StageResourceSpec => {
    const spec = STAGE_TABLE[stage];
    return {
      stage,
      type: spec.type,
      // The clean-build epoch joins the first stage's inputs: a new epoch re-runs everything.
      options: stage === "toolchain" ? withEpoch(inputs[stage], plan.epoch) : inputs[stage],
      upstream: spec.upstream,
      after: spec.after,
      commands: stageCommands(stage, context),
      products: localProducts(spec, products, runsRemotely(context.runner)),
      outputDir: output,
      log: `${output}/${stageLog(stage)}`,
      plan: plan.stages[stage],
      ...watchedHost(context.runner),
    };
  });
}

export function boardResources(
  board: ResolvedBoard,
  inputs: StageInputs,
  plan: BuildPlan,
  layout: BuildLayout,
): BoardResources {
  const { config } = board;
  const env = environment(board, layout);
  const paths: StagePaths = {
    buildroot: layout.stack.checkout,
    external: layout.stack.external,
    output: layout.stack.output,
  };
  const context = {
    runner: env.runner,
    paths,
    stack: layout.stack.name,
    defconfig: defconfigName(config.board),
    kernelVersion: board.kernel.version,
    record: { current: layout.stack.buildRecord, next: layout.stack.nextBuildRecord },
  };
  const source = { url: config.buildrootRepository, tag: config.buildrootVersion, commit: config.buildrootCommit };
  const remoteHost = watchedHost(env.runner);
  const stages = stageSpecs(board, inputs, plan, context);
  const imagesDir = `${paths.output}/images`;
  return {
    ...env,
    buildHost: buildHostName(env.runner),
    checkout: {
      ...source,
      path: paths.buildroot,
      create: buildrootTreeSteps(env.runner, paths, context.stack, source),
    },
    stages,
    ...(config.bootTest
      ? { bootTest: { command: bootTestCommand(context.stack, imagesDir, BOOT_TEST_TIMEOUT_SECONDS) } }
      : {}),
    ...(config.verifyReproducible
      ? { doubleBuild: { commands: doubleBuildCommands(context, layout.stack.secondOutput), ...remoteHost } }
      : {}),
    imagesDir,
    dir: layout.repoRoot,
    stack: layout.stack.name,
  };
}
