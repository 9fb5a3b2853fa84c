/**
 * The Pulumi resources of br-criu's provider, as the program declares them.
 * Outputs are `declare`d, not initialised: a class field would overwrite
 * what the base constructor set (ES2022 class fields).
 */
// The SDK's own modules, not its index, which also loads the Automation API (see components/internal/pulumi-sdk.ts).
import type { Input, Output } from "@pulumi/pulumi/output";
import { CustomResource, type CustomResourceOptions } from "@pulumi/pulumi/resource";
import {
  RESOURCE_TYPES,
  stageType,
  type BootTestInputs,
  type BuildImageInputs,
  type CacheInputs,
  type CheckoutInputs,
  type DoubleBuildInputs,
  type HostToolsInputs,
  type StageInputs,
} from "./types";

type Inputs<T> = { readonly [K in keyof T]: Input<T[K]> };

/** A stage's inputs; the upstream ids are outputs of the stages before it. */
type StageArgs = Omit<Inputs<StageInputs>, "upstream"> & {
  readonly upstream: Readonly<Record<string, Input<string>>>;
};

export class Checkout extends CustomResource {
  /** "buildroot <tag> <commit>" as the checkout reported it. */
  declare readonly verified: Output<string>;

  constructor(name: string, args: CheckoutInputs, opts?: CustomResourceOptions) {
    super(RESOURCE_TYPES.checkout, name, { ...args, verified: undefined, drift: undefined }, opts);
  }
}

export class Stage extends CustomResource {
  /** What the stage printed (Buildroot's `>>>` lines; the image stage's manifest). */
  declare readonly stdout: Output<string>;

  /** `type` is the stage table's (Kernel -> br-criu-build:stage:Kernel). */
  constructor(name: string, type: string, args: StageArgs, opts?: CustomResourceOptions) {
    super(stageType(type), name, { ...args, stdout: undefined, built: undefined, drift: undefined }, opts);
  }
}

export class BootTest extends CustomResource {
  /** boot-test's JSON report. */
  declare readonly stdout: Output<string>;

  constructor(name: string, args: Inputs<BootTestInputs>, opts?: CustomResourceOptions) {
    super(RESOURCE_TYPES.bootTest, name, { ...args, stdout: undefined, passed: undefined }, opts);
  }
}

export class DoubleBuild extends CustomResource {
  /** stage.sh compare-manifests' verdict. */
  declare readonly stdout: Output<string>;

  constructor(name: string, args: Inputs<DoubleBuildInputs>, opts?: CustomResourceOptions) {
    super(RESOURCE_TYPES.doubleBuild, name, { ...args, stdout: undefined }, opts);
  }
}

export class BuildImage extends CustomResource {
  declare readonly imageId: Output<string>;

  constructor(name: string, args: BuildImageInputs, opts?: CustomResourceOptions) {
    super(RESOURCE_TYPES.buildImage, name, { ...args, imageId: undefined, drift: undefined }, opts);
  }
}

/** A shared cache: a Docker volume, or a directory in host mode. */
export class Cache extends CustomResource {
  constructor(name: string, kind: "volume" | "directory", args: CacheInputs, opts?: CustomResourceOptions) {
    super(kind === "volume" ? RESOURCE_TYPES.cacheVolume : RESOURCE_TYPES.cacheDirectory, name, args, opts);
  }
}

export class HostTools extends CustomResource {
  declare readonly stdout: Output<string>;

  constructor(name: string, args: HostToolsInputs, opts?: CustomResourceOptions) {
    super(RESOURCE_TYPES.hostTools, name, { ...args, stdout: undefined }, opts);
  }
}
