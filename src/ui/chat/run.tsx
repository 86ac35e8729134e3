import { render } from 'ink'
import type { ChatSession } from '../../core/chat/session.js'
import { ChatApp } from './ChatApp.js'

/**
 * Run the interactive chat until the user leaves. This module imports ink and React: load it
 * with `await import()` only when stdin and stdout are terminals (ink costs ~0.4 s to import).
 */
export async function runInkChat(session: ChatSession, modelName: string): Promise<void> {
  const app = render(<ChatApp session={session} modelName={modelName} />, {
    exitOnCtrlC: false, // Ctrl+C stops an answer first; ChatApp exits on it only when idle
    kittyKeyboard: { mode: 'auto' }, // Shift+Enter is distinguishable only with the kitty protocol
  })
  await app.waitUntilExit()
}
