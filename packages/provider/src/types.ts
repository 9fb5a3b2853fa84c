/**
 * The resources of br-criu's provider: one type token per kind of build
 * unit, and the inputs each takes. The Pulumi classes (resources.ts) and the
 * provider's handlers (kinds/) both read them from here.
 */
import { PROVIDER_PLUGIN } from "@br-criu/generators";
import type { DockerEndpoint, StageCommands, StageProduct } from "@br-criu/planner";

/** The provider's package name: its type tokens start with it, its plugin is pulumi-resource-<name>. */
const PROVIDER_PACKAGE = PROVIDER_PLUGIN.name;
/** Reported to the engine (GetPluginInfo); the provider ships with the repository. */
export const PROVIDER_VERSION = "0.1.0";

/** Type tokens by kind. Stage tokens carry the stage table's type (br-criu-build:stage:Kernel). */
export const RESOURCE_TYPES = {
  checkout: `${PROVIDER_PACKAGE}:buildroot:Checkout`,
  buildImage: `${PROVIDER_PACKAGE}:docker:BuildImage`,
  cacheVolume: `${PROVIDER_PACKAGE}:docker:CacheVolume`,
  cacheDirectory: `${PROVIDER_PACKAGE}:host:CacheDirectory`,
  hostTools: `${PROVIDER_PACKAGE}:host:HostTools`,
  bootTest: `${PROVIDER_PACKAGE}:test:BootTest`,
  doubleBuild: `${PROVIDER_PACKAGE}:test:DoubleBuild`,
} as const;

export const STAGE_TYPE_PREFIX = `${PROVIDER_PACKAGE}:stage:`;

export const stageType = (type: string) => `${STAGE_TYPE_PREFIX}${type}`;

/** Shell command lines and where they run; what every resource that runs something takes. */
export interface RunSpec {
  /** Working directory (the repository root). */
  readonly dir: string;
  readonly commands: StageCommands;
  /** The remote build host the commands run on: watched while they run. */
  readonly buildHost?: DockerEndpoint;
}

export interface CheckoutInputs {
  readonly url: string;
  readonly tag: string;
  readonly commit: string;
  readonly path: string;
  readonly run: RunSpec;
}

export interface StageInputs {
  readonly stack: string;
  /** Stage name from the stage table. */
  readonly stage: string;
  /** Exactly the stage's inputs (option or file -> value): a change re-runs it. */
  readonly options: Readonly<Record<string, string>>;
  /** Upstream stage -> its resource id: an upstream re-run re-runs this stage. */
  readonly upstream: Readonly<Record<string, string>>;
  readonly run: RunSpec;
  readonly outputDir: string;
  /** What the stage leaves below outputDir; refresh checks it. */
  readonly products: readonly StageProduct[];
  /** The stage's make log, named in failures. */
  readonly log: string;
}

export interface BootTestInputs {
  readonly stack: string;
  /** The image stage's id: a new image re-runs the test. */
  readonly image: string;
  readonly imagesDir: string;
  readonly run: RunSpec;
}

export interface DoubleBuildInputs {
  readonly stack: string;
  readonly image: string;
  readonly run: RunSpec;
}

export interface BuildImageInputs {
  readonly tag: string;
  readonly context: string;
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** The build host (br-criu:buildHost); the local engine when absent. */
  readonly endpoint?: DockerEndpoint;
}

export interface CacheInputs {
  /** Volume name or directory path. */
  readonly name: string;
  /** The stack key that names it, for messages. */
  readonly stackKey: string;
  /** The build host of a cache volume; the local engine when absent. */
  readonly endpoint?: DockerEndpoint;
}

export interface HostToolsInputs {
  readonly script: string;
  readonly dir: string;
}
