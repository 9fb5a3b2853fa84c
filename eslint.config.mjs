// ESLint: the recommended rules of ESLint and typescript-eslint, with type
// information, over every TypeScript file (npm run lint; part of npm test).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", ".pulumi-state/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
  {
    files: ["tests/**/*.ts"],
    rules: {
      // node:test's test() returns a promise that its runner awaits; tests call it at the top level.
      "@typescript-eslint/no-floating-promises": "off",
      // Tests read JSON (Pulumi state, mock inputs, CLI output) as any and check it with assertions, not types.
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
);
