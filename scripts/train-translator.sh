#!/usr/bin/env bash
# Train the bundled English→French translator, models/translate-en-fr, with this project's own
# commands only, on the Tatoeba pairs in ../shared/data/translation/tatoeba (manythings.org export of
# tatoeba.org, CC-BY 2.0). Never trains on FLORES-200, TICO-19 or Multi30k: those are the test sets.
#
# Design (a decoder-only model: the training engine, the KV-cached runtime and beam search all exist
# for it, and at ~7M parameters on 2 CPU cores one stack shared by both languages learns faster than
# an encoder-decoder of the same size):
#   0. split   pairs grouped by their English sentence (Tatoeba repeats an English line with several
#              French ones), 2% of the groups held out (hash of the English text), never trained on;
#   1. pretrain a Llama on "<en> SOURCE <fr> TARGET" documents (EOS after each), byte-level BPE of
#              8192 tokens trained by `llm pretrain --tokenizer bpe:8192` on the same text;
#   2. finetune `llm finetune --method full` on {prompt: "<en> SOURCE <fr>", completion: " TARGET"}:
#              the loss on the French side and its EOS only (optional, FT_STEPS=0 skips it);
#   3. package the folder with translate_config.json (the prompt, sentence-level input, beam search)
#              and a model card; score it with `llm eval` on the held-out pairs, FLORES-200 devtest and
#              TICO-19 test, and write the scores into the card.
#
# Usage: scripts/train-translator.sh            (full run: see STEPS/FT_STEPS below, ~1.5 h on 2 cores)
#        STEPS=300 FT_STEPS=50 EVAL_LIMIT=100 OUT=/tmp/tr scripts/train-translator.sh   (a smoke run)
# Environment: STEPS, FT_STEPS, LAYERS, DIM, HEADS, SEQ, BATCH, LR, THREADS, EVAL_LIMIT (0 = all),
#              DATA (the tatoeba folder), WORK (run folder), OUT (model folder; default models/translate-en-fr).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${DATA:-$root/../shared/data/translation/tatoeba}"
WORK="${WORK:-$root/runs/translate-en-fr}"
OUT="${OUT:-$root/models/translate-en-fr}"
STEPS="${STEPS:-5000}"
FT_STEPS="${FT_STEPS:-800}"
LAYERS="${LAYERS:-6}" DIM="${DIM:-256}" HEADS="${HEADS:-8}" SEQ="${SEQ:-128}" BATCH="${BATCH:-16}" LR="${LR:-2e-3}"
THREADS="${THREADS:-2}"
EVAL_LIMIT="${EVAL_LIMIT:-0}"
llm() { nice -n 10 node "$root/bin/run.js" "$@"; }
log() { echo "[train-translator $(date -u +%H:%M:%S)] $*" >&2; }
# keep every 25th progress line of --progress jsonl (and every other line), unbuffered
thin() { awk '/"event":"progress"/ { if (++n % 25) next } { print; fflush() }'; }
mkdir -p "$WORK"
[ -f "$root/dist/src/commands/translate.js" ] || (cd "$root" && npm run build >/dev/null)

log "0. split $DATA into train / held-out"
[ -f "$WORK/heldout.fr" ] && log "   (kept: $WORK already holds the split)" || node - "$DATA" "$WORK" <<'EOF'
const fs = require('node:fs'), path = require('node:path'), crypto = require('node:crypto')
const [data, work] = process.argv.slice(2)
const en = fs.readFileSync(path.join(data, 'fra.en'), 'utf8').split('\n'), fr = fs.readFileSync(path.join(data, 'fra.fr'), 'utf8').split('\n')
const held = (s) => crypto.createHash('sha256').update(s).digest()[0] < 5 // 5/256 ≈ 2% of the English sentences
const train = [], pairs = [], hen = [], hfr = []
const clean = (s) => s.replace(/\s+/g, ' ').trim()
for (let i = 0; i < Math.min(en.length, fr.length); i++) {
  const s = clean(en[i]), t = clean(fr[i])
  if (!s || !t) continue
  if (held(s)) { hen.push(s); hfr.push(t); continue }
  train.push(JSON.stringify({ text: `<en> ${s} <fr> ${t}` }))
  pairs.push(JSON.stringify({ prompt: `<en> ${s} <fr>`, completion: ` ${t}` }))
}
// a fixed shuffle (the file order runs from short to long sentences)
const order = train.map((_, i) => i).sort((a, b) => crypto.createHash('md5').update(String(a)).digest().readUInt32LE(0) - crypto.createHash('md5').update(String(b)).digest().readUInt32LE(0))
fs.writeFileSync(path.join(work, 'train.jsonl'), order.map((i) => train[i]).join('\n') + '\n')
fs.writeFileSync(path.join(work, 'pairs.jsonl'), order.map((i) => pairs[i]).join('\n') + '\n')
fs.writeFileSync(path.join(work, 'heldout.en'), hen.join('\n') + '\n')
fs.writeFileSync(path.join(work, 'heldout.fr'), hfr.join('\n') + '\n')
console.error(`train pairs ${train.length}, held-out pairs ${hen.length} (${new Set(hen).size} English sentences)`)
EOF

