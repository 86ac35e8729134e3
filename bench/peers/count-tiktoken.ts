// Peer for bench/tokenize-process.ts: the official tiktoken (Rust core in WASM) counting stdin's tokens.
import { readFileSync } from 'node:fs'
import { get_encoding } from 'tiktoken'

const text = process.argv[2] ?? readFileSync(0, 'utf8')
const enc = get_encoding('cl100k_base')
process.stdout.write(`${enc.encode(text, [], []).length}\n`)
