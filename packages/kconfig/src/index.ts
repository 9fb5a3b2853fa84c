export * from "./config-file";
export * from "./compare";
