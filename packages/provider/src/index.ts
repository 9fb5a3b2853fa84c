export { BootTest, BuildImage, Cache, Checkout, DoubleBuild, HostTools, Stage } from "./resources";
export { RESOURCE_TYPES, stageType } from "./types";
export type { RunSpec } from "./types";
