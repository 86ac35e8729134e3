/**
 * Text embeddings: encoder models (BERT / sentence-transformers in the transformers.js
 * feature-extraction layout) and decoder models (pooled final hidden state).
 *
 *   const emb = await openEmbedder('./all-MiniLM-L6-v2')      // or undefined: $LLM_EMBED_MODEL, else the bundled model
 *   const [a, b] = await emb.embed(['first text', 'second text'])   // unit Float32Arrays
 *   dot(a, b)                                                  // cosine similarity
 *   await emb.close()
 */
export { openEmbedder, resolveEmbedModel, type OpenEmbedderOptions } from './open.js'
export { EncoderEmbedder } from './encoder.js'
export { DecoderEmbedder } from './decoder.js'
export { pool, l2Normalize, dot, POOLINGS, type Pooling } from './pooling.js'
export type { Embedder, EmbedderInfo, EmbedOptions } from './types.js'
