/**
 * The configuration of one stack (one board), as written under the `br-criu:`
 * namespace of `stacks/Pulumi.<stack>.yaml`. Keys are flat so that
 * `pulumi config set br-criu:kernelVersion 6.12.92` works without `--path`,
 * and so that every key can be declared with a type in Pulumi.yaml (project
 * config types are string, integer, boolean and array only).
 *
 * The defaults here are the project defaults: Pulumi.yaml's `config:` block
 * is generated from this schema (`npm run generate`), because Pulumi's mock
 * runtime does not apply Pulumi.yaml defaults and the CLI reads stack files
 * without Pulumi at all.
 */
import { z } from "zod";
import {
  ABSOLUTE_PATH,
  ARCHIVE_URL,
  DOCKER_ENDPOINT,
  IMAGE_REFERENCE,
  DEVICE_TREE,
  GIT_REPOSITORY,
  parseKernelConfigValue,
  HOSTNAME,
  IDENTIFIER,
  IMAGE_SIZE,
  ONE_LINE,
  PACKAGE_NAME,
  QEMU_MACHINE,
  RELATIVE_PATH,
  VOLUME_NAME,
  grammarString,
  ownEntry,
} from "./grammar";
import { FEATURE_NAMES, portableFeatures } from "./kernel-options";
import { CRIU_RELEASES, CRIU_VERSION, SHA256_PATTERN } from "./releases";

export const PULUMI_NAMESPACE = "br-criu";

/** Where a stack's stages run when br-criu:buildHost is unset: the local Docker engine or this machine. */
export const LOCAL_BUILD_HOST = "local";

const DEFAULT_BUILDROOT_VERSION = "2026.02.3";
/** Buildroot's upstream repository. */
const DEFAULT_BUILDROOT_REPOSITORY = "https://gitlab.com/buildroot.org/buildroot.git";
const DEFAULT_BUILDROOT_COMMIT = "679b9ead7620bbf193620d1ebf56f53c1764d37a";
export const DEFAULT_KERNEL_VERSION = "6.12.91";

const slug = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const relativePath = grammarString(RELATIVE_PATH);

const featureName = z.string().refine((name) => FEATURE_NAMES.includes(name), {
  error: (issue) => `unknown CRIU feature ${JSON.stringify(issue.input)}; known features: ${FEATURE_NAMES.join(", ")}`,
});

