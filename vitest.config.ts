import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';

// GitHub's workflow parser (test/workflows.test.ts) imports its JSON schemas without import
// attributes, which Node refuses: inlined, vite transforms it and loads them. Its source maps point
// to files the package does not ship; read without them, vite does not warn once per file.
const PARSER_FILE = /[/\\]node_modules[/\\]@actions[/\\](?:workflow-parser|expressions)[/\\].*\.js$/;
const parserWithoutSourceMaps: Plugin = {
  name: 'workflow-parser-without-source-maps',
  enforce: 'pre',
  load(id) {
    return PARSER_FILE.test(id) ? readFileSync(id, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '') : null;
  },
};

export default defineConfig({
  plugins: [parserWithoutSourceMaps],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    server: { deps: { inline: ['@actions/workflow-parser', '@actions/expressions'] } },
  },
});
