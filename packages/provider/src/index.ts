export { BootTest, BuildImage, Cache, Checkout, DoubleBuild, HostTools, Stage } from "./resources";
export { PROVIDER_PACKAGE, RESOURCE_TYPES, stageType } from "./types";
export type { RunSpec } from "./types";
