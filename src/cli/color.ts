import chalk from 'chalk'

/** NO_COLOR (https://no-color.org) turns colour off whatever the terminal supports. */
export function applyColorEnv(): void {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') {
    chalk.level = 0
    // NO_COLOR wins over FORCE_COLOR everywhere: without this, ink's colour probe makes Node warn
    // "The 'NO_COLOR' env is ignored due to the 'FORCE_COLOR' env being set" on stderr
    delete process.env.FORCE_COLOR
  }
}

/** Colour only when the given stream is a terminal and NO_COLOR is not set. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true
  return Boolean(stream.isTTY)
}
