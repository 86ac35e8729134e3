/**
 * The local model store: `$LLM_HOME/models/<owner>--<name>` (see paths.ts for the layout).
 * `llm models …` commands and `-m NAME` resolution use only what is exported here.
 */
export { llmHome, modelsDir, storePath, resolveStoredModel, requireStoredModel, parseRepoId, folderName, repoIdOf, MANIFEST } from './paths.js'
export { pullModel, type PullOptions, type PullResult } from './pull.js'
export { listStored, describeStored, summarizeConfig, removeStored, type StoredModel, type ConfigSummary } from './inventory.js'
export { readManifest, type Manifest, type ManifestFile } from './manifest.js'
export { isOfflineEnv, hubOptionsFromEnv, checkRepoPath } from './hub.js'
