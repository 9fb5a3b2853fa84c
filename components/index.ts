/** Pulumi program entry (Pulumi.yaml `main`): one board per stack; the stack outputs are defineStack's. */
// Pulumi's Node.js language host loads this file with ts-node, which transpiles
// every file it loads, on every preview and up, without a cache; the rest of
// the program is loaded by tsx (esbuild, cached), about a second faster.
/* eslint-disable @typescript-eslint/no-require-imports -- the loads go through tsx, registered first */
const { register } = require("tsx/cjs/api") as { register: () => void };

register();
const { defineStack } = require("./program") as typeof import("./program");

export = defineStack();
