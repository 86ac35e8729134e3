#!/usr/bin/env node
// Development entry point: runs src/ through tsx (no build step) and never reads the manifest,
// which describes dist/. NODE_ENV as in bin/run.js: oclif's own development mode (which maps
// dist/ to src/ through tsconfig.json) is not used, see main.js.
process.env.NODE_ENV = 'production'
const { register } = await import('tsx/esm/api')
register()
const { main } = await import('./main.js')
await main({ development: true })
