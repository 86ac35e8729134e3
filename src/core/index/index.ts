/**
 * Retrieval: SQLite indexes of chunked documents with BM25 (FTS5) and vectors (sqlite-vec),
 * hybrid search by reciprocal rank fusion, and retrieval-augmented answers (ask.ts).
 *
 *   await indexAdd({ name: 'notes' }, ['docs/'], { embedModel: './all-MiniLM-L6-v2' })  // or no model: BM25 only
 *   const { hits } = await indexSearch({ name: 'notes' }, 'how do I reset it?', { k: 5 })
 *   hits[0]  // { source, lines: [12, 30], chunk, score, text, bm25?, similarity? }
 */
export { indexAdd, indexSearch, indexInfo, indexList, indexRemove, withIndex, type IndexRef, type IndexAddOptions, type IndexSearchOptions, type IndexInfo } from './api.js'
export { addFiles, chunkDefaults, type AddOptions, type AddResult, type FileStatus } from './add.js'
export { search, searchMode, rrf, ftsQuery, queryTerms, SEARCH_MODES, RRF_K, type SearchHit, type SearchMode, type SearchOptions } from './search.js'
export { chunkText, type Chunk, type ChunkOptions } from './chunk.js'
export { RagIndex, indexFile, indexDir, listIndexes, type IndexMeta } from './store.js'
export { expandPaths, readSource, SOURCE_TYPES } from './sources.js'
export { ask, askPrompt, relevant, NOTHING_FOUND, type AskOptions, type AskResult, type AskSource } from './ask.js'
