/**
 * The one table of a board's Buildroot stages: what each is called, its
 * resource type, which defconfig sections and other inputs it depends on,
 * which stages' re-runs re-run it, what it runs (make targets and br-criu's
 * checks) and what it leaves in the output directory. The stage inputs, the
 * planner's rebuild rules, the command lines, the double build and the
 * Pulumi wiring are all read from here.
 */
import type { DefconfigSection } from "@br-criu/generators";

export const STAGE_NAMES = ["toolchain", "config", "kernel", "rootfs", "image"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Stands for the board's defconfig target (e.g. qemu_x86_64_criu_defconfig) in a step's make targets. */
export const DEFCONFIG_TARGET = "<defconfig>";

/** One thing a stage runs, in order; the first failing step fails the stage. */
export type StageStep =
  /** Empties the output directory: Buildroot cannot change a toolchain in place. */
  | { readonly run: "clean-output" }
  /** make in the Buildroot tree, logged to the stage's log file, streaming Buildroot's `>>>` lines. */
  | { readonly run: "make"; readonly targets: readonly string[] }
  /** br-criu's check that Buildroot's Kconfig kept every generated BR2_ option. */
  | { readonly run: "check-buildroot-config" }
  /** br-criu's check of the configured kernel tree against every requested CRIU option. */
  | { readonly run: "check-kernel" }
  /** sha256 of every file in images/, written to images/manifest.sha256 and printed. */
  | { readonly run: "image-manifest" }
  /** The build record the next plan compares against (only after everything before it succeeded). */
  | { readonly run: "build-record" }
  /**
   * A remote build host only: copies what later steps, the boot test and
   * refresh read from the output volume there to the stack's local output
   * directory (the paths, or with `kconfig` only the kernel tree's .config,
   * Makefile and Kconfig files). Dropped for local builds.
   */
  | {
      readonly run: "fetch";
      readonly paths: (context: Pick<ProductContext, "kernelVersion">) => readonly string[];
      readonly kconfig?: true;
    };

/** What a stage's inputs are made of, besides defconfig sections. */
export type StageInputSource =
  /** The pinned Buildroot release and how it runs (docker or host). */
  | "buildroot"
  /** Every option of every kernel fragment, in merge order. */
  | "kernel-options"
  /** The BR2_EXTERNAL package files (the CRIU recipe). */
  | "package-files"
  /** The rootfs overlays' files. */
  | "overlay-files"
  /** The generated start-qemu.sh. */
  | "start-qemu";

/** Something a stage leaves in the output directory; `pulumi refresh` checks it is still there, unchanged. */
export type StageProduct =
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "file"; readonly path: string }
  /** Every file below the directory. */
  | { readonly kind: "files"; readonly path: string };

/** What the table needs of a board to name a stage's products. */
export interface ProductContext {
  readonly kernelVersion: string;
  /** The kernel's boot image inside its build tree, e.g. arch/x86/boot/bzImage. */
  readonly kernelBuildImage: string;
}

export interface StageSpec {
  /** Resource type of the stage (the last part of its type token). */
  readonly type: string;
  /** What it does, for previews and docs. */
  readonly summary: string;
  /** Defconfig sections whose options are its inputs ("all": the whole defconfig). */
  readonly sections: readonly DefconfigSection[] | "all";
  readonly inputSources: readonly StageInputSource[];
  /** Stages whose re-run re-runs this one (Buildroot rebuilds from their output). */
  readonly upstream: readonly StageName[];
  /**
   * Stages that must have run first, without a re-run of theirs re-running
   * this one. Every two stages are ordered one way or the other: two makes
   * in one Buildroot output directory at once would corrupt it.
   */
  readonly after: readonly StageName[];
  readonly steps: readonly StageStep[];
  readonly products: (context: ProductContext) => readonly StageProduct[];
  /** Its delete empties and removes the output directory (the first stage owns it). */
  readonly ownsOutput: boolean;
}

const make = (...targets: string[]): StageStep => ({ run: "make", targets });

