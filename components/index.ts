/** Pulumi program entry (Pulumi.yaml `main`): one board per stack. */
import { defineStack } from "./program";

const outputs = defineStack();

export const board = outputs.board;
export const arch = outputs.arch;
export const buildrootCommit = outputs.buildrootCommit;
export const buildrootVerified = outputs.buildrootVerified;
export const criuVersion = outputs.criuVersion;
export const kernelVersion = outputs.kernelVersion;
export const criuFeatures = outputs.criuFeatures;
export const inputsHash = outputs.inputsHash;
export const rebuildPlan = outputs.rebuildPlan;
export const imageFiles = outputs.imageFiles;
export const imageManifest = outputs.imageManifest;
export const reproducible = outputs.reproducible;
export const differingFiles = outputs.differingFiles;
export const criuCheck = outputs.criuCheck;
export const dumpRestore = outputs.dumpRestore;
export const bootTimings = outputs.bootTimings;
