/**
 * CRIU's requirements expressed as Buildroot symbols. The BR2_EXTERNAL
 * package's Config.in is generated from this data, so the package and the
 * model's rules (resolve.ts) state the same facts; tests/unit/br2-external
 * evaluates the generated Kconfig against every stack and refused case.
 */
import type { ArmIsa } from "./arch";

/** Buildroot's ISA-level symbol for each 32-bit arm ISA CRIU's arm port knows. */
export const ARM_ISA_BUILDROOT_SYMBOL: Readonly<Record<ArmIsa, string>> = {
  armv6: "BR2_ARM_CPU_ARMV6",
  "armv7-a": "BR2_ARM_CPU_ARMV7A",
  "armv7-m": "BR2_ARM_CPU_ARMV7M",
  "armv8-a": "BR2_ARM_CPU_ARMV8A",
};

export interface BuildrootRequirement {
  /** Kconfig expression over Buildroot symbols that must hold. */
  readonly condition: string;
  /** Why (written as a trailing comment in Config.in). */
  readonly reason: string;
  /** Words for the "needs a toolchain w/ ..." comment; none for arch-level needs. */
  readonly short?: string;
}

/** Needs of the target architecture, besides the arch list itself. */
export const criuArchRequirements: readonly BuildrootRequirement[] = [
  { condition: "BR2_USE_MMU", reason: "fork-based restore, libcap" },
  { condition: "BR2_PACKAGE_PROTOBUF_ARCH_SUPPORTS", reason: "protobuf" },
  { condition: "BR2_PACKAGE_HOST_PROTOBUF_ARCH_SUPPORTS", reason: "host-protobuf-c" },
];

/** Needs of the toolchain and build host (resolve.ts checks the same facts). */
export const criuToolchainRequirements: readonly BuildrootRequirement[] = [
  {
    condition: "BR2_TOOLCHAIN_USES_GLIBC || BR2_TOOLCHAIN_USES_MUSL",
    reason: "aio.h, which uClibc-ng lacks",
    short: "glibc or musl",
  },
  { condition: "BR2_TOOLCHAIN_HAS_THREADS", reason: "protobuf, libnl", short: "threads" },
  { condition: "BR2_INSTALL_LIBSTDCPP", reason: "protobuf", short: "C++" },
  { condition: "BR2_USE_WCHAR", reason: "libbsd, gnutls, nftables", short: "wchar" },
  { condition: "!BR2_STATIC_LIBS", reason: "protobuf", short: "dynamic library" },
  { condition: "BR2_TOOLCHAIN_GCC_AT_LEAST_8", reason: "-march=armv7-a+fp, protobuf", short: "gcc >= 8" },
  { condition: "BR2_TOOLCHAIN_HEADERS_AT_LEAST_4_18", reason: "linux/rseq.h", short: "headers >= 4.18" },
  { condition: "BR2_HOST_GCC_AT_LEAST_7", reason: "host-protobuf-c needs C++17", short: "host gcc >= 7" },
];

/** Target libraries CRIU always links (Buildroot package names). */
export const criuPackageDependencies: readonly string[] = [
  "libcap",
  "libnet",
  "libnl",
  "protobuf",
  "protobuf-c",
  "util-linux",
];

/** Build-host packages CRIU's build runs (pkg-config, protoc, protoc-gen-c, python scripts). */
export const criuHostDependencies: readonly string[] = [
  "host-pkgconf",
  "host-protobuf",
  "host-protobuf-c",
  "host-python3",
];

/**
 * The package's sub-options: the Config.in entries, the .mk's conditional
 * blocks and the defconfig lines of a stack are generated from this one
 * table (the make variables each one changes are in the generators' CRIU
 * recipe, keyed by the suffix).
 */
export interface CriuSubOption {
  /** Suffix of the Buildroot symbol (BR2_PACKAGE_CHECKPOINT_RESTORE_<suffix>). */
  readonly suffix: CriuSubOptionSuffix;
  /** The stack key that turns it on. */
  readonly stackKey: "criuCrit" | "criuGnutls" | "criuLibbsd" | "criuNftables";
  /** Its prompt in menuconfig. */
  readonly prompt: string;
  readonly dependsOn?: string;
  /** Buildroot symbols it selects. */
  readonly selects: readonly string[];
  /** Buildroot packages the .mk adds to the build's dependencies when it is on. */
  readonly packages: readonly string[];
  readonly help: string;
  /** Why a stack's defconfig sets it (the defconfig's comment). */
  readonly reason: string;
}

export type CriuSubOptionSuffix = "CRIT" | "GNUTLS" | "LIBBSD" | "NFTABLES";

export const CRIU_SUB_OPTIONS: readonly CriuSubOption[] = [
  {
    suffix: "CRIT",
    stackKey: "criuCrit",
    prompt: "crit and pycriu",
    dependsOn: "BR2_PACKAGE_PYTHON3",
    selects: ["BR2_PACKAGE_PYTHON_PROTOBUF"],
    packages: ["host-python-pip", "host-python-setuptools", "python3", "python-protobuf"],
    help: "Install crit, the CRIU image tool, and the pycriu Python module.",
    reason: "crit and pycriu (python3)",
  },
  {
    suffix: "GNUTLS",
    stackKey: "criuGnutls",
    prompt: "page server TLS (gnutls)",
    selects: ["BR2_PACKAGE_GNUTLS"],
    packages: ["gnutls"],
    help: "Encrypt page server connections (criu --tls).",
    reason: "TLS for the page server",
  },
  {
    suffix: "LIBBSD",
    stackKey: "criuLibbsd",
    prompt: "process titles (libbsd)",
    dependsOn: "BR2_PACKAGE_LIBBSD_ARCH_SUPPORTS",
    selects: ["BR2_PACKAGE_LIBBSD"],
    packages: ["libbsd"],
    help: "Restore process titles set with setproctitle().",
    reason: "process titles of restored tasks",
  },
  {
    suffix: "NFTABLES",
    stackKey: "criuNftables",
    prompt: "nftables network locking",
    selects: ["BR2_PACKAGE_NFTABLES"],
    packages: ["nftables"],
    help: "Lock the network with nftables during dump (criu --network-lock nftables). The kernel needs NF_TABLES and NF_TABLES_INET.",
    reason: "nftables network locking",
  },
];
