/**
 * `llm finetune --dry-run`: what training would see, without training — the token statistics and
 * the first samples split into runs of trained and untrained tokens (the command colours them).
 */
import type { FinetuneOptions } from '../options.js'
import { trainedCount } from './encode.js'
import { prepareData, type PreparedData } from './job.js'
import { rowsPerEpoch } from './rows.js'

export interface DryRun {
  notes: string[]
  stats: PreparedData['stats'] & { train_samples: number; validation_samples: number; rows_per_epoch: number; seq_len: number; packed: boolean }
  /** per sample: where it came from and its text as runs of [text, trained] */
  samples: { where: string; tokens: number; trained: number; runs: [string, boolean][] }[]
}

export function dryRun(o: FinetuneOptions, show = 3): DryRun {
  const d = prepareData(o)
  const packed = o.packing !== false
  const samples = d.train.slice(0, show).map((e) => {
    const runs: [string, boolean][] = []
    let start = 0
    // a token is trained when the loss predicts it (label t ≥ 0, t > 0)
    const trained = (t: number) => t > 0 && e.labels[t] >= 0
    for (let t = 1; t <= e.ids.length; t++) {
      if (t === e.ids.length || trained(t) !== trained(start)) {
        const ids = e.ids.slice(start, t)
        runs.push([d.tokenizer ? d.tokenizer.decode(ids) : ids.join(' ') + ' ', trained(start)])
        start = t
      }
    }
    return { where: e.where, tokens: e.ids.length, trained: trainedCount(e), runs }
  })
  return {
    notes: d.notes,
    stats: { ...d.stats, train_samples: d.train.length, validation_samples: d.val.length, rows_per_epoch: rowsPerEpoch(d.train, d.seqLen, packed), seq_len: d.seqLen, packed },
    samples,
  }
}
