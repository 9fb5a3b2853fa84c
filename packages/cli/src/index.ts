export { run } from "./cli";
export type { CliIo } from "./project";
export { generate, EXTERNAL_TREE } from "./generate";