log "1. pretrain ${LAYERS}L d${DIM} ${HEADS}H seq ${SEQ} batch ${BATCH}, ${STEPS} steps"
# wall seconds of each training phase, kept in the run folder (a resumed phase adds to it)
timed() { local f="$1"; shift; local t0; t0=$(date +%s); "$@"; echo $(( $(date +%s) - t0 + $(cat "$f" 2>/dev/null || echo 0) )) > "$f.tmp" && mv "$f.tmp" "$f"; }
done_steps() { [ -f "$1/checkpoint/state.json" ] && node -e 'console.log(require(process.argv[1]).step ?? 0)' "$1/checkpoint/state.json" || echo 0; }
resume=(); [ "$(done_steps "$WORK/base")" -gt 0 ] && resume=(--resume)
[ "$(done_steps "$WORK/base")" -ge "$STEPS" ] && log "   (kept: $WORK/base is at step $STEPS)" || timed "$WORK/pretrain.seconds" llm pretrain --data "$WORK/train.jsonl" --tokenizer bpe:8192 --out "$WORK/base" "${resume[@]}" \
  --layers "$LAYERS" --dim "$DIM" --heads "$HEADS" --seq-len "$SEQ" --batch-size "$BATCH" --tie \
  --steps "$STEPS" --lr "$LR" --warmup 200 --val-fraction 0.01 --eval-every 500 --eval-steps 10 \
  --checkpoint-every 500 --threads "$THREADS" --progress jsonl 2> >(thin >&2)

model="$WORK/base"
if [ "$FT_STEPS" -gt 0 ]; then
  log "2. finetune (full, loss on the French side) ${FT_STEPS} steps"
  ftresume=(); [ "$(done_steps "$WORK/ft")" -gt 0 ] && ftresume=(--resume)
  [ "$(done_steps "$WORK/ft")" -ge "$FT_STEPS" ] && log "   (kept: $WORK/ft is at step $FT_STEPS)" || timed "$WORK/finetune.seconds" llm finetune "${ftresume[@]}" --model "$WORK/base" --data "$WORK/pairs.jsonl" --method full --train-on outputs --on-overflow drop --seq-len "$SEQ" \
    --batch-size "$BATCH" --steps "$FT_STEPS" --lr 3e-4 --out "$WORK/ft" --threads "$THREADS" --progress jsonl 2> >(thin >&2)
  model="$WORK/ft"
fi

log "3. package $OUT"
rm -rf "$OUT.new"
# float16 storage (safetensors and graph initializers; computed in float32): half the repository size
llm convert "$model" --out "$OUT.new" --outtype f16 >/dev/null
cat > "$OUT.new/translate_config.json" <<'EOF'
{
  "directions": { "en-fr": "<en> {source} <fr>" },
  "stop": ["\n", "<en>"],
  "max_source_tokens": 64,
  "split_sentences": true,
  "num_beams": 4,
  "length_penalty": 1.0
}
EOF
rm -rf "$OUT" && mv "$OUT.new" "$OUT"