export const STAGE_TABLE: Readonly<Record<StageName, StageSpec>> = {
  toolchain: {
    type: "Toolchain",
    summary: "a clean output directory, the defconfig, and the toolchain",
    // Architecture, toolchain and global build switches: a change needs a clean build.
    sections: ["Architecture", "Toolchain", "Build"],
    inputSources: ["buildroot"],
    upstream: [],
    after: [],
    steps: [{ run: "clean-output" }, make(DEFCONFIG_TARGET), make("toolchain")],
    products: () => [{ kind: "directory", path: "host" }],
    ownsOutput: true,
  },
  config: {
    type: "BuildrootConfig",
    summary: "the generated defconfig, checked: Buildroot's Kconfig must keep every generated option",
    sections: "all",
    inputSources: [],
    upstream: ["toolchain"],
    after: [],
    steps: [make(DEFCONFIG_TARGET), { run: "fetch", paths: () => [".config"] }, { run: "check-buildroot-config" }],
    products: () => [{ kind: "file", path: ".config" }],
    ownsOutput: false,
  },
  kernel: {
    type: "Kernel",
    summary: "the kernel, configured with the CRIU fragment and checked before it is built",
    sections: ["Kernel"],
    inputSources: ["kernel-options"],
    upstream: ["toolchain"],
    after: ["config"],
    steps: [
      make("linux-reconfigure"),
      { run: "fetch", paths: ({ kernelVersion }) => [`build/linux-${kernelVersion}`], kconfig: true },
      { run: "check-kernel" },
      make("linux-rebuild"),
    ],
    products: ({ kernelVersion, kernelBuildImage }) => [
      { kind: "file", path: `build/linux-${kernelVersion}/.config` },
      { kind: "file", path: `build/linux-${kernelVersion}/${kernelBuildImage}` },
    ],
    ownsOutput: false,
  },
  rootfs: {
    type: "Rootfs",
    summary: "every package (CRIU included) into the target directory",
    sections: ["System", "Packages"],
    inputSources: ["package-files", "overlay-files"],
    upstream: ["toolchain"],
    // After the kernel: Buildroot installs its modules into the target directory.
    after: ["config", "kernel"],
    steps: [make("target-finalize")],
    products: () => [{ kind: "directory", path: "target" }],
    ownsOutput: false,
  },
  image: {
    type: "Image",
    summary: "the images, their manifest, then the build record",
    sections: ["Filesystem images"],
    inputSources: ["start-qemu"],
    upstream: ["kernel", "rootfs"],
    after: ["config"],
    steps: [make(), { run: "image-manifest" }, { run: "fetch", paths: () => ["images"] }, { run: "build-record" }],
    products: () => [{ kind: "files", path: "images" }],
    ownsOutput: false,
  },
};

/** Stages that re-run when `stage` re-runs, directly or through others, in table order. */
export function downstreamOf(stage: StageName): StageName[] {
  const found = new Set<StageName>();
  const visit = (from: StageName) => {
    for (const name of STAGE_NAMES) {
      if (!found.has(name) && STAGE_TABLE[name].upstream.includes(from)) {
        found.add(name);
        visit(name);
      }
    }
  };
  visit(stage);
  return STAGE_NAMES.filter((name) => found.has(name));
}

/** Steps that run in the Buildroot environment (the container or stage.sh on the host), not br-criu's own. */
export function isBuildStep(step: StageStep): boolean {
  return step.run === "clean-output" || step.run === "make" || step.run === "image-manifest" || step.run === "fetch";
}

/**
 * What of a stage's products the stack's local output directory holds:
 * all of them for a local build; for a remote one, those its fetch steps
 * copy back (refresh can only check what is here).
 */
export function localProducts(spec: StageSpec, context: ProductContext, remote: boolean): readonly StageProduct[] {
  const products = spec.products(context);
  if (!remote) return products;
  const fetched = spec.steps.flatMap((step) =>
    step.run === "fetch" ? step.paths(context).map((path) => ({ path, kconfig: step.kconfig === true })) : [],
  );
  return products.filter((product) =>
    fetched.some(({ path, kconfig }) =>
      kconfig ? product.path === `${path}/.config` : product.path === path || product.path.startsWith(`${path}/`),
    ),
  );
}
