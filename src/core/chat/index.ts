/**
 * Chat, without the terminal UI: the conversation (ChatSession), how it becomes a prompt,
 * slash commands, the saved-conversation format and plain (non-TTY) mode.
 */
export { ChatSession, type ChatEngine, type ChatSettings, type TurnResult } from './session.js'
export { buildChatPrompt, TRANSCRIPT_STOP, type ChatPrompt } from './prompt.js'
export { parseSlash, unescapeSlash, SLASH_HELP, type SlashCommand } from './slash.js'
export { saveTranscript, loadTranscript, parseMessages, type ChatFile } from './transcript.js'
export { runPlainChat, escapeLine, unescapeLine, type PlainChatOptions } from './plain.js'
