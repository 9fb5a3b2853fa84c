/**
 * Where generated files live in the BR2_EXTERNAL tree, and the names the tree
 * gives itself. Buildroot exposes an external named BR_CRIU as
 * $(BR2_EXTERNAL_BR_CRIU_PATH).
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
  return `configs/${board.replace(/-/g, "_")}_criu_defconfig`;
}

export function kernelFragmentFile(board: string): string {
  return `board/${board}/linux-criu.fragment`;
}

export function kernelFragmentPath(board: string): string {
  return externalPath(kernelFragmentFile(board));
}

/** Overlay every board gets: the CRIU acceptance test script and its init hook. */
export const COMMON_OVERLAY = "board/common/rootfs-overlay";
