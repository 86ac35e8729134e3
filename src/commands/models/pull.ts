import { Args, Flags } from '../../cli/oclif.js'
import { BaseCommand } from '../../cli/base-command.js'
import { progressFlag } from '../../cli/flags.js'
import { createProgress, type Progress } from '../../cli/progress.js'
import { pullModel } from '../../core/store/index.js'
import { formatBytes } from '../../ui/table.js'

export default class ModelsPull extends BaseCommand {
  static override summary = 'Download a Hugging Face hub repository into the local store.'
  static override description = [
    'Files go to $LLM_HOME/models/OWNER--NAME; the folder appears only once every file is complete and checked',
    '(size, and sha256 for LFS files or the git blob id for the others). An interrupted pull resumes where it stopped.',
    'Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (bearer token for gated or private repositories),',
    'HF_HUB_OFFLINE=1 (same as --offline), HF_HUB_DOWNLOAD_TIMEOUT / HF_HUB_ETAG_TIMEOUT (seconds without a byte before a file / the listing',
    'request is given up, default 10), LLM_HOME. One pull (or rm) of a model at a time.',
  ].join(' ')

  static override examples = [
    '<%= config.bin %> models pull onnx-community/SmolLM2-135M-Instruct --include "*.json" --include onnx/model.onnx',
    '<%= config.bin %> models pull OWNER/NAME --revision v1.0',
    'HF_HUB_OFFLINE=1 <%= config.bin %> models pull OWNER/NAME   # succeeds only if already stored',
  ]

  static override args = {
    repo: Args.string({ description: 'repository id, OWNER/NAME', required: true, ignoreStdin: true }),
  }

  static override flags = {
    revision: Flags.string({ description: 'branch, tag or commit', default: 'main' }),
    include: Flags.string({ description: 'only files matching this pattern (fnmatch: * also crosses "/"; repeatable)', multiple: true }),
    offline: Flags.boolean({ description: 'never touch the network: succeed only if the model is already stored (also HF_HUB_OFFLINE=1)' }),
    progress: progressFlag(),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ModelsPull)
    let bar: Progress | undefined
    const r = await pullModel(args.repo, {
      revision: flags.revision,
      include: flags.include,
      offline: flags.offline,
      onPlan: (p) => {
        bar = createProgress(`pull ${args.repo}`, p.bytes, flags.progress)
      },
      onProgress: (done, file) => bar?.update(done, { file }),
    })
    bar?.finish()
    const total = r.files.reduce((s, f) => s + f.size, 0)
    if (flags.json) {
      this.outJson({ repo: r.repo, path: r.path, status: r.status, revision: r.revision, commit: r.commit, downloaded_bytes: r.downloadedBytes, resumed_bytes: r.resumedBytes, size: total, files: r.files })
      return
    }
    const what =
      r.status === 'downloaded' ? `downloaded ${formatBytes(r.downloadedBytes)}${r.resumedBytes ? ` (resumed after ${formatBytes(r.resumedBytes)})` : ''}`
      : r.status === 'up-to-date' ? 'already up to date'
      : 'already in the store (offline: not checked against the hub)'
    this.note(`${r.repo}: ${what}; ${r.files.length} files, ${formatBytes(total)}`)
    this.out(r.path + '\n')
  }
}
