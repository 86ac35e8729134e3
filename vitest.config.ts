import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // 2 cores here and in CI: more workers only thrash.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // commands log requests and runs to $LLM_HOME/llm.sqlite: never into the developer's own
    // ~/.cache from a test (tests of the log set LLM_HOME to a temp dir and clear this)
    env: { LLM_NO_LOG: '1' },
  },
})
