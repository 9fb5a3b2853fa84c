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
  "6.12.91": {
    sha256: "0ff2ab9e169f9f1948557471fbb450d3018f8c5b77caf288e1a3982582597969",
    source: kernelHashSource("6.12.91"),
  },
};

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export interface CriuRelease {
  /** The version as Buildroot names it (_VERSION). */
  readonly version: string;
  /** The tarball Buildroot downloads for the package. */
  readonly tarball: string;
  readonly sha256: string;
  /** Where Buildroot downloads it from (_SITE). */
  readonly site: string;
  /** Why that site, and where the hash comes from (written into the .mk and the hash file). */
  readonly provenance: readonly string[];
  /** Debian's source package version that ships the tarball (`apt-get source criu=<this>`). */
  readonly debianSource: string;
}

/** The CRIU release the BR2_EXTERNAL tree packages. */
export const CRIU_VERSION = "v4.2.1";

/**
 * CRIU releases with a recorded tarball hash. The BR2_EXTERNAL tree packages
 * CRIU_VERSION; its hash file is generated from this table.
 */
export const CRIU_RELEASES: Readonly<Record<string, CriuRelease>> = {
  "v4.2.1": {
    version: "4.2.1",
    tarball: "criu_4.2.1.orig.tar.xz",
    sha256: "29ec0ee09e296479fe7048c80980e8ef1d0684d0b0204c2b101dfea19f6725b9",
    // snapshot.debian.org keeps every file Debian ever published at a fixed
    // URL, where deb.debian.org's pool drops a version once it is superseded;
    // the archive state of 2026-11-01 has criu 4.2.1-1 (uploaded 2026-07-30).
    site: "https://snapshot.debian.org/archive/debian/20261101T000000Z/pool/main/c/criu",
    provenance: [
      "Debian's criu_4.2.1.orig.tar.xz is the upstream 4.2.1 source (tag v4.2",
      "plus the 4.2.1 changes; Makefile.versions says 4.2.1). Its hash is the one",
      "Debian's signed criu_4.2.1-1.dsc lists, and the file apt-get source",
      "criu=4.2.1-1 downloads has it.",
    ],
    debianSource: "4.2.1-1",
  },
};
