export * from "./stage-table";
export * from "./stages";
export * from "./plan";
export * from "./invocation";
export * from "./manifest";
export * from "./host-tools";
export * from "./stage-steps";
export * from "./resources";