lim=(); [ "$EVAL_LIMIT" -gt 0 ] && lim=(--limit "$EVAL_LIMIT")
score() { llm eval "$@" -m "$OUT" "${lim[@]}" --batch-size 16 --threads "$THREADS" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);const t=Object.values(r.results)[0];console.log(`${t["bleu,none"].toFixed(2)} ${t["chrf,none"].toFixed(2)} ${r["n-samples"][Object.keys(r.results)[0]].effective}`)})'; }
log "4. eval (held-out Tatoeba, FLORES-200 devtest, TICO-19 test)"
read -r hb hc hn < <(score --src "$WORK/heldout.en" --ref "$WORK/heldout.fr")
read -r fb fc fn < <(score flores200_en_fr)
read -r tb tc tn < <(score tico19_en_fr)
# speed: the whole process on 200 held-out sentences, shipped settings (beam search) and greedy
head -200 "$WORK/heldout.en" > "$WORK/speed.en"
speed() { local t0 t1; t0=$(date +%s.%N); llm translate -i "$WORK/speed.en" "$@" > /dev/null; t1=$(date +%s.%N); node -e "console.log((200 / ($t1 - $t0)).toFixed(0))"; }
beam_sps=$(speed); greedy_sps=$(speed --num-beams 1)
minutes() { [ -f "$1" ] && echo "$(( ($(cat "$1") + 30) / 60 )) min" || echo "(not timed)"; }
val_loss() { node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(r=>r.val_loss!==undefined);console.log(l.length?l[l.length-1].val_loss.toFixed(3):"n/a")' "$1/metrics.jsonl"; }
limit_note=""; [ "$EVAL_LIMIT" -gt 0 ] && limit_note=", first $EVAL_LIMIT sentences"
params=$(node -e 'const c=require(process.argv[1]);const V=c.vocab_size,C=c.hidden_size,L=c.num_hidden_layers,F=c.intermediate_size;console.log(((V*C+L*(4*C*C+3*C*F))/1e6).toFixed(1))' "$OUT/config.json")
cat > "$OUT/README.md" <<EOF
# translate-en-fr

The bundled English→French translator of \`llm translate\`: a ${params}M-parameter Llama-architecture
decoder (${LAYERS} layers, width ${DIM}, ${HEADS} heads, byte-level BPE of 8192 tokens) trained from scratch by
\`scripts/train-translator.sh\` with this project's own commands (\`llm pretrain\` ${STEPS} steps, then
\`llm finetune --method full\` ${FT_STEPS} steps on the French side only). Prompt: \`<en> SOURCE <fr>\`
(translate_config.json); sentence-level input (longer text is split into sentences); beam search, 4 beams.

## Data

Tatoeba English–French sentence pairs as exported by manythings.org (https://www.manythings.org/anki/)
from the Tatoeba project (https://tatoeba.org), licensed CC-BY 2.0 (France). 2% of the English
sentences (with all their French translations) were held out and never trained on. No FLORES-200,
TICO-19 or Multi30k data was used for training.

## Training

On the machine that built it ($(nproc) CPU cores, ${THREADS} threads, onnxruntime CPU): \`llm pretrain\`
(sequence ${SEQ}, batch ${BATCH}, peak learning rate ${LR}, cosine) $(minutes "$WORK/pretrain.seconds"), validation loss
$(val_loss "$WORK/base"); \`llm finetune --method full\` (learning rate 3e-4) $(minutes "$WORK/finetune.seconds"), validation loss
$( [ "$FT_STEPS" -gt 0 ] && val_loss "$WORK/ft" || echo "n/a"). Stored as float16 (\`llm convert --outtype f16\`:
safetensors and ONNX initializers; computed in float32): $(du -sm "$OUT" | cut -f1) MB in all.

## Scores (\`llm eval\`, sacrebleu 2.0-equivalent corpus BLEU / chrF2${limit_note}, beam search as shipped)

| test set | sentences | BLEU | chrF |
|---|---|---|---|
| Tatoeba held-out (everyday sentences, in-domain) | $hn | $hb | $hc |
| FLORES-200 devtest eng_Latn→fra_Latn (news, hard) | $fn | $fb | $fc |
| TICO-19 test en→fr (COVID-19 domain) | $tn | $tb | $tc |

Speed on the $(nproc)-core machine that built it: \`llm translate -i FILE\` on 200 held-out sentences,
${beam_sps} sentences/s with the shipped beam search, ${greedy_sps} greedy (whole process; BENCHMARKS.md, Translation).

Small and trained on short everyday sentences: useful for simple sentences, weak on long,
technical or news text.
EOF
log "done: $OUT (held-out BLEU $hb chrF $hc; FLORES BLEU $fb; TICO-19 BLEU $tb)"
