import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultModelDir, readModelFolder, renderChatTemplate, resolveModel } from '../../../src/core/model/index.js'
import { needs, SHARED, shared } from '../../helpers.js'
import { storiesOptimumFolder, tempDir } from './fixtures.js'

describe('resolveModel', () => {
  it('a path wins; then a store name under $LLM_HOME/models/OWNER--NAME; then LLM_MODEL', () => {
    const home = tempDir()
    const stored = join(home, 'models', 'alice--tiny')
    mkdirSync(stored, { recursive: true })
    const local = tempDir()
    const env = { LLM_HOME: home }
    expect(resolveModel(local, env)).toEqual({ dir: local, via: 'path' })
    expect(resolveModel('alice/tiny', env)).toEqual({ dir: stored, via: 'store' })
    expect(resolveModel('tiny', env)).toEqual({ dir: stored, via: 'store' }) // unique bare name
    expect(resolveModel(undefined, { ...env, LLM_MODEL: 'alice/tiny' })).toEqual({ dir: stored, via: 'env' })
    expect(() => resolveModel('bob/none', env)).toThrow(/no such model folder, and no model 'bob\/none' in the store/)
  })

  it('a file is not a model folder', () => {
    const f = join(tempDir(), 'model.onnx')
    writeFileSync(f, 'x')
    expect(() => resolveModel(f, {})).toThrow(/not a model folder/)
  })

  it('with nothing given: the bundled default (models/default, committed)', () => {
    expect(existsSync(join(defaultModelDir(), 'config.json'))).toBe(true)
    expect(resolveModel(undefined, {})).toEqual({ dir: defaultModelDir(), via: 'default' })
    expect(defaultModelDir()).toMatch(/models[/\\]default$/)
  })
})

describe('readModelFolder', () => {
  needs(SHARED).it('Optimum layout: onnx/model.onnx, eos array from generation_config.json, context from config.json', () => {
    const dir = storiesOptimumFolder({ generationConfig: { eos_token_id: [2, 7], do_sample: true, temperature: 0.6, top_p: 0.9 } })
    const f = readModelFolder(dir)
    expect(f).toMatchObject({ layout: 'optimum', onnxFile: join(dir, 'onnx/model.onnx'), eosTokenIds: [2, 7], contextLength: 512, vocabSize: 512, numKvHeads: 4, headDim: 8 })
    expect(f.generation).toMatchObject({ doSample: true, temperature: 0.6, topP: 0.9 })
  })

  it('decoder_model_merged.onnx is found when model.onnx is absent; no ONNX at all is a clear error', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'config.json'), '{"eos_token_id": 5, "max_position_embeddings": 64}')
    expect(() => readModelFolder(dir)).toThrow(/no ONNX model and no safetensors weights in this folder/)
    mkdirSync(join(dir, 'onnx'))
    writeFileSync(join(dir, 'onnx/decoder_model_merged.onnx'), '')
    expect(readModelFolder(dir)).toMatchObject({ onnxFile: join(dir, 'onnx/decoder_model_merged.onnx'), eosTokenIds: [5], contextLength: 64 })
  })

  it('broken JSON names the file', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'config.json'), '{"vocab_size": 12,')
    expect(() => readModelFolder(dir)).toThrow(/not valid JSON/)
  })

  needs(SHARED).it('genai layout: decoder file and name templates from genai_config.json; its eos ids are not trusted', () => {
    const gpt2 = readModelFolder(shared('models/ortgenai-tiny-random-gpt2-fp32'))
    expect(gpt2).toMatchObject({ layout: 'genai', contextLength: 512, eosTokenIds: undefined })
    expect(gpt2.onnxFile).toMatch(/past\.onnx$/)
    expect(gpt2.hints).toMatchObject({ past: 'past_%d', present: 'present_%d' })
    const llama = readModelFolder(shared('models/ortgenai-tiny-random-llama-fp16'))
    expect(llama).toMatchObject({ layout: 'genai', contextLength: 2048, eosToken: '</s>', bosToken: '<s>', headDim: 16 })
    expect(llama.hints).toMatchObject({ pastKey: 'past_key_values.%d.key', presentValue: 'present.%d.value' })
    expect(llama.chatTemplate).toContain('[INST]')
  })

  it('chat template: a named list picks "default"; chat_template.jinja is read when tokenizer_config has none', () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'onnx'))
    writeFileSync(join(dir, 'onnx/model.onnx'), '')
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D' }], eos_token: { content: '<|im_end|>' } }))
    expect(readModelFolder(dir)).toMatchObject({ chatTemplate: 'D', eosToken: '<|im_end|>' })
    writeFileSync(join(dir, 'tokenizer_config.json'), '{}')
    writeFileSync(join(dir, 'chat_template.jinja'), 'J')
    expect(readModelFolder(dir).chatTemplate).toBe('J')
  })
})

describe('renderChatTemplate', () => {
  // ChatML as Qwen2 / SmolLM2 ship it (expected output written out by hand from the template).
  const chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

  it('renders messages and the generation prompt', () => {
    const msgs = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]
    expect(renderChatTemplate(chatml, msgs)).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n')
    expect(renderChatTemplate(chatml, msgs, { addGenerationPrompt: false })).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n')
  })

  it('raise_exception in a template becomes a one-line error', () => {
    const strict = "{% if messages[0]['role'] != 'user' %}{{ raise_exception('first message must be from the user') }}{% endif %}ok"
    expect(renderChatTemplate(strict, [{ role: 'user', content: 'x' }])).toBe('ok')
    expect(() => renderChatTemplate(strict, [{ role: 'assistant', content: 'x' }], { source: 'tokenizer_config.json' }))
      .toThrow(/the chat template failed: .*first message must be from the user/)
    expect(() => renderChatTemplate('{% for %}', [])).toThrow(/cannot parse the chat template/)
  })
})
