#!/usr/bin/env node
// Production entry point: runs the compiled commands in dist/.
process.env.NODE_ENV ??= 'production' // ink: production reconciler
import { execute } from '@oclif/core'

await execute({ dir: import.meta.url })
