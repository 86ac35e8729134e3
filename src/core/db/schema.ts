/**
 * The database schema as numbered migrations: MIGRATIONS[i] takes version i to i+1. Never edit a
 * released migration; append a new one. Times are ISO 8601 UTC text (sortable, readable in the
 * sqlite3 shell); JSON columns hold JSON text.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: request log with full-text search, tracked runs
  `
  CREATE TABLE requests (
    id                INTEGER PRIMARY KEY,
    created_at        TEXT NOT NULL,          -- when the request arrived
    source            TEXT NOT NULL,          -- serve | generate | chat
    endpoint          TEXT,                   -- /v1/chat/completions, … (serve)
    model             TEXT NOT NULL,          -- model id or folder
    prompt            TEXT NOT NULL,          -- the input as text (chat: each message's content, one per line)
    messages          TEXT,                   -- JSON [{role, content}] for chat requests
    response          TEXT NOT NULL,          -- generated text (n > 1: the choices joined by blank lines)
    finish_reason     TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    duration_ms       REAL,                   -- arrival to last byte
    prefill_ms        REAL,
    decode_ms         REAL,
    options           TEXT,                   -- JSON: sampling, max tokens, stop, stream, n
    client            TEXT,                   -- serve: address and user agent; CLI: the command
    status            INTEGER,                -- serve: HTTP status
    error             TEXT
  );
  CREATE INDEX requests_created_at ON requests(created_at);
  CREATE VIRTUAL TABLE requests_fts USING fts5(prompt, response, content='requests', content_rowid='id');
  CREATE TRIGGER requests_ai AFTER INSERT ON requests BEGIN
    INSERT INTO requests_fts(rowid, prompt, response) VALUES (new.id, new.prompt, new.response);
  END;
  CREATE TRIGGER requests_ad AFTER DELETE ON requests BEGIN
    INSERT INTO requests_fts(requests_fts, rowid, prompt, response) VALUES ('delete', old.id, old.prompt, old.response);
  END;

  CREATE TABLE runs (
    id          TEXT PRIMARY KEY,             -- 32 hex digits (MLflow's run id form)
    kind        TEXT NOT NULL,                -- pretrain | finetune | eval
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,                -- RUNNING | FINISHED | FAILED | KILLED (MLflow's names)
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    signature   TEXT NOT NULL,                -- JSON: hashes of model/tokenizer/template/data, seed, device, versions
    params      TEXT NOT NULL,                -- JSON object
    summary     TEXT,                         -- JSON: final figures
    out         TEXT,                         -- output folder, when the run has one
    mlflow_dir  TEXT,
    command     TEXT
  );
  CREATE INDEX runs_started_at ON runs(started_at);
  CREATE TABLE run_metrics (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    step   INTEGER NOT NULL,
    value  REAL NOT NULL,
    ts     INTEGER NOT NULL,                  -- milliseconds since the epoch
    PRIMARY KEY (run_id, key, step)
  ) WITHOUT ROWID;
  CREATE TABLE run_artifacts (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path   TEXT NOT NULL,
    kind   TEXT,
    PRIMARY KEY (run_id, path)
  ) WITHOUT ROWID;
  `,
]
