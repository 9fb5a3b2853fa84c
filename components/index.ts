/** Pulumi program entry (Pulumi.yaml `main`): one board per stack; the stack outputs are defineStack's. */
import { defineStack } from "./program";

export = defineStack();
