export * from "./config-file";
export * from "./compare";
export * from "./expr";
export * from "./kconfig-lang";
