export { run } from "./cli";
export type { CliIo } from "./project";
export { generate } from "./generate";
export * from "./stack-runs";
