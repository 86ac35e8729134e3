import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // 2 cores here and in CI: more workers only thrash.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // commands log requests and runs to $LLM_HOME/llm.sqlite and cache tiktoken tables under
    // $LLM_HOME/cache: never into the developer's own ~/.cache from a test (the tests of those
    // features point LLM_HOME at a temp dir and clear these)
    env: { LLM_NO_LOG: '1', LLM_TOKENIZER_CACHE: '0' },
  },
})
