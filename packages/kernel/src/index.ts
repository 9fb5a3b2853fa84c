export * from "./analyze";
export * from "./report";
export * from "./source";
export * from "./verify";
export * from "./test-kernel";
