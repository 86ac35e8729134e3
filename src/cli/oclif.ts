/**
 * The parts of @oclif/core that commands use, from its subpath modules: the package's index also
 * loads help, ux, logger and performance code that a command run does not need (~1/4 of oclif's
 * start-up). Commands import Args, Flags, … from here.
 */
export { Command } from '@oclif/core/command'
export * as Args from '@oclif/core/args'
export * as Errors from '@oclif/core/errors'
export * as Flags from '@oclif/core/flags'
export type * as Interfaces from '@oclif/core/interfaces'