export const stackConfigSchema = z.strictObject({
  board: z
    .string()
    .regex(slug, "must be lower-case letters, digits, '-' and '_'")
    .describe("Board id, e.g. qemu-aarch64; names the generated defconfig and board directory."),
  description: grammarString(ONE_LINE).describe("One line describing the board."),
  arch: grammarString(IDENTIFIER).describe("Target architecture: x86_64, aarch64, arm, powerpc64le or riscv64."),
  cpu: grammarString(IDENTIFIER)
    .optional()
    .describe(
      "CPU variant (Buildroot's CPU choice), e.g. cortex-a9, cortex-a53, power8; the architecture's default when unset.",
    ),
  fpu: grammarString(IDENTIFIER).optional().describe("arm only: floating point unit, e.g. vfpv3-d16."),
  neon: z.boolean().optional().describe("arm only: enable NEON SIMD."),
  floatAbi: z.enum(["eabi", "eabihf"]).optional().describe("arm only: eabi (soft-float calls) or eabihf (hard-float)."),
  experimental: z
    .boolean()
    .default(false)
    .describe("Acknowledge that the architecture is experimental for CRIU (required for riscv64)."),
  qemuMachine: grammarString(QEMU_MACHINE)
    .optional()
    .describe("QEMU machine the image is started on; the architecture's default when unset."),
  buildrootVersion: z
    .string()
    .regex(/^\d{4}\.\d{2}(\.\d{1,3})?$/, "must be a Buildroot release such as 2026.02.3")
    .default(DEFAULT_BUILDROOT_VERSION)
    .describe("Buildroot release (git tag) to build with."),
  buildrootCommit: z
    .string()
    .regex(/^[0-9a-f]{40}$/, "must be a full 40-hex-digit commit id")
    .default(DEFAULT_BUILDROOT_COMMIT)
    .describe("Commit the Buildroot tag must resolve to; the checkout is refused otherwise."),
  buildrootRepository: grammarString(GIT_REPOSITORY)
    .default(DEFAULT_BUILDROOT_REPOSITORY)
    .describe(
      "Git repository Buildroot is cloned from: the upstream URL, or a local mirror (absolute path or file:// URL) for offline builds.",
    ),
  toolchain: z
    .enum(["bootlin", "buildroot"])
    .default("bootlin")
    .describe("bootlin (external, glibc, stable) or buildroot (internal, built from source)."),
  libc: grammarString(IDENTIFIER).default("glibc").describe("C library: glibc, or musl with the buildroot toolchain."),
  gccVersion: z
    .string()
    .regex(/^\d{1,2}$/, "must be a gcc major version such as 14")
    .default("14")
    .describe("gcc major version of the buildroot toolchain (the Bootlin stable toolchain is gcc 14)."),
  cxx: z.boolean().default(true).describe("C++ support in the toolchain (CRIU's protobuf dependency needs it)."),
  kernelVersion: z
    .string()
    .regex(/^\d{1,2}\.\d{1,3}(\.\d{1,3})?$/, "must be a kernel.org version such as 6.12.91")
    .default(DEFAULT_KERNEL_VERSION)
    .describe("Linux kernel version built for the board."),
  kernelSha256: z
    .string()
    .regex(SHA256_PATTERN, "must be 64 lower-case hex digits")
    .optional()
    .describe(
      "sha256 of linux-<kernelVersion>.tar.xz, for a kernel release br-criu has no hash for (from kernel.org's sha256sums.asc).",
    ),
  kernelBaseConfig: z
    .string()
    .regex(
      /^[A-Za-z0-9_.-]+_defconfig$|^defconfig$|^tinyconfig$/,
      "must be an in-tree *_defconfig, defconfig or tinyconfig",
    )
    .optional()
    .describe(
      "Kernel base config: an in-tree *_defconfig, defconfig (arch default) or tinyconfig; the architecture's default when unset.",
    ),
  kernelFragments: z
    .array(relativePath)
    .max(32)
    .default([])
    .describe("Extra kernel config fragments, relative to the BR2_EXTERNAL tree, merged after the CRIU fragment."),
  kernelConfig: z
    .record(
      z.string(),
      z.unknown().superRefine((value, context) => {
        const parsed = parseKernelConfigValue(value);
        if ("message" in parsed)
          context.addIssue({ code: "custom", message: parsed.message, params: { fix: parsed.fix } });
      }),
    )
    .optional()
    .describe(
      "Extra kernel options merged into the board's generated fragment: SYMBOL (without CONFIG_) -> y, m, n, a number or a quoted string, e.g. pulumi config set --path 'br-criu:kernelConfig.ZRAM' y.",
    ),
  kernelDts: grammarString(DEVICE_TREE)
    .optional()
    .describe("In-tree device tree (e.g. arm/vexpress-v2p-ca9) for boards that boot with one."),
  criuEnabled: z.boolean().default(true).describe("Build CRIU into the image and configure the kernel for it."),
  criuVersion: z
    .string()
    .superRefine((version, context) => {
      if (version === CRIU_VERSION) return;
      const known = ownEntry(CRIU_RELEASES, version) !== undefined;
      context.addIssue({
        code: "custom",
        message: known
          ? `CRIU ${JSON.stringify(version)} has a recorded hash, but the BR2_EXTERNAL tree packages ${CRIU_VERSION}`
          : `CRIU ${JSON.stringify(version)} has no recorded tarball hash (Buildroot refuses downloads without one: BR2_DOWNLOAD_FORCE_CHECK_HASHES=y)`,
        params: {
          fix: `remove br-criu:criuVersion (br-criu packages ${CRIU_VERSION}); to package another release, add it with the sha256 of its tarball to CRIU_RELEASES in packages/model/src/releases.ts, set CRIU_VERSION there, then run npm run generate`,
        },
      });
    })
    .default(CRIU_VERSION)
    .describe("CRIU release packaged in the BR2_EXTERNAL tree."),
  criuFeatures: z
    .array(featureName)
    .max(FEATURE_NAMES.length, `lists more entries than there are features (${FEATURE_NAMES.length}); list each once`)
    .default([...portableFeatures])
    .describe("Optional CRIU features whose kernel options to enable (see the feature matrix of `npm run plan`)."),
  criuFeatureMode: z
    .enum(["strict", "best-effort"])
    .default("strict")
    .describe(
      "strict: a feature the architecture cannot have is an error; best-effort: it is left out with a warning.",
    ),
  criuCrit: z.boolean().default(false).describe("Install crit and pycriu (pulls in python3)."),
  criuNftables: z.boolean().default(false).describe("Build CRIU with libnftables for --network-lock nftables."),
  criuGnutls: z.boolean().default(false).describe("Build CRIU with gnutls for TLS on the page server."),
  criuLibbsd: z.boolean().default(true).describe("Build CRIU with libbsd (restored tasks keep their process titles)."),
  rootfsFormats: z
    .array(z.enum(["ext4", "cpio"]))
    .min(1)
    .default(["ext4"])
    .describe("Root filesystem images to produce: ext4 and/or cpio."),
  rootfsSize: grammarString(IMAGE_SIZE).default("256M").describe("Size of the ext4 root filesystem image."),
  rootfsPackages: z
    .array(grammarString(PACKAGE_NAME))
    .max(500)
    .default([])
    .describe("Extra Buildroot packages (by package name) installed in the root filesystem."),
  rootfsOverlay: relativePath
    .optional()
    .describe("Root filesystem overlay directory, relative to the BR2_EXTERNAL tree."),
  hostname: grammarString(HOSTNAME).default("br-criu").describe("Host name of the target."),
  reproducible: z.boolean().default(true).describe("Build with BR2_REPRODUCIBLE=y."),
  verifyReproducible: z
    .boolean()
    .default(false)
    .describe("Build twice in separate output directories and compare the image manifests."),
  downloadCache: grammarString(VOLUME_NAME)
    .default("br-criu-dl")
    .describe("Docker volume holding Buildroot's download cache, shared by all stacks."),
  ccache: z.boolean().default(true).describe("Use ccache (BR2_CCACHE) with a cache shared by all stacks."),
  ccacheCache: grammarString(VOLUME_NAME)
    .default("br-criu-ccache")
    .describe("Docker volume holding the ccache directory."),
  retainCaches: z
    .boolean()
    .default(true)
    .describe("Keep the download cache and ccache (Docker volumes, or directories in host mode) on `pulumi destroy`."),
  buildMode: z
    .enum(["docker", "host"])
    .default("docker")
    .describe(
      "docker: build in the br-criu build container; host: run the same steps on this machine (it needs Buildroot's host dependencies).",
    ),
  buildHost: grammarString(DOCKER_ENDPOINT)
    .optional()
    .describe(
      "Docker engine every docker-mode build step runs on: ssh://[user@]host[:port] or tcp://host:port (with buildHostTls); the local engine when unset. Its caches and output volume stay on that host; the images come back to the local output directory.",
    ),
  buildHostTls: grammarString(ABSOLUTE_PATH)
    .optional()
    .describe(
      "Directory with ca.pem, cert.pem and key.pem for a tcp:// build host (docker --tlsverify); needed with tcp://, refused otherwise.",
    ),
  buildBaseImage: grammarString(IMAGE_REFERENCE)
    .optional()
    .describe(
      "Base image of the build container (the Dockerfile's BASE), e.g. one made with packages/build-env/debootstrap-base.sh where no registry can be reached; the Dockerfile's pinned digest when unset.",
    ),
  buildDebianArchive: grammarString(ARCHIVE_URL)
    .optional()
    .describe(
      "Debian archive the build container installs Buildroot's host tools from (the Dockerfile's DEBIAN_ARCHIVE); the dated snapshot.debian.org archive when unset.",
    ),
  buildDebianSecurityArchive: grammarString(ARCHIVE_URL)
    .optional()
    .describe(
      "Debian security archive of the build container (the Dockerfile's DEBIAN_SECURITY_ARCHIVE); the dated snapshot when unset.",
    ),
  providers: z
    .enum(["br-criu", "pulumi"])
    .default("br-criu")
    .describe(
      "br-criu: br-criu's own provider runs every build step (in this repository, nothing to download); pulumi: @pulumi/command and @pulumi/docker run the same command lines (their plugins are downloaded).",
    ),
  workDir: grammarString(ABSOLUTE_PATH)
    .optional()
    .describe("Directory for Buildroot checkouts and per-stack output directories; ~/.cache/br-criu/build when unset."),
  bootTest: z
    .boolean()
    .default(true)
    .describe(
      "After the image is built, boot it under QEMU and run the CRIU acceptance test (criu check, dump, restore).",
    ),
  rebuild: z.boolean().default(false).describe("Force a clean build of every stage on the next `pulumi up`."),
});

/** A stack's configuration with every default applied. */
export type StackConfig = z.output<typeof stackConfigSchema>;

export const STACK_CONFIG_KEYS: readonly string[] = Object.keys(stackConfigSchema.shape).sort();
