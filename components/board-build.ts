import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { featureState, type FeatureStatus, type ResolvedBoard } from "@br-criu/model";
import { defconfigFile } from "@br-criu/generators";
import {
  configCommands,
  imageCommands,
  kernelCommands,
  parseManifest,
  rootfsCommands,
  toolchainCommands,
  type BuildPlan,
  type StageInputs,
  type StagePaths,
} from "@br-criu/planner";
import { BootTest } from "./boot-test";
import { BuildEnvironment } from "./build-environment";
import { BuildStage, type BuildStageArgs } from "./build-stage";
import { BuildrootTree } from "./buildroot-tree";
import { VerifyReproducible } from "./verify-reproducible";

export interface BoardBuildArgs {
  /** Stack name. */
  readonly stack: string;
  /** The resolved board (model output). */
  readonly board: ResolvedBoard;
  /** Inputs of each stage (planner). */
  readonly inputs: StageInputs;
  /** Which stages re-run and why, and the clean-build epoch (planner). */
  readonly plan: BuildPlan;
  /** Repository root (BR2_EXTERNAL tree, build-env files, br-criu CLI). */
  readonly repoRoot: string;
  /** Directory for Buildroot checkouts and this stack's output directories. */
  readonly workDir: string;
  /** Host cache directory (host mode). */
  readonly hostCacheDir: string;
}

/**
 * One board's build: environment, Buildroot tree, then the stages in
 * Buildroot's order (toolchain -> config -> kernel/rootfs -> image), and the
 * optional double build.
 */
export class BoardBuild extends pulumi.ComponentResource {
  public readonly imageFiles: pulumi.Output<Record<string, string>>;
  public readonly imageManifest: pulumi.Output<Record<string, string>>;
  public readonly buildrootVerified: pulumi.Output<string>;
  public readonly reproducible?: pulumi.Output<boolean>;
  public readonly differingFiles?: pulumi.Output<string[]>;
  /** The boot test's criu check and dump/restore verdicts and its timings (with br-criu:bootTest). */
  public readonly criuCheck?: pulumi.Output<boolean>;
  public readonly dumpRestore?: pulumi.Output<boolean>;
  public readonly bootTimings?: pulumi.Output<Record<string, number>>;

  constructor(name: string, args: BoardBuildArgs, opts?: pulumi.ComponentResourceOptions) {
    super("br-criu:build:BoardBuild", name, {}, opts);
    const { board, stack, plan, inputs, repoRoot } = args;
    const { config } = board;
    const contextDir = `${repoRoot}/packages/build-env`;
    const environment = new BuildEnvironment(
      `${name}-env`,
      {
        mode: config.buildMode,
        contextDir,
        imageName: `br-criu-build:${buildEnvTag(repoRoot)}`,
        downloadVolume: config.downloadCache,
        ccacheVolume: config.ccacheCache,
        retainCaches: config.retainCaches,
        hostCacheDir: args.hostCacheDir,
      },
      { parent: this },
    );
    const paths: StagePaths = {
      buildroot: `${args.workDir}/buildroot-${config.buildrootCommit.slice(0, 12)}`,
      external: `${repoRoot}/packages/br2-external`,
      output: `${args.workDir}/${stack}/output`,
    };
    const common = {
      runner: environment.runner,
      paths,
      stack,
      repoRoot,
      defconfig: defconfigFile(config.board).replace(/^configs\//, ""),
    };
    const tree = new BuildrootTree(
      `${name}-buildroot`,
      {
        ...common,
        url: config.buildrootRepository,
        tag: config.buildrootVersion,
        commit: config.buildrootCommit,
        dependsOn: [environment],
      },
      { parent: this },
    );
    const stage = (
      stageName: string,
      type: string,
      stageArgs: Omit<BuildStageArgs, keyof typeof common | "stage" | "type" | "commandSuffix">,
      commandSuffix = "make",
    ) =>
      new BuildStage(
        `${name}-${stageName}`,
        { ...common, ...stageArgs, stage: stageName, type: `br-criu:build:${type}`, commandSuffix },
        { parent: this },
      );
    const toolchain = stage("toolchain", "Toolchain", {
      inputs: inputs.toolchain,
      plan: plan.stages.toolchain,
      commands: toolchainCommands,
      extraTriggers: [plan.epoch],
      upstream: [tree.checkout],
    });
    const buildrootConfig = stage(
      "config",
      "BuildrootConfig",
      { inputs: inputs.config, plan: plan.stages.config, commands: configCommands, upstream: [toolchain.command] },
      "defconfig",
    );
    const afterConfig = [toolchain.command, buildrootConfig.command];
    const kernel = stage("kernel", "Kernel", {
      inputs: inputs.kernel,
      plan: plan.stages.kernel,
      commands: (context) => kernelCommands(context, board.kernel.version),
      upstream: afterConfig,
    });
    const rootfs = stage("rootfs", "Rootfs", {
      inputs: inputs.rootfs,
      plan: plan.stages.rootfs,
      commands: rootfsCommands,
      upstream: afterConfig,
    });
    const recordFile = `${args.workDir}/${stack}/build-record.json`;
    const image = stage("image", "Image", {
      inputs: inputs.image,
      plan: plan.stages.image,
      commands: (context) => imageCommands(context, recordFile),
      // Written only after a successful build: the record the next plan compares against.
      environment: { BR_CRIU_RECORD: JSON.stringify(plan.record) },
      upstream: [kernel.command, rootfs.command],
    });
    this.imageManifest = image.stdout.apply(parseManifest);
    this.imageFiles = this.imageManifest.apply((manifest) =>
      Object.fromEntries(Object.keys(manifest).map((file) => [file, `${paths.output}/images/${file}`])),
    );
    this.buildrootVerified = tree.verified;
    if (config.bootTest) {
      const bootTest = new BootTest(
        `${name}-boot-test`,
        { stack, repoRoot, imagesDir: `${paths.output}/images`, timeoutSeconds: 600, image: image.command },
        { parent: this },
      );
      this.criuCheck = bootTest.criuCheck;
      this.dumpRestore = bootTest.dumpRestore;
      this.bootTimings = bootTest.timings;
    }
    if (config.verifyReproducible) {
      const verify = new VerifyReproducible(
        `${name}-verify`,
        { ...common, secondOutput: `${args.workDir}/${stack}/output-verify`, upstream: [image.command] },
        { parent: this },
      );
      this.reproducible = verify.reproducible;
      this.differingFiles = verify.differingFiles;
    }
    this.registerOutputs({
      imageFiles: this.imageFiles,
      imageManifest: this.imageManifest,
      buildrootVerified: this.buildrootVerified,
      ...(this.reproducible ? { reproducible: this.reproducible, differingFiles: this.differingFiles } : {}),
      ...(this.criuCheck
        ? { criuCheck: this.criuCheck, dumpRestore: this.dumpRestore, bootTimings: this.bootTimings }
        : {}),
    });
  }
}

/** Content address of the build environment (Dockerfile and stage.sh): a change builds a new image. */
function buildEnvTag(repoRoot: string): string {
  const hash = createHash("sha256");
  for (const file of ["Dockerfile", "stage.sh"]) hash.update(readFileSync(`${repoRoot}/packages/build-env/${file}`));
  return hash.digest("hex").slice(0, 16);
}

/** The CRIU feature matrix as a stack output: feature -> state. */
export function featureMatrixOutput(features: readonly FeatureStatus[]): Record<string, string> {
  return Object.fromEntries(features.map((f) => [f.name, featureState(f)]));
}
