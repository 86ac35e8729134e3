#!/usr/bin/env python3
"""Golden ids for our llama2.c tokenizer.bin loader, from llama2.c's own C code.

How the goldens were made (the harness is NOT in this repository: it is third-party code):
  1. Copy the tokenizer part of karpathy/llama2.c run.c (the Tokenizer struct, build_tokenizer,
     decode, str_lookup, encode; commit bd18228 and later) into /tmp/l2c/harness.c, with a main()
     that reads stdin lines `E <bos 0|1> <hex of UTF-8 text>` (prints the ids of
     encode(text, bos, eos=0)) and `D <id> <id> ...` (prints the hex of the bytes that
     decode(prev_token, token) returns for each token in turn, prev_token = -1 for the first).
  2. gcc -O2 -o /tmp/l2c/harness /tmp/l2c/harness.c
  3. /usr/bin/python3 scripts/goldens/llama2c_goldens.py /tmp/l2c/harness
Writes test/fixtures/tokenizer/sp/llama2c-goldens.json for ../shared/models/stories260K/tok512.bin.
"""
import json, os, random, subprocess, sys

sys.path.insert(0, os.path.dirname(__file__))
from sp_goldens import TEXTS, random_texts, shared_adversarial, SHARED, OUT  # noqa: E402


def main():
    harness = sys.argv[1]
    tok = os.path.join(SHARED, 'models', 'stories260K', 'tok512.bin')
    rng = random.Random(99)
    # C strings end at NUL: texts with NUL cannot reach run.c's encode
    texts = [t for t in TEXTS + [a for a in shared_adversarial() if a not in TEXTS] + random_texts(rng, 120) if '\x00' not in t]
    texts.append('Lily ' * 200)  # long input: many merge rounds
    lines = []
    for t in texts:
        for bos in (0, 1):
            lines.append('E %d %s' % (bos, t.encode('utf-8').hex()))
    decode_ids = []
    for _ in range(120):
        k = rng.randint(1, 12)
        ids = [rng.choice([1, 1, 2] + list(range(3, 259)) + list(range(259, 512)) * 2) for _ in range(k)]
        decode_ids.append(ids)
        lines.append('D ' + ' '.join(map(str, ids)))
    p = subprocess.run([harness, tok, '512'], input='\n'.join(lines) + '\n', capture_output=True, text=True, check=True)
    out = p.stdout.split('\n')
    cases, decode_cases = [], []
    i = 0
    for t in texts:
        ids = [int(x) for x in out[i].split()]
        ids_bos = [int(x) for x in out[i + 1].split()]
        i += 2
        cases.append({'text': t, 'ids': ids, 'idsBos': ids_bos})
    for ids in decode_ids:
        decode_cases.append({'ids': ids, 'hex': out[i]})
        i += 1
    res = {'generator': 'scripts/goldens/llama2c_goldens.py (llama2.c run.c tokenizer, compiled harness)',
           'cases': cases, 'decodeCases': decode_cases}
    with open(os.path.join(OUT, 'llama2c-goldens.json'), 'w') as f:
        json.dump(res, f, ensure_ascii=False, separators=(',', ':'))
    print('wrote', os.path.join(OUT, 'llama2c-goldens.json'), len(cases), 'texts', len(decode_cases), 'decodes')


if __name__ == '__main__':
    main()
