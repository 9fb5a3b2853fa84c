/**
 * The command lines of each stage, from the stage table: what a stage
 * resource runs on create, what an interrupted one leaves to clean up, and
 * what its delete runs. The same lines serve br-criu's provider and
 * `command.local.Command`; every word is quoted by the generators' one
 * quoting function.
 */
import { REPO_LAYOUT, shellCommandLine, stageLog } from "@br-criu/generators";
import {
  fetchFromHostCommand,
  removeContainersCommand,
  removeStackVolumesCommand,
  runsRemotely,
  stageScriptCommand,
  type Runner,
  type StagePaths,
} from "./invocation";
import { DEFCONFIG_TARGET, STAGE_NAMES, STAGE_TABLE, isBuildStep, type StageName, type StageStep } from "./stage-table";

/** Where and for which board a stage runs. */
export interface StageContext {
  readonly runner: Runner;
  readonly paths: StagePaths;
  readonly stack: string;
  /** Buildroot defconfig target of the board, e.g. qemu_aarch64_criu_defconfig. */
  readonly defconfig: string;
  readonly kernelVersion: string;
  /** The build record the next plan compares against, and the one this build will leave (written by the program). */
  readonly record: { readonly current: string; readonly next: string };
}

export interface StageCommands {
  /** Run in order (cwd: the repository root); the first failure fails the stage. */
  readonly create: readonly string[];
  /** What an interrupted stage leaves behind, removed on cancel and before delete (its containers). */
  readonly cleanup: readonly string[];
  /** Run on delete, after the clean-up. */
  readonly delete: readonly string[];
}

/** Runs the br-criu command line from the repository root (checks and the boot test). */
function brCriuCommand(...words: string[]): string {
  return shellCommandLine(["npx", "--no-install", "tsx", REPO_LAYOUT.cliEntry, ...words]);
}

/** The steps of a stage that run for this runner: a local build has nothing to fetch. */
function stepsFor(steps: readonly StageStep[], runner: Runner): StageStep[] {
  return steps.filter((step) => step.run !== "fetch" || runsRemotely(runner));
}

/** One step of a stage as a command line; `index` numbers the stage's containers. */
function stepCommand(stage: string, step: StageStep, index: number, c: StageContext): string {
  const script = (...args: string[]) =>
    stageScriptCommand({ runner: c.runner, paths: c.paths, stack: c.stack, stage, step: index, args });
  switch (step.run) {
    case "clean-output":
      // Made first as the invoking user: docker would make a missing mount source as root.
      return `${shellCommandLine(["mkdir", "-p", c.paths.output])} && ${script("clean")}`;
    case "make":
      return script(
        "make",
        stageLog(stage),
        ...step.targets.map((target) => (target === DEFCONFIG_TARGET ? c.defconfig : target)),
      );
    case "image-manifest":
      return script("image-manifest");
    case "check-buildroot-config":
      return brCriuCommand("check-buildroot-config", c.stack, "--config", `${c.paths.output}/.config`);
    case "check-kernel":
      return brCriuCommand("check-kernel", c.stack, "--tree", `${c.paths.output}/build/linux-${c.kernelVersion}`);
    case "build-record":
      return shellCommandLine(["mv", "-f", c.record.next, c.record.current]);
    case "fetch": {
      if (!runsRemotely(c.runner)) throw new Error(`stage ${stage}: a fetch step runs only for a build host`);
      return fetchFromHostCommand(c.runner, c.paths, step.paths(c), step.kconfig === true);
    }
  }
}

/** What a stage's delete runs when it owns the output directory: emptied and removed, here and on a build host. */
function outputDeleteCommands(stage: string, c: StageContext): string[] {
  const clean = stageScriptCommand({
    runner: c.runner,
    paths: c.paths,
    stack: c.stack,
    stage,
    step: 0,
    args: ["clean"],
  });
  if (runsRemotely(c.runner))
    // The local directory holds only copies of what the build host made.
    return [clean, removeStackVolumesCommand(c.runner, c.paths), shellCommandLine(["rm", "-rf", c.paths.output])];
  return [clean, `${shellCommandLine(["rmdir", c.paths.output])} 2>/dev/null || true`];
}

export function stageCommands(stage: StageName, c: StageContext): StageCommands {
  const spec = STAGE_TABLE[stage];
  return {
    create: stepsFor(spec.steps, c.runner).map((step, index) => stepCommand(stage, step, index, c)),
    cleanup: c.runner.mode === "docker" ? [removeContainersCommand(c.runner, c.stack, stage)] : [],
    delete: spec.ownsOutput ? outputDeleteCommands(stage, c) : [],
  };
}

/**
 * Every build step of every stage in table order (Buildroot's make targets
 * and the image manifest, not br-criu's checks), as one container name
 * prefix `name`: a whole build in one go.
 */
export function fullBuildCommands(c: StageContext, name: string): string[] {
  const builds = STAGE_NAMES.flatMap((stage) => stepsFor(STAGE_TABLE[stage].steps, c.runner).filter(isBuildStep));
  return builds.map((step, index) => stepCommand(name, step, index, c));
}

/**
 * The double build: every build step of every stage again, in a fresh
 * output directory (mounted at the same O= path in the container), then the
 * two image manifests compared. A difference is a verdict to report, not a
 * failed command, so the comparison never fails the step.
 */
export function doubleBuildCommands(c: StageContext, secondOutput: string): StageCommands {
  const second = { ...c, paths: { ...c.paths, output: secondOutput } };
  const manifest = (output: string) => `${output}/images/manifest.sha256`;
  const compare = shellCommandLine([
    REPO_LAYOUT.stageScript,
    "compare-manifests",
    manifest(c.paths.output),
    manifest(secondOutput),
  ]);
  return {
    create: [
      shellCommandLine(["mkdir", "-p", secondOutput]),
      ...fullBuildCommands(second, "verify"),
      `{ ${compare} || true; }`,
    ],
    cleanup: c.runner.mode === "docker" ? [removeContainersCommand(c.runner, c.stack, "verify")] : [],
    delete: outputDeleteCommands("verify", second),
  };
}

/** Boots the built image in acceptance mode; its JSON report is the result, the exit status only pass/fail. */
export function bootTestCommand(stack: string, imagesDir: string, timeoutSeconds: number): string {
  return `${brCriuCommand("boot-test", stack, "--images", imagesDir, "--timeout", String(timeoutSeconds), "--json")} || true`;
}
