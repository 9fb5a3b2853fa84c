/** Pulumi program entry (Pulumi.yaml `main`): one board per stack; the stack outputs are defineStack's. */
// Pulumi's Node.js language host loads this file with ts-node, which transpiles
// every file it loads, on every preview and up, without a cache; the rest of
// the program is loaded by tsx (esbuild, cached), about a second faster.
/* eslint-disable @typescript-eslint/no-require-imports -- the loads go through tsx, registered first */
// Loaded before tsx's require hook, which reads and scans for ESM syntax every
// CommonJS file loaded after it, node_modules included: that about doubles
// the load time of zod 4's many files. Later requires hit Node's cache.
for (const name of ["zod", "yaml"]) require(name);
const { register } = require("tsx/cjs/api") as { register: () => void };

register();
const { defineStack } = require("./program") as typeof import("./program");

export = defineStack();
