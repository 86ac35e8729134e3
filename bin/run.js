#!/usr/bin/env node
// Production entry point: runs the compiled commands in dist/.
// Always production: oclif treats NODE_ENV=development|test as "look for TypeScript sources" and
// warns on stderr for every command, and ink/React pick their production builds from it. A user's
// NODE_ENV (often 'development' in dev shells) is for their app, not for this CLI.
process.env.NODE_ENV = 'production'
const { main } = await import('./main.js')
await main()
