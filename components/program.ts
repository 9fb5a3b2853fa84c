/**
 * The br-criu Pulumi program: reads the stack's configuration (refusing a
 * bad one before any resource is declared), renders the stack's BR2_EXTERNAL
 * tree, plans the stages, declares the build, and returns the stack outputs.
 * File work happens here and in internal/work-tree.ts; the model,
 * generators and planner it calls are pure.
 */
import { join, resolve } from "node:path";
import * as pulumi from "./internal/pulumi-sdk";
import { cachePath, writeFileWithMode } from "@br-criu/cache";
import {
  BUILD_ENV_FILES,
  COMMON_OVERLAY,
  REPO_LAYOUT,
  renderBoardFiles,
  renderStackTree,
  renderedDrift,
  stackLayout,
  type RenderedFile,
} from "@br-criu/generators";
import { featureState, type FeatureStatus, type ResolvedBoard } from "@br-criu/model";
import {
  boardResources,
  buildImageArgs,
  buildImageTag,
  inputsHash,
  parseBuildRecord,
  planBuild,
  stageInputs,
  type StageFiles,
} from "@br-criu/planner";
import { loadProject, stackFilePath } from "@br-criu/stacks";
import { BoardBuild, type BootTestOutputs, type ReproducibilityOutputs } from "./board-build";
import type { BuildBackend } from "./internal/backend";
import { brCriuBackend } from "./internal/br-criu-backend";
import { boardForStack, readRawConfig } from "./internal/stack-config";
import { installTree, readIfExists, readTree } from "./internal/work-tree";

const REPO_ROOT = resolve(__dirname, "..");

/** The stack outputs, each declared here once; the optional groups are there when the stack asks for them. */
export interface StackOutputs {
  readonly board: string;
  readonly arch: string;
  readonly buildrootCommit: string;
  readonly buildrootVerified: pulumi.Output<string>;
  readonly criuVersion: string;
  readonly kernelVersion: string;
  readonly criuFeatures: Record<string, string>;
  readonly inputsHash: string;
  /** Where the stages ran: br-criu:buildHost, or "local" (this machine's engine or the host itself). */
  readonly buildHost: string;
  readonly imageFiles: pulumi.Output<Record<string, string>>;
  readonly imageManifest: pulumi.Output<Record<string, string>>;
  /** With br-criu:bootTest. */
  readonly bootTest?: pulumi.Output<BootTestOutputs>;
  /** With br-criu:verifyReproducible. */
  readonly reproducibility?: pulumi.Output<ReproducibilityOutputs>;
}

/** What the stages read from the stack's tree: its kernel fragments, the package files, the overlays. */
function stageFiles(board: ResolvedBoard, tree: readonly RenderedFile[]): StageFiles {
  const below = (dir: string) =>
    tree.filter((file) => file.path.startsWith(`${dir}/`)).map((file) => [file.path, file.content] as const);
  const byPath = new Map(tree.map((file) => [file.path, file.content]));
  const overlays = [COMMON_OVERLAY, ...(board.config.rootfsOverlay ? [board.config.rootfsOverlay] : [])];
  return {
    kernelFragments: Object.fromEntries(board.config.kernelFragments.map((path) => [path, byPath.get(path) ?? ""])),
    packageFiles: Object.fromEntries(
      below("package").map(([path, content]) => [path.slice("package/".length), content]),
    ),
    overlayFiles: Object.fromEntries(overlays.flatMap(below)),
  };
}

/** Says when the checked-in tree (for plain Buildroot) lags the stack file; the build does not use it. */
function warnIfCheckedInTreeLags(board: ResolvedBoard, source: string, checkedIn: readonly RenderedFile[]): void {
  const onDisk = new Map(checkedIn.map((file) => [file.path, { content: file.content, mode: file.mode ?? 0o644 }]));
  const stale = renderBoardFiles(board, source).filter((file) => renderedDrift(file, onDisk.get(file.path)));
  if (stale.length > 0)
    void pulumi.log.warn(
      `${REPO_LAYOUT.external} lags ${source} (${stale.map((f) => f.path).join(", ")}): the build uses a tree rendered for the stack; run \`npm run generate\` to update the checked-in tree for plain Buildroot users`,
    );
}

export function defineStack(stack: string = pulumi.getStack()): StackOutputs {
  const project = loadProject(REPO_ROOT);
  const board = boardForStack(project, stack, readRawConfig(project, stack));
  const { config } = board;
  const source = stackFilePath(project, stack);
  const checkedIn = readTree(join(REPO_ROOT, REPO_LAYOUT.external));
  warnIfCheckedInTreeLags(board, source, checkedIn);
  const tree = renderStackTree(board, source, checkedIn);
  const inputs = stageInputs(board, source, stageFiles(board, tree));
  const layout = stackLayout(config.workDir ?? cachePath("builds"), stack, config.buildrootCommit);
  const plan = planBuild(parseBuildRecord(readIfExists(layout.buildRecord)), inputs, { forceClean: config.rebuild });
  if (!pulumi.runtime.isDryRun()) {
    // What the stages build from, and the record the image stage moves into place once everything is built.
    installTree(tree, layout.renderedTrees, layout.external);
    writeFileWithMode(layout.nextBuildRecord, { content: `${JSON.stringify(plan.record)}\n` });
  }
  const contextFiles = Object.fromEntries(
    BUILD_ENV_FILES.map((name) => [name, readIfExists(join(REPO_ROOT, REPO_LAYOUT.buildEnv, name)) ?? ""]),
  );
  const resources = boardResources(board, inputs, plan, {
    repoRoot: REPO_ROOT,
    stack: layout,
    hostCaches: { downloads: cachePath("hostDownloads"), ccache: cachePath("hostCcache") },
    buildImageTag: buildImageTag(contextFiles, buildImageArgs(board)),
  });
  const backend = config.providers === "pulumi" ? pulumiProvidersBackend() : brCriuBackend;
  const build = new BoardBuild(stack, { resources, backend, retainCaches: config.retainCaches });
  return {
    board: config.board,
    arch: board.arch.name,
    buildrootCommit: config.buildrootCommit,
    buildrootVerified: build.buildrootVerified,
    criuVersion: board.criu.version,
    kernelVersion: board.kernel.version,
    criuFeatures: featureMatrixOutput(board.features),
    inputsHash: inputsHash(inputs),
    buildHost: resources.buildHost,
    imageFiles: build.imageFiles,
    imageManifest: build.imageManifest,
    ...(build.bootTest ? { bootTest: build.bootTest } : {}),
    ...(build.reproducibility ? { reproducibility: build.reproducibility } : {}),
  };
}

/** @pulumi/command and @pulumi/docker, loaded only for the stacks that use them (their SDKs cost start-up time). */
function pulumiProvidersBackend(): BuildBackend {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, for the reason above
  return (require("./internal/pulumi-backend") as typeof import("./internal/pulumi-backend")).pulumiBackend;
}

/** The CRIU feature matrix as a stack output: feature -> state. */
function featureMatrixOutput(features: readonly FeatureStatus[]): Record<string, string> {
  return Object.fromEntries(features.map((f) => [f.name, featureState(f)]));
}
