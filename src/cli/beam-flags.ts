import { Flags } from './oclif.js'
import { floatFlag, intFlag } from './flags.js'
import type { BeamSettings, EarlyStopping } from '../core/generate/beam.js'

/** Hugging Face's beam-search options as flags (`llm generate`, `llm translate`); unset ones come from the model. */
export const beamFlags = () => ({
  'num-beams': intFlag({ description: 'beam search with N beams (1 = greedy; default: generation_config.json num_beams, else 1)', min: 1, helpGroup: 'BEAM SEARCH' }),
  'length-penalty': floatFlag({ description: 'hypothesis score = sum of log-probs / length^P (default 1; > 0 favours longer)', helpGroup: 'BEAM SEARCH' }),
  'early-stopping': Flags.option({ options: ['true', 'false', 'never'] as const, description: 'true: stop at num_beams finished; false: when no beam can improve (default); never: canonical beam search', helpGroup: 'BEAM SEARCH' })(),
  'no-repeat-ngram-size': intFlag({ description: 'never repeat an n-gram of this size (0 = off)', min: 0, helpGroup: 'BEAM SEARCH' }),
  'min-new-tokens': intFlag({ description: 'no EOS before this many new tokens', min: 0, helpGroup: 'BEAM SEARCH' }),
})

export interface BeamFlagValues {
  'num-beams'?: number
  'length-penalty'?: number
  'early-stopping'?: 'true' | 'false' | 'never'
  'no-repeat-ngram-size'?: number
  'min-new-tokens'?: number
  'num-return-sequences'?: number
}

/** The flags as BeamSettings (numbers parsed and range-checked by cli/flags.ts). */
export function beamSettings(f: BeamFlagValues): BeamSettings {
  const lengthPenalty = f['length-penalty']
  const es = f['early-stopping']
  const earlyStopping: EarlyStopping | undefined = es === undefined ? undefined : es === 'never' ? 'never' : es === 'true'
  return {
    numBeams: f['num-beams'], lengthPenalty, earlyStopping, noRepeatNgramSize: f['no-repeat-ngram-size'],
    minNewTokens: f['min-new-tokens'], numReturnSequences: f['num-return-sequences'],
  }
}
