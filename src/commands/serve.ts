import { Flags } from '../cli/oclif.js'
import { BaseCommand } from '../cli/base-command.js'
import { intFlag, runtimeFlags } from '../cli/flags.js'
import { EXIT } from '../core/errors.js'
// Light imports only at the top: the models and onnxruntime load in run().
import { DEFAULT_HOST, DEFAULT_MAX_BODY, checkBind } from '../core/serve/server.js'
import { parseDevice } from '../core/runtime/ort.js'
import { startServe } from '../core/serve/index.js'

export default class Serve extends BaseCommand {
  static override summary = 'Serve models over an OpenAI-compatible HTTP API (chat, completions, embeddings, models).'
  static override description = [
    'Routes: GET /v1/models, POST /v1/chat/completions, POST /v1/completions, POST /v1/embeddings, GET /health.',
    'Streams as OpenAI does (server-sent events ending in "data: [DONE]"; stream_options.include_usage adds a usage chunk).',
    `Binds ${DEFAULT_HOST} by default; another --host needs --api-key (or $LLM_API_KEY) unless --insecure. With a key, every route but /health`,
    'needs "Authorization: Bearer KEY". Each model runs --parallel generators in worker threads; up to --queue more requests wait, beyond that 429.',
    'Greedy answers do not depend on the load (each request decodes alone). A client that disconnects stops its generation.',
    'SIGTERM or Ctrl-C: finish running and queued requests, then exit 0. Requests are logged to $LLM_HOME/llm.sqlite (see llm logs) unless --no-log or LLM_NO_LOG=1.',
    'Unset sampling fields come from the model\'s generation_config.json, else llama.cpp\'s defaults; top_k, min_p and repeat_penalty are accepted too.',
  ].join(' ')

  static override examples = [
    '<%= config.bin %> serve -m ./my-model --port 8080',
    '<%= config.bin %> serve -m ./chat-model -m ./base-model --parallel 2',
    'LLM_API_KEY=secret <%= config.bin %> serve -m ./my-model --host 0.0.0.0',
    'curl -s localhost:8080/v1/chat/completions -d \'{"model":"my-model","messages":[{"role":"user","content":"Hi"}]}\'',
  ]

  static override flags = {
    model: Flags.string({ char: 'm', description: 'model folder or store name; repeat for several (default: $LLM_MODEL, else the bundled model). Each also answers /v1/embeddings (pooled final hidden state)', multiple: true }),
    'embed-model': Flags.string({ description: 'a model served for /v1/embeddings only (e.g. a BERT-like sentence encoder); repeatable', multiple: true }),
    host: Flags.string({ description: 'address to listen on', default: DEFAULT_HOST }),
    port: intFlag({ description: 'port (0: any free port, printed at start)', default: 8080, min: 0, max: 65535 }),
    'api-key': Flags.string({ description: 'require "Authorization: Bearer KEY" (default: $LLM_API_KEY)', env: 'LLM_API_KEY' }),
    insecure: Flags.boolean({ description: 'allow a non-loopback --host without an API key', default: false }),
    parallel: intFlag({ description: 'requests generated at once per model (one worker thread each)', default: 1, min: 1, max: 64 }),
    queue: intFlag({ description: 'requests that may wait per model before the server answers 429', default: 64, min: 0 }),
    'max-body': intFlag({ description: 'largest request body in bytes (413 beyond)', default: DEFAULT_MAX_BODY, min: 1024 }),
    log: Flags.boolean({ description: 'log requests to $LLM_HOME/llm.sqlite (--no-log: do not)', default: true, allowNo: true }),
    ...runtimeFlags(),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve)
    const apiKey = flags['api-key'] || undefined
    checkBind(flags.host, apiKey, flags.insecure) // before minutes of model loading
    const server = await startServe({
      models: flags.model ?? [], embedModels: flags['embed-model'], host: flags.host, port: flags.port, apiKey, insecure: flags.insecure,
      parallel: flags.parallel, queue: flags.queue, maxBodyBytes: flags['max-body'], log: flags.log,
      device: parseDevice(flags.device), threads: flags.threads, adapter: flags.adapter, dtype: flags.dtype, onInfo: (l) => this.note(l),
      onLogError: (e) => this.note(`llm serve: warning: request not logged: ${e.message}`),
    })
    const models = server.opts.pools.map((p) => p.id)
    if (flags.json) this.outJson({ url: server.url, models, parallel: flags.parallel, queue: flags.queue, auth: Boolean(apiKey) })
    this.note(`llm serve: listening on ${server.url} (models: ${models.join(', ')}${apiKey ? '; API key required' : ''})`)
    let signals = 0
    await new Promise<void>((resolve) => {
      const stop = (sig: NodeJS.Signals) => {
        signals++
        if (signals > 1) process.exit(EXIT.interrupted)
        this.note(`llm serve: ${sig}: finishing ${server.running} running request(s), then exiting`)
        void server.drain().then(resolve)
      }
      process.on('SIGTERM', stop)
      process.on('SIGINT', stop)
    })
    this.note('llm serve: stopped')
  }
}
