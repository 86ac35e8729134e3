import { EventEmitter } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { render as inkRender } from 'ink'
import { render } from 'ink-testing-library'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalGenerator } from '../../../src/core/generate/index.js'
import { ChatSession } from '../../../src/core/chat/session.js'
import { emptyEditor } from '../../../src/ui/chat/editor.js'
import { ChatApp } from '../../../src/ui/chat/ChatApp.js'
import { ChatView } from '../../../src/ui/chat/ChatView.js'
import { hasShared } from '../../helpers.js'
import { storiesOptimumFolder } from '../../core/model/fixtures.js'

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms))

async function waitFor(frame: () => string | undefined, pred: (f: string) => boolean, ms = 20_000): Promise<string> {
  const end = Date.now() + ms
  for (;;) {
    const f = frame() ?? ''
    if (pred(f)) return f
    if (Date.now() > end) throw new Error(`timed out; last frame:\n${f}`)
    await tick(20)
  }
}

/** type text one key at a time, as a terminal delivers it */
async function type(stdin: { write(s: string): void }, text: string): Promise<void> {
  for (const ch of text) {
    stdin.write(ch)
    await tick(5)
  }
}

describe('ChatView (rendered with ink-testing-library, 100 columns)', () => {
  const status = { model: 'tiny', busy: false, turns: 1, tokensPerSecond: 12.5, contextUsed: 40, contextMax: 512 }

  it('shows the transcript, the input box with its cursor, and the status line', () => {
    const editor = { ...emptyEditor(), text: 'line one\nline two', cursor: 4 }
    const { lastFrame } = render(
      <ChatView items={[{ id: 1, kind: 'user', text: 'Hi' }, { id: 2, kind: 'assistant', text: 'Hello!', note: 'length limit' }]} editor={editor} status={status} width={100} rows={24} />,
    )
    const f = lastFrame()!
    expect(f).toContain('› Hi')
    expect(f).toContain('Hello!\n[length limit]')
    expect(f).toMatch(/│ › line one +│\n│ {3}line two +│/)
    expect(f).toMatch(/tiny · 12\.5 tok\/s · ctx 40\/512 \(8%\) · 1 turn +Enter send/)
  })

  it('shows only the last lines of a long streaming answer, saying how many are above', () => {
    const long = Array.from({ length: 40 }, (_, i) => `row ${i}`).join('\n')
    const { lastFrame } = render(<ChatView items={[]} streaming={long} editor={emptyEditor()} status={{ ...status, busy: true }} width={100} rows={12} />)
    const f = lastFrame()!
    // 12 rows - 3 input rows - 4 = 5 answer rows
    expect(f).toContain('… 35 more lines above\nrow 35\nrow 36\nrow 37\nrow 38\nrow 39')
    expect(f).not.toContain('row 34')
    expect(f).toContain('Ctrl+C stop')
  })
})

describe.skipIf(!hasShared)('ChatApp with a real model (stories260K, greedy)', () => {
  let gen: LocalGenerator
  let dir: string
  beforeAll(async () => {
    gen = await LocalGenerator.open(storiesOptimumFolder())
    dir = mkdtempSync(join(tmpdir(), 'llm-chatapp-'))
  })
  afterAll(async () => {
    await gen.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('sends on Enter, streams the answer, updates the status line; slash commands work', async () => {
    const session = new ChatSession(gen, { maxTokens: 20, sampling: { temperature: 0 } })
    const expected = (await gen.generate('User: Once upon a time\nAssistant:', { maxTokens: 20, sampling: { temperature: 0 }, stop: ['\nUser:'] })).text.trim()
    const { lastFrame, stdin, unmount } = render(<ChatApp session={session} modelName="stories" />)
    await tick()
    expect(lastFrame()).toContain('chat with stories — /help for commands')
    expect(lastFrame()).toMatch(/stories · 0 turns/)

    await type(stdin, 'Once upon a time')
    expect(lastFrame()).toContain('› Once upon a time')
    stdin.write('\r')
    let f = await waitFor(lastFrame, (x) => /1 turn/.test(x) && /tok\/s/.test(x))
    expect(f).toContain(expected.split('\n')[0])
    expect(f).toMatch(/stories · \d+\.\d tok\/s · ctx \d+\/512 \(\d+%\) · 1 turn/)
    expect(session.messages).toEqual([{ role: 'user', content: 'Once upon a time' }, { role: 'assistant', content: expected }])

    // ↑ recalls the last input into the box (cleared again with Ctrl+U)
    stdin.write('\u001B[A')
    await tick()
    expect(lastFrame()).toMatch(/│ › Once upon a time/)
    stdin.write('\u0015')
    await tick()

    // a trailing backslash continues the input on a new line instead of sending
    await type(stdin, 'first\\')
    stdin.write('\r')
    await type(stdin, 'second')
    expect(lastFrame()).toMatch(/│ › first +│\n│ {3}second/)
    expect(session.turns).toBe(1)
    stdin.write('\u0015') // Ctrl+U clears "second", backspace joins the lines, Ctrl+U clears "first"
    await tick()
    stdin.write('\u007f')
    await tick()
    stdin.write('\u0015')
    await tick()

    const file = join(dir, 'saved.json')
    await type(stdin, `/save ${file}`)
    stdin.write('\r')
    f = await waitFor(lastFrame, (x) => x.includes('saved 2 messages'))
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 'llm-chat', messages: session.messages })

    await type(stdin, '/bogus')
    stdin.write('\r')
    await waitFor(lastFrame, (x) => x.includes('unknown command /bogus (try /help)'))

    await type(stdin, '/clear')
    stdin.write('\r')
    f = await waitFor(lastFrame, (x) => x.includes('— conversation cleared —'))
    expect(f).toMatch(/stories · 0 turns/)
    expect(session.messages).toEqual([])

    await type(stdin, `/load ${file}`)
    stdin.write('\r')
    await waitFor(lastFrame, (x) => x.includes(`loaded 2 messages from ${file}`))
    expect(session.turns).toBe(1)
    unmount()
    expect(existsSync(file)).toBe(true)
  })

  it('renders without raw mode when stdin is not a terminal (useInput stays inactive)', async () => {
    const session = new ChatSession(gen, { maxTokens: 5 })
    const stdin = Object.assign(new EventEmitter(), { isTTY: false, setEncoding() {}, resume() {}, pause() {}, ref() {}, unref() {}, read: () => null, setRawMode: () => { throw new Error('Raw mode is not supported') } })
    let out = ''
    const stdout = Object.assign(new EventEmitter(), { columns: 80, rows: 24, isTTY: false, write: (s: string) => { out = s; return true } })
    const app = inkRender(<ChatApp session={session} modelName="stories" />, { stdin: stdin as unknown as NodeJS.ReadStream, stdout: stdout as unknown as NodeJS.WriteStream, debug: true, patchConsole: false, exitOnCtrlC: false })
    await tick()
    expect(out).toContain('chat with stories')
    expect(out).not.toMatch(/raw mode/i)
    app.unmount()
  })
})
