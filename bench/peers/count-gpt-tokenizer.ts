// Peer for bench/tokenize-process.ts: what a user of gpt-tokenizer writes to count stdin's tokens.
import { readFileSync } from 'node:fs'
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base'

const text = process.argv[2] ?? readFileSync(0, 'utf8')
process.stdout.write(`${countTokens(text)}\n`)
