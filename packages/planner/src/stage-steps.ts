/**
 * The command lines of each Buildroot stage, pure: what a stage's
 * `command.local.Command` runs on create and on delete. Each stage is
 * stage.sh through the runner, plus br-criu's own checks where Buildroot
 * could silently drop an option.
 */
import { shellCommandLine } from "@br-criu/generators";
import { stageCommand, type Runner, type StagePaths } from "./invocation";

/** What a stage command runs: create steps joined with &&, delete steps one per line. */
export interface StageCommands {
  readonly create: readonly string[];
  readonly delete: readonly string[];
}

/** Where and for which board a stage runs. */
export interface StageContext {
  readonly runner: Runner;
  readonly paths: StagePaths;
  readonly stack: string;
  /** Buildroot defconfig of the board, e.g. qemu_aarch64_criu_defconfig. */
  readonly defconfig: string;
}

/** Runs the br-criu CLI from the repository (config and kernel checks). */
export function brCriuCommand(...words: string[]): string {
  return shellCommandLine(["npx", "--no-install", "tsx", "packages/cli/src/main.ts", ...words]);
}

const run = (c: StageContext, stage: string, args: readonly string[] = [c.defconfig]) =>
  stageCommand(c.runner, c.paths, c.stack, stage, args);

/** First stage, a clean build (Buildroot cannot change a toolchain in place); its delete removes the output directory. */
export function toolchainCommands(c: StageContext): StageCommands {
  return {
    create: [shellCommandLine(["mkdir", "-p", c.paths.output]), run(c, "toolchain")],
    delete: [run(c, "clean", []), `${shellCommandLine(["rmdir", c.paths.output])} 2>/dev/null || true`],
  };
}

/** The generated defconfig, then the check that Buildroot's Kconfig kept every generated BR2_ option. */
export function configCommands(c: StageContext): StageCommands {
  return {
    create: [
      run(c, "config"),
      brCriuCommand("check-buildroot-config", c.stack, "--config", `${c.paths.output}/.config`),
    ],
    delete: [],
  };
}

/** linux-reconfigure, the check of the resolved kernel .config against every requested CRIU option, then the build. */
export function kernelCommands(c: StageContext, kernelVersion: string): StageCommands {
  return {
    create: [
      run(c, "kernel-configure"),
      brCriuCommand("check-kernel", c.stack, "--tree", `${c.paths.output}/build/linux-${kernelVersion}`),
      run(c, "kernel"),
    ],
    delete: [],
  };
}

/** Every package into the target directory (`make target-finalize`), CRIU included. */
export function rootfsCommands(c: StageContext): StageCommands {
  return { create: [run(c, "rootfs")], delete: [] };
}

/** The images and their manifest, then the build record (from $BR_CRIU_RECORD) the next plan compares against. */
export function imageCommands(c: StageContext, recordFile: string): StageCommands {
  return {
    create: [run(c, "image"), `printf '%s\\n' "$BR_CRIU_RECORD" > ${shellCommandLine([recordFile])}`],
    delete: [],
  };
}
