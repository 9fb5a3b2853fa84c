/**
 * Where things live: the BR2_EXTERNAL tree's own paths and the names it gives
 * itself, the repository's paths, and each stack's paths under the work
 * directory. Every other module asks here instead of spelling a path again.
 * Buildroot exposes an external named BR_CRIU as $(BR2_EXTERNAL_BR_CRIU_PATH).
 */

export const EXTERNAL_NAME = "BR_CRIU";

/**
 * Buildroot 2026.02 keeps BR2_PACKAGE_CRIU in Config.in.legacy (it selects
 * BR2_LEGACY), so an external package called "criu" stops the build. The
 * package is named after CRIU's upstream organisation instead.
 */
export const CRIU_PACKAGE_NAME = "checkpoint-restore";
export const CRIU_PACKAGE_SYMBOL = "BR2_PACKAGE_CHECKPOINT_RESTORE";

/** A path inside the external tree, as Buildroot expands it. */
export function externalPath(relative: string): string {
  return `$(BR2_EXTERNAL_${EXTERNAL_NAME}_PATH)/${relative}`;
}

/** qemu-aarch64 -> configs/qemu_aarch64_criu_defconfig */
export function defconfigFile(board: string): string {
  return `configs/${defconfigName(board)}`;
}

/** qemu-aarch64 -> qemu_aarch64_criu_defconfig, the make target Buildroot takes. */
export function defconfigName(board: string): string {
  return `${board.replace(/-/g, "_")}_criu_defconfig`;
}

export function kernelFragmentFile(board: string): string {
  return `board/${board}/linux-criu.fragment`;
}

export function kernelFragmentPath(board: string): string {
  return externalPath(kernelFragmentFile(board));
}

export function startQemuPath(board: string): string {
  return `board/${board}/start-qemu.sh`;
}

/** Overlay every board gets: the CRIU acceptance test script and its init hook. */
export const COMMON_OVERLAY = "board/common/rootfs-overlay";

/** The acceptance script inside the root filesystem (and the overlay). */
export const ACCEPTANCE_SCRIPT = "usr/libexec/br-criu/criu-acceptance";

/** Paths of the repository, relative to its root. */
export const REPO_LAYOUT = {
  /** The checked-in BR2_EXTERNAL tree, for plain Buildroot. */
  external: "packages/br2-external",
  /** The build container's context: Dockerfile and stage.sh. */
  buildEnv: "packages/build-env",
  dockerfile: "packages/build-env/Dockerfile",
  /** What every stage runs, in the container or on the host. */
  stageScript: "packages/build-env/stage.sh",
  /** The br-criu command line (checks run by stages, the boot test). */
  cliEntry: "packages/cli/src/main.ts",
  /** The Pulumi provider plugin directory (Pulumi.yaml's plugins.providers path). */
  providerPlugin: "packages/provider/bin",
  /** The test systems' ZDTM runner (busybox sh). */
  zdtmRunner: "packages/runtime/guest/zdtm-run",
} as const;

/**
 * br-criu's own Pulumi provider: its package name (type tokens start with it;
 * the engine runs <path>/pulumi-resource-<name>) and the directory Pulumi.yaml
 * names, so the engine starts it from the repository.
 */
export const PROVIDER_PLUGIN = { name: "br-criu-build", path: REPO_LAYOUT.providerPlugin } as const;

/** Files of the build context whose content names the build image (a change builds a new one). */
export const BUILD_ENV_FILES = ["Dockerfile", "stage.sh"] as const;

/** A stage's make log, relative to Buildroot's O= directory (stage.sh is told the file). */
export const stageLog = (stage: string) => `br-criu-logs/${stage}.log`;

/** Where one stack's build lives under the work directory; absolute when workDir is. */
export interface StackLayout {
  /** The stack's name. */
  readonly name: string;
  /** <workDir>/<stack>: everything of this stack. */
  readonly stackDir: string;
  /** Buildroot's O= directory. */
  readonly output: string;
  /** The double build's second O= directory. */
  readonly secondOutput: string;
  /** The Buildroot checkout, shared by every stack on the same commit. */
  readonly checkout: string;
  /** What the last successful build was made from (the planner compares against it). */
  readonly buildRecord: string;
  /** What this build is made from, written by `pulumi up`; the image stage moves it to buildRecord when it is done. */
  readonly nextBuildRecord: string;
  /** The BR2_EXTERNAL tree the build uses: a link to the tree rendered for the current configuration. */
  readonly external: string;
  /** Rendered BR2_EXTERNAL trees, one directory per content hash, shared by stacks. */
  readonly renderedTrees: string;
}

export function stackLayout(workDir: string, stack: string, buildrootCommit: string): StackLayout {
  const stackDir = `${workDir}/${stack}`;
  const output = `${stackDir}/output`;
  return {
    name: stack,
    stackDir,
    output,
    secondOutput: `${stackDir}/output-verify`,
    checkout: `${workDir}/buildroot-${buildrootCommit.slice(0, 12)}`,
    buildRecord: `${stackDir}/build-record.json`,
    nextBuildRecord: `${stackDir}/build-record.next.json`,
    external: `${stackDir}/br2-external`,
    renderedTrees: `${workDir}/br2-external`,
  };
}
