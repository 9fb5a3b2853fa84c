/**
 * The parts of @pulumi/pulumi the program uses, imported from the SDK's own
 * modules. The package's index also loads the Automation API, and the index
 * of its runtime directory loads closure serialization with npm's arborist;
 * the language host itself loads neither. Measured on the pinned 3.248.0
 * inside a real preview: 1.28 s of module loading before the program's first
 * resource with them, 0.48 s without. The program runs twice per `pulumi up`
 * (preview, then update); a no-op up took about a second less.
 */
import { allConfig } from "@pulumi/pulumi/runtime/config";
import { isDryRun } from "@pulumi/pulumi/runtime/settings";

export { RunError } from "@pulumi/pulumi/errors";
export * as log from "@pulumi/pulumi/log";
export { getStack } from "@pulumi/pulumi/metadata";
export type { Input } from "@pulumi/pulumi/output";
export { Output } from "@pulumi/pulumi/output";
export {
  ComponentResource,
  CustomResource,
  Resource,
  type ComponentResourceOptions,
  type CustomResourceOptions,
} from "@pulumi/pulumi/resource";
/** `runtime.<name>` as in the SDK's namespace, from the two modules that define these. */
export const runtime = { allConfig, isDryRun };
