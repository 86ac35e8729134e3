/**
 * Translation: the public API (`llm translate` and the translation eval task use only this).
 *
 *   const t = await openTranslator('./opus-mt-en-fr', { from: 'en', to: 'fr', decode: { numBeams: 4 } })
 *   const r = await translateDocument(t, text, { layout: 'lines', batchSize: 8, onText, onUnit, onProgress })
 *   r.text, r.units (per line: source, translation, tokens, ms)
 *   await t.translateBatch(['Hello.', 'How are you?'])   // pieces, no splitting
 *   await t.close()
 */
export { openTranslator, bundledTranslatorDir } from './open.js'
export { translateDocument, type DocumentResult, type TranslateDocumentOptions, type UnitRecord } from './document.js'
export { splitDocument, joinDocument, sentences, chunk, type Layout, type SplitDocument, type Unit } from './segment.js'
export type { Translator, TranslatorKind, TranslationOut, DecodeSettings, OpenTranslatorOptions } from './translator.js'
export { Seq2SeqTranslator } from './seq2seq.js'
export { DecoderTranslator, readTranslateConfig, type TranslateConfig } from './decoder.js'
export { LANGUAGES, findLanguage, languageName, sameLanguage, spellings, type Language } from './languages.js'
