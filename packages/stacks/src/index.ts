export * from "./project-file";
export * from "./stack-file";
export * from "./config-reader";
export * from "./configuration-doc";
