import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { FeatureStatus, ResolvedBoard } from "@br-criu/model";
import { defconfigFile } from "@br-criu/generators";
import type { BuildPlan, StageInputs, StagePaths } from "@br-criu/planner";
import { BootTest } from "./boot-test";
import { BuildEnvironment } from "./build-environment";
import { BuildrootConfig } from "./buildroot-config";
import { BuildrootTree } from "./buildroot-tree";
import { Image } from "./image";
import { Kernel } from "./kernel";
import { Rootfs } from "./rootfs";
import { Toolchain } from "./toolchain";
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
  public readonly bootTest?: BootTest;

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
    const common = { runner: environment.runner, paths, stack, repoRoot, defconfig: defconfigFile(config.board).replace(/^configs\//, "") };
    const tree = new BuildrootTree(
      `${name}-buildroot`,
      { ...common, url: config.buildrootRepository, tag: config.buildrootVersion, commit: config.buildrootCommit, dependsOn: [environment] },
      { parent: this },
    );
    const toolchain = new Toolchain(`${name}-toolchain`, { ...common, inputs: inputs.toolchain, plan: plan.stages.toolchain, epoch: plan.epoch, upstream: [tree.checkout] }, { parent: this });
    const buildrootConfig = new BuildrootConfig(`${name}-config`, { ...common, inputs: inputs.config, plan: plan.stages.config, upstream: [toolchain.command] }, { parent: this });
    const kernel = new Kernel(
      `${name}-kernel`,
      { ...common, inputs: inputs.kernel, plan: plan.stages.kernel, kernelVersion: board.kernel.version, upstream: [toolchain.command, buildrootConfig.command] },
      { parent: this },
    );
    const rootfs = new Rootfs(`${name}-rootfs`, { ...common, inputs: inputs.rootfs, plan: plan.stages.rootfs, upstream: [toolchain.command, buildrootConfig.command] }, { parent: this });
    const image = new Image(
      `${name}-image`,
      {
        ...common,
        inputs: inputs.image,
        plan: plan.stages.image,
        upstream: [kernel.command, rootfs.command],
        record: JSON.stringify(plan.record),
        recordFile: `${args.workDir}/${stack}/build-record.json`,
      },
      { parent: this },
    );
    this.imageFiles = image.files;
    this.imageManifest = image.manifest;
    this.buildrootVerified = tree.verified;
    if (config.bootTest) {
      this.bootTest = new BootTest(`${name}-boot-test`, { stack, repoRoot, imagesDir: `${paths.output}/images`, timeoutSeconds: 600, image: image.command }, { parent: this });
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
      ...(this.bootTest ? { criuCheck: this.bootTest.criuCheck, dumpRestore: this.bootTest.dumpRestore } : {}),
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
  return Object.fromEntries(features.map((f) => [f.name, f.enabled ? "enabled" : f.available ? (f.wanted ? "wanted" : "available") : `impossible: ${f.reason}`]));
}
