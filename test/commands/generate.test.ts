import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { beforeAll, expect, it } from 'vitest'
import { Tokenizer as RefTokenizer } from 'tokenizers'
import { convertStories260K, hasShared, needs, repoRoot, runCli, SCRIPT, shared, SHARED } from '../helpers.js'
import { availableDevices } from '../../src/core/runtime/ort.js'
import { overlayFolder, storiesOptimumFolder, tempDir } from '../core/model/fixtures.js'

/** `llm generate` as a user runs it (the built CLI, a real process). */
const golden = hasShared
  ? (JSON.parse(readFileSync(shared('models/stories260K/golden_greedy_200.json'), 'utf8')) as { expected_text: string; greedy_token_ids_including_bos: number[] })
  : undefined
const LLAMA16 = shared('models/ortgenai-tiny-random-llama-fp16')
const oneErrorLine = (stderr: string): string => {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '')
  expect(lines, stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^llm generate: error: /)
  return lines[0]!
}

needs(SHARED).describe('llm generate', () => {
  let stories: string
  beforeAll(() => { stories = storiesOptimumFolder() })

  it('greedy 200 tokens from "" streams llama2.c\'s text exactly to stdout', () => {
    const r = runCli(['generate', '-m', stories, '--temperature', '0', '-n', '200', ''])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(golden!.expected_text)
  })

  it('--json: one object with text, prompt_ids, generated ids, finish_reason and timings', () => {
    const r = runCli(['generate', '-m', stories, '--temperature', '0', '-n', '12', '--json', ''])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    const j = JSON.parse(lines[0]!) as Record<string, unknown> & { timings: Record<string, number> }
    expect(Object.keys(j).sort()).toEqual(['finish_reason', 'ids', 'prompt_ids', 'text', 'timings'])
    expect(j.prompt_ids).toEqual([1])
    expect(j.ids).toEqual(golden!.greedy_token_ids_including_bos.slice(1, 13))
    expect(j.finish_reason).toBe('length')
    expect(golden!.expected_text.startsWith(j.text as string)).toBe(true)
    expect(Object.keys(j.timings).sort()).toEqual(['decode_ms', 'decode_tokens_per_second', 'load_ms', 'prefill_ms', 'prefill_tokens_per_second'])
    for (const v of Object.values(j.timings)) expect(v).toBeGreaterThan(0)
  })

  it('reads stdin first, then the argument (joined by a newline)', () => {
    const r = runCli(['generate', '-m', stories, '--temperature', '0', '-n', '20', '--json', 'a time,'], { input: 'Once upon' })
    const whole = runCli(['generate', '-m', stories, '--temperature', '0', '-n', '20', '--json', 'Once upon\na time,'])
    const j = JSON.parse(r.stdout) as { text: string; prompt_ids: number[] }
    expect(j.prompt_ids.length).toBeGreaterThan(4)
    expect(JSON.parse(whole.stdout)).toMatchObject({ prompt_ids: j.prompt_ids, text: j.text })
  })

  it('several --stop flags, with \\n read as a newline; the stop text is not printed', () => {
    const r = runCli(['generate', '-m', stories, '--temperature', '0', '-n', '200', '--stop', 'NOPE', '--stop', '\\n', ''])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(golden!.expected_text.slice(0, golden!.expected_text.indexOf('\n')))
  })

  it('--system renders the chat template; prompt ids equal the official tokenizers on the rendered text', async () => {
    const r = runCli(['generate', '-m', LLAMA16, '--system', 'Be brief.', '--temperature', '0', '-n', '3', '--json', 'Hi there'])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as { prompt_ids: number[]; ids: number[] }
    const ref = RefTokenizer.fromFile(join(LLAMA16, 'tokenizer.json'))
    const enc = await ref.encode('<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi there [/INST]', null, { addSpecialTokens: false })
    expect(j.prompt_ids).toEqual(enc.getIds())
    expect(j.ids).toHaveLength(3)
  })

  it('errors are one line with a non-zero exit: missing folder, corrupt ONNX, unknown/unavailable device, prompt over context, bad flag', () => {
    const missing = runCli(['generate', '-m', join(tempDir(), 'nope'), 'x'])
    expect(missing.code).toBe(1)
    expect(oneErrorLine(missing.stderr)).toMatch(/no such model folder/)

    const corrupt = overlayFolder('ortgenai-tiny-random-gpt2-fp32', { 'past.onnx': 'not an onnx file' })
    const c = runCli(['generate', '-m', corrupt, 'x'])
    expect(c.code).toBe(1)
    expect(oneErrorLine(c.stderr)).toMatch(/past\.onnx: cannot load ONNX model/)

    const dev = runCli(['generate', '-m', stories, '--device', 'tpu', 'x'])
    expect(dev.code).toBe(2)
    expect(oneErrorLine(dev.stderr)).toMatch(/--device: unknown device 'tpu' \(hint: valid devices: cpu/)

    if (!availableDevices().includes('cuda')) {
      // no CUDA provider library: one line from us, no native onnxruntime log lines
      const cuda = runCli(['generate', '-m', stories, '--device', 'cuda', 'x'])
      expect(cuda.code).toBe(1)
      expect(oneErrorLine(cuda.stderr)).toMatch(/cannot load ONNX model on cuda: .*\(hint: the CUDA provider is not installed/)
    }

    const long = runCli(['generate', '-m', stories, '-n', '4', 'x'.repeat(700)])
    expect(long.code).toBe(2)
    expect(oneErrorLine(long.stderr)).toMatch(/the prompt is \d+ tokens but the model's context is 512 \(hint: .*--on-overflow truncate/)
    expect(long.stdout).toBe('')

    const bad = runCli(['generate', '-m', stories, '--top-p', '2', 'x'])
    expect(bad.code).toBe(2)
    expect(oneErrorLine(bad.stderr)).toMatch(/--top-p: expected a number in \(0, 1\], got '2'/)

    const noTemplate = runCli(['generate', '-m', stories, '--chat', 'x'])
    expect(noTemplate.code).toBe(2)
    expect(oneErrorLine(noTemplate.stderr)).toMatch(/no chat template/)
  })

  it('without -m, LLM_MODEL picks the model; a bad LLM_MODEL is named', () => {
    const r = runCli(['generate', '--temperature', '0', '-n', '5', ''], { env: { LLM_MODEL: stories } })
    expect(r.stdout).toBe(golden!.expected_text.slice(0, r.stdout.length))
    expect(r.stdout.length).toBeGreaterThan(10)
    const bad = runCli(['generate', 'x'], { env: { LLM_MODEL: '/no/such/model', LLM_HOME: tempDir() } })
    expect(bad.code).toBe(1)
    expect(oneErrorLine(bad.stderr)).toMatch(/LLM_MODEL=\/no\/such\/model: no such model folder/)
  })
})

// A terminal on stdin needs a pseudo-terminal: util-linux `script` provides one where installed.
needs(SCRIPT).describe('llm generate with a terminal on stdin', () => {
  it('prints usage and exits 2 when no prompt is given', () => {
    const r = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} bin/run.js generate -m /nonexistent`, '/dev/null'], {
      cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', NO_COLOR: '1' }, timeout: 60_000,
    })
    expect(r.status).toBe(2)
    expect(r.stdout).toMatch(/usage: llm generate \[PROMPT\]/)
  })
})

// The end-to-end path a user takes: `llm convert` the llama2.c checkpoint, then generate.
needs(SHARED).describe('llm convert → llm generate (stories260K)', () => {
  it('reproduces golden_greedy_200.json token for token and char for char; matches transformers.js greedy', async () => {
    const out = join(tempDir(), 'stories260K')
    convertStories260K(out)
    const text = runCli(['generate', '-m', out, '--temperature', '0', '-n', '200', ''])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toBe(golden!.expected_text)
    const j = JSON.parse(runCli(['generate', '-m', out, '--temperature', '0', '-n', '200', '--json', '']).stdout) as { prompt_ids: number[]; ids: number[] }
    expect([...j.prompt_ids, ...j.ids]).toEqual(golden!.greedy_token_ids_including_bos)

    // transformers.js on the same folder: same prompt ids, same greedy continuation.
    const prompt = 'The little dog found a red ball in the garden.'
    const ours = JSON.parse(runCli(['generate', '-m', out, '--temperature', '0', '-n', '40', '--json', prompt]).stdout) as { prompt_ids: number[]; ids: number[] }
    const theirs = await transformersGreedy(out, prompt, 40)
    expect(ours.prompt_ids).toEqual(theirs.promptIds)
    expect(ours.ids).toEqual(theirs.ids)
  })
})

async function transformersGreedy(dir: string, prompt: string, n: number): Promise<{ promptIds: number[]; ids: number[] }> {
  const tjs = await import('@huggingface/transformers')
  tjs.env.allowRemoteModels = false
  tjs.env.localModelPath = dirname(dir) + '/'
  const tokenizer = await tjs.AutoTokenizer.from_pretrained(basename(dir), { local_files_only: true })
  const model = await tjs.AutoModelForCausalLM.from_pretrained(basename(dir), { dtype: 'fp32', device: 'cpu', local_files_only: true })
  try {
    const inputs = tokenizer(prompt) as { input_ids: { data: BigInt64Array; dims: number[] } }
    const promptIds = Array.from(inputs.input_ids.data, Number)
    const out = (await model.generate({ ...inputs, max_new_tokens: n, do_sample: false })) as { data: BigInt64Array }
    return { promptIds, ids: Array.from(out.data, Number).slice(promptIds.length) }
  } finally {
    await model.dispose()
  }
}
