/**
 * Which translator `-m` means: an encoder-decoder folder → Seq2SeqTranslator; a decoder-only folder
 * with translate_config.json or a chat template → DecoderTranslator; no -m → $LLM_TRANSLATE_MODEL,
 * else the bundled models/translate-en-fr.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { usageError } from '../errors.js'
import { readModelFolder } from '../model/folder.js'
import { Model } from '../model/load.js'
import { defaultModelDir, resolveModel } from '../model/resolve.js'
import { DecoderTranslator } from './decoder.js'
import { Seq2SeqTranslator } from './seq2seq.js'
import type { OpenTranslatorOptions, Translator } from './translator.js'

export function bundledTranslatorDir(): string {
  return join(dirname(defaultModelDir()), 'translate-en-fr')
}

export async function openTranslator(spec: string | undefined, opts: OpenTranslatorOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<Translator> {
  let dir: string
  if (spec || env.LLM_TRANSLATE_MODEL) dir = resolveModel(spec || env.LLM_TRANSLATE_MODEL, env).dir
  else {
    dir = bundledTranslatorDir()
    if (!existsSync(join(dir, 'config.json'))) {
      throw usageError('no model given, and the bundled translator models/translate-en-fr is not built yet', {
        where: '--model', hint: 'pass -m DIR (an opus-mt, T5 or NLLB folder, or a chat model), or build it with scripts/train-translator.sh',
      })
    }
  }
  const folder = readModelFolder(dir)
  if (folder.seq2seq) {
    if (opts.adapter) throw usageError('adapters are supported on decoder-only models only', { where: '--adapter', hint: `${dir} is an encoder-decoder model` })
    if (opts.dtype && opts.dtype !== 'fp32') throw usageError(`${opts.dtype} weights are read for decoder-only models only`, { where: '--dtype', hint: `${dir} is an encoder-decoder model, run in fp32` })
    return Seq2SeqTranslator.open(folder, opts)
  }
  const model = await Model.load(dir, { device: opts.device, threads: opts.threads, adapter: opts.adapter, dtype: opts.dtype, env })
  try {
    return DecoderTranslator.open(model, opts)
  } catch (err) {
    await model.release()
    throw err
  }
}
