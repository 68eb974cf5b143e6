// Lint: the recommended JS and typescript-eslint rules; `any` is an error at every boundary.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules", "dist", ".shipyard", ".scratch", "web/dist", "coverage", "src/deployments/connect/gen"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Tests read loosely typed JSON bodies from the API.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["bin/**/*.js", "src/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // The project templates: pages run in a browser, their scripts in Node.
    files: ["templates/**/*.{js,mjs,jsx}"],
    languageOptions: {
      parserOptions: { ecmaFeatures: { jsx: true } },
      globals: { process: "readonly", console: "readonly", document: "readonly", window: "readonly", performance: "readonly", requestAnimationFrame: "readonly" },
    },
  },
);
