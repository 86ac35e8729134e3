import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { needs, SHARED, shared } from '../../helpers.js'
import { folderName, llmHome, parseRepoId, repoIdOf, requireStoredModel, resolveStoredModel, storePath } from '../../../src/core/store/paths.js'
import { filterIncluded, matchGlob } from '../../../src/core/store/glob.js'
import { listStored, removeStored, summarizeConfig } from '../../../src/core/store/inventory.js'
import { LlmError } from '../../../src/core/errors.js'
import { checkRepoPath, isOfflineEnv, normalizeEtag } from '../../../src/core/store/hub.js'

describe('store paths', () => {
  it('LLM_HOME, else XDG_CACHE_HOME/llm, else ~/.cache/llm', () => {
    expect(llmHome({ LLM_HOME: '/x/y' })).toBe('/x/y')
    expect(llmHome({ XDG_CACHE_HOME: '/c' })).toBe('/c/llm')
    expect(llmHome({})).toBe(join(homedir(), '.cache', 'llm'))
    expect(storePath('karpathy/tinyllamas', { LLM_HOME: '/h' })).toBe('/h/models/karpathy--tinyllamas')
  })

  it('maps owner/name <-> owner--name and refuses ids the hub refuses', () => {
    expect(folderName('Org-1/My.Model_2')).toBe('Org-1--My.Model_2')
    expect(repoIdOf('Org-1--My.Model_2')).toBe('Org-1/My.Model_2')
    expect(folderName('gpt2')).toBe('gpt2')
    for (const bad of ['a/b/c', '../x', 'a/..', 'a--b/c', 'a/b..c', '-a/b', 'a/b.', '', 'a/', 'a b/c', 'a\\b']) {
      expect(() => parseRepoId(bad), bad).toThrow(/not a Hugging Face repository id/)
    }
  })
})

describe('store lookup, list, show, rm', () => {
  let home: string
  let env: NodeJS.ProcessEnv
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'llm-store-'))
    env = { LLM_HOME: home }
  })
  afterEach(() => rmSync(home, { recursive: true, force: true }))

  const put = (folder: string, files: Record<string, string>) => {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(home, 'models', folder, name, '..'), { recursive: true })
      writeFileSync(join(home, 'models', folder, name), text)
    }
  }

  it('resolves owner/name, owner--name and a unique bare name; refuses an ambiguous one', () => {
    put('alice--tiny', { 'config.json': '{}' })
    put('bob--tiny', { 'config.json': '{}' })
    put('bob--solo', { 'config.json': '{}' })
    expect(resolveStoredModel('alice/tiny', env)).toBe(join(home, 'models', 'alice--tiny'))
    expect(resolveStoredModel('alice--tiny', env)).toBe(join(home, 'models', 'alice--tiny'))
    expect(resolveStoredModel('solo', env)).toBe(join(home, 'models', 'bob--solo'))
    expect(() => resolveStoredModel('tiny', env)).toThrow(/is ambiguous/)
    try {
      resolveStoredModel('tiny', env)
    } catch (e) {
      expect((e as LlmError).oneLine()).toMatch(/hint: use one of: alice\/tiny, bob\/tiny/)
    }
    expect(resolveStoredModel('carol/tiny', env)).toBeUndefined()
    expect(resolveStoredModel('./some/path', env)).toBeUndefined()
    expect(() => requireStoredModel('carol/tiny', env)).toThrow(/no model 'carol\/tiny' in the store/)
  })

  it('lists folders with sizes and file counts, ignoring unfinished pulls', () => {
    put('alice--tiny', { 'config.json': '{"a":1}', 'onnx/model.onnx': 'x'.repeat(1000) })
    put('.partial/bob--half', { 'x.bin': 'yy' })
    const l = listStored(env)
    expect(l.map((m) => [m.name, m.size, m.files.length])).toEqual([['alice/tiny', 1007, 2]])
    expect(l[0]!.files.map((f) => f.name)).toEqual(['config.json', 'onnx/model.onnx'])
  })

  it('rm removes the folder and says clearly when the model is absent', () => {
    put('alice--tiny', { 'config.json': '{}' })
    expect(removeStored('alice/tiny', env).name).toBe('alice/tiny')
    expect(existsSync(join(home, 'models', 'alice--tiny'))).toBe(false)
    expect(() => removeStored('alice/tiny', env)).toThrow(/no model 'alice\/tiny' in the store/)
  })

  needs(SHARED).it('summarizes config.json of a real model (tiny-random-gpt2) and genai_config.json when alone', () => {
    const gpt2 = join(home, 'gpt2')
    cpSync(shared('models/ortgenai-tiny-random-gpt2-fp32'), gpt2, { recursive: true })
    // That config.json keeps its layer counts nested under a "model" key (an onnxruntime-genai
    // quirk); top level gives intermediate_size 37 and n_positions 512, genai_config.json the
    // rest: 5 layers, 4 kv heads, vocab 1000.
    expect(summarizeConfig(gpt2)).toMatchObject({ source: 'config.json', layers: 5, kv_heads: 4, vocab_size: 1000, context_length: 512, intermediate_size: 37 })
    const llama = join(home, 'llama')
    mkdirSync(llama)
    cpSync(shared('models/ortgenai-tiny-random-llama-fp16/genai_config.json'), join(llama, 'genai_config.json'))
    expect(summarizeConfig(llama)).toMatchObject({ source: 'genai_config.json', layers: 2, hidden_size: 16, heads: 1, kv_heads: 1, context_length: 2048 })
    expect(summarizeConfig(home)).toEqual({})
  })
})

describe('include patterns (fnmatch semantics, as huggingface_hub allow_patterns)', () => {
  it('matches like fnmatch', () => {
    expect(matchGlob('*.json', 'config.json')).toBe(true)
    expect(matchGlob('*.json', 'onnx/config.json')).toBe(true) // fnmatch's * crosses "/"
    expect(matchGlob('onnx/', 'onnx/model.onnx')).toBe(true)
    expect(matchGlob('model.?nnx', 'model.onnx')).toBe(true)
    expect(matchGlob('model.onnx', 'model_onnx')).toBe(false) // "." is literal
    expect(matchGlob('[!m]*', 'model.onnx')).toBe(false)
    expect(matchGlob('[mt]*', 'tok.bin')).toBe(true)
    expect(filterIncluded(['a.json', 'b.bin', 'c/d.json'], ['*.json'])).toEqual(['a.json', 'c/d.json'])
    expect(filterIncluded(['a', 'b'], [])).toEqual(['a', 'b'])
  })
})

describe('hub helpers', () => {
  it('accepts normal repository paths and refuses escaping ones', () => {
    for (const ok of ['config.json', 'onnx/model.onnx', '.gitattributes', 'a..b/c']) expect(() => checkRepoPath(ok)).not.toThrow()
    for (const bad of ['', '..', '../x', 'a/../x', '/x', 'C:x', 'a\\b', 'a//b', 'a/', 'x\0y']) expect(() => checkRepoPath(bad), bad).toThrow(/refusing/)
  })
  it('reads HF_HUB_OFFLINE like huggingface_hub and normalizes ETags', () => {
    expect(['1', 'ON', 'yes', 'True'].map((v) => isOfflineEnv({ HF_HUB_OFFLINE: v }))).toEqual([true, true, true, true])
    expect(['0', '', 'no'].map((v) => isOfflineEnv({ HF_HUB_OFFLINE: v }))).toEqual([false, false, false])
    expect(normalizeEtag('W/"abc"')).toBe('abc')
    expect(normalizeEtag('"abc"')).toBe('abc')
  })
})
