/**
 * Releases br-criu can build, with the sha256 of their source tarball.
 *
 * Every defconfig sets BR2_DOWNLOAD_FORCE_CHECK_HASHES=y, so Buildroot
 * refuses any download without a recorded hash: a version without one here
 * (or in the stack's br-criu:kernelSha256) cannot build, and `plan` says so
 * instead of letting `pulumi up` fail an hour later.
 */

export interface KernelRelease {
  readonly sha256: string;
  /** Where the hash was taken from (written as the hash file's comment). */
  readonly source: string;
}

const KERNEL_ORG_SUMS = (major: string) => `https://www.kernel.org/pub/linux/kernel/v${major}.x/sha256sums.asc`;

/** Kernel tarball name as Buildroot downloads it. */
export const kernelTarball = (version: string) => `linux-${version}.tar.xz`;

/** Where kernel.org publishes the hash of a release (signed by the kernel.org autosigner). */
export const kernelHashSource = (version: string) => KERNEL_ORG_SUMS(version.split(".")[0]!);

/** Kernel releases with a known tarball hash. */
export const KERNEL_RELEASES: Readonly<Record<string, KernelRelease>> = {
  "6.12.91": { sha256: "0ff2ab9e169f9f1948557471fbb450d3018f8c5b77caf288e1a3982582597969", source: kernelHashSource("6.12.91") },
};

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export interface CriuRelease {
  /** The tarball Buildroot downloads for the package. */
  readonly tarball: string;
  readonly sha256: string;
}

/**
 * CRIU releases with a recorded tarball hash. The BR2_EXTERNAL tree packages
 * one of them (CRIU_VERSION); the hash file of the package must hold the same
 * hash (a unit test compares them).
 */
export const CRIU_RELEASES: Readonly<Record<string, CriuRelease>> = {
  "v4.2": { tarball: "checkpoint-restore-v4.2-git4.tar.gz", sha256: "0c4d49a5ea7780ada25614c44f6dd3fff6430590e4df44c68941b95831a993c4" },
};
