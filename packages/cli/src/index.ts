export { run, type CliIo } from "./cli";
export { generate, EXTERNAL_TREE } from "./generate";
