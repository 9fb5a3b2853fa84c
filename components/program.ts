/**
 * The br-criu Pulumi program: reads the stack's configuration (refusing a
 * bad one before any resource is declared), plans the stages, declares the
 * build, and returns the stack outputs. File reads happen here; the model,
 * generators and planner it calls are pure.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { COMMON_OVERLAY, renderBoardFiles } from "@br-criu/generators";
import { cacheRoot } from "@br-criu/kernel";
import { inputsHash, parseBuildRecord, planBuild, stageInputs, type StageFiles } from "@br-criu/planner";
import { StackError, loadProject, stackFilePath } from "@br-criu/stacks";
import { BoardBuild, featureMatrixOutput } from "./board-build";
import { boardForStack, readRawConfig } from "./internal/stack-config";

export const REPO_ROOT = resolve(__dirname, "..");
const EXTERNAL_DIR = join(REPO_ROOT, "packages/br2-external");

/** Every file below a directory, path relative to it -> content, sorted. */
function readTree(dir: string, prefix = ""): Record<string, string> {
  if (!existsSync(dir)) return {};
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) Object.assign(files, readTree(path, `${prefix}${name}/`));
    else files[`${prefix}${name}`] = readFileSync(path, "utf8");
  }
  return files;
}

export interface StackOutputs {
  readonly board: string;
  readonly arch: string;
  readonly buildrootCommit: string;
  readonly buildrootVerified: pulumi.Output<string>;
  readonly criuVersion: string;
  readonly kernelVersion: string;
  readonly criuFeatures: Record<string, string>;
  readonly inputsHash: string;
  readonly rebuildPlan: Record<string, string[]>;
  readonly imageFiles: pulumi.Output<Record<string, string>>;
  readonly imageManifest: pulumi.Output<Record<string, string>>;
  readonly reproducible?: pulumi.Output<boolean>;
  readonly differingFiles?: pulumi.Output<string[]>;
  readonly criuCheck?: pulumi.Output<boolean>;
  readonly dumpRestore?: pulumi.Output<boolean>;
  readonly bootTimings?: pulumi.Output<Record<string, number>>;
}

export function defineStack(stack: string = pulumi.getStack()): StackOutputs {
  const project = loadProject(REPO_ROOT);
  const board = boardForStack(project, stack, readRawConfig(project, stack));
  const { config } = board;
  const source = stackFilePath(project, stack);

  // The build uses the checked-in BR2_EXTERNAL tree: it must match this stack's configuration.
  const stale = renderBoardFiles(board, source).filter((file) => {
    const path = join(EXTERNAL_DIR, file.path);
    return !existsSync(path) || readFileSync(path, "utf8") !== file.content;
  });
  if (stale.length > 0) {
    throw new pulumi.RunError(
      StackError.of(source, [
        {
          key: "",
          message: `packages/br2-external is out of date for this stack (${stale.map((f) => f.path).join(", ")})`,
          fix: "run `npm run generate` and commit the result, so that what is built is what is checked in",
        },
      ]).message,
    );
  }

  const files: StageFiles = {
    kernelFragments: Object.fromEntries(
      config.kernelFragments.map((path) => [path, readFileSync(join(EXTERNAL_DIR, path), "utf8")]),
    ),
    packageFiles: readTree(join(EXTERNAL_DIR, "package")),
    overlayFiles: Object.fromEntries(
      [COMMON_OVERLAY, ...(config.rootfsOverlay ? [config.rootfsOverlay] : [])].flatMap((overlay) =>
        Object.entries(readTree(join(EXTERNAL_DIR, overlay))).map(([path, content]) => [`${overlay}/${path}`, content]),
      ),
    ),
  };
  const inputs = stageInputs(board, source, files);
  const workDir = config.workDir ?? join(cacheRoot(), "build");
  const recordFile = join(workDir, stack, "build-record.json");
  const previous = parseBuildRecord(existsSync(recordFile) ? readFileSync(recordFile, "utf8") : undefined);
  const plan = planBuild(previous, inputs, { forceClean: config.rebuild });

  const build = new BoardBuild(stack, {
    stack,
    board,
    inputs,
    plan,
    repoRoot: REPO_ROOT,
    workDir,
    hostCacheDir: cacheRoot(),
  });
  return {
    board: config.board,
    arch: board.arch.name,
    buildrootCommit: config.buildrootCommit,
    buildrootVerified: build.buildrootVerified,
    criuVersion: board.criu.version,
    kernelVersion: board.kernel.version,
    criuFeatures: featureMatrixOutput(board.features),
    inputsHash: inputsHash(inputs),
    rebuildPlan: Object.fromEntries(
      Object.entries(plan.stages).map(([stage, p]) => [stage, p.rebuild ? [...p.reasons] : []]),
    ),
    imageFiles: build.imageFiles,
    imageManifest: build.imageManifest,
    ...(build.reproducible ? { reproducible: build.reproducible, differingFiles: build.differingFiles! } : {}),
    ...(build.criuCheck
      ? { criuCheck: build.criuCheck, dumpRestore: build.dumpRestore!, bootTimings: build.bootTimings! }
      : {}),
  };
}
