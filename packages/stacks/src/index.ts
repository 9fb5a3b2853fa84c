export * from "./project-file";
export * from "./stack-file";
