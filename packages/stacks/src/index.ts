export * from "./project-file";
export * from "./stack-file";
export * from "./config-reader";
