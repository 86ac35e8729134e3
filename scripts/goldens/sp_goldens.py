#!/usr/bin/env python3
"""Golden ids for our SentencePiece loader, from the official `sentencepiece` package.

Run with Debian's python (it has sentencepiece 0.1.97): /usr/bin/python3 scripts/goldens/sp_goldens.py
Writes test/fixtures/tokenizer/sp/goldens.json and trains three small fixture models into
test/fixtures/tokenizer/sp/ from ../shared/data/tinyshakespeare/input.txt (public domain):
  uni_id.model     Unigram, identity normalizer, byte fallback
  bpe_rules.model  BPE, custom normalization rules (a small precompiled charsmap), user-defined
                   symbols, no byte fallback (unknown characters -> <unk>), no extra-space removal
  uni_rules.model  Unigram, the same rules, user-defined + control symbols, no dummy prefix
plus the real stories260K tokenizer (../shared/models/stories260K/tok512.model, BPE + byte fallback).
Optionally `--nfkc` also checks a nmt_nfkc model into /tmp (not committed: its charsmap is 240 kB).
"""
import json, os, random, subprocess, sys
import sentencepiece as spm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SHARED = os.path.abspath(os.path.join(ROOT, '..', 'shared'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'tokenizer', 'sp')
CORPUS = os.path.join(SHARED, 'data', 'tinyshakespeare', 'input.txt')

# hand-written adversarial texts: whitespace runs, edges, control chars, unicode, emoji
TEXTS = [
    '', ' ', '  ', '\t', '\n', '\n\n', ' \n ', 'a', ' a', 'a ', '  a  ', 'a  b', 'a   b    c',
    'Hello world', 'Hello  world', ' Hello world ', 'Hello\tworld', 'Hello\nworld', 'line1\r\nline2',
    'Once upon a time, there was a little girl named Lily.',
    'She said, "I\'m sorry, mom. I didn\'t know what to do."',
    "Lily's mom said: don't! won't? can't... OK.", '1234567890', '3.14159 + 2,718 = 5.86',
    'caf\u00e9 na\u00efve r\u00e9sum\u00e9', 'e\u0301', '\u00c5ngstr\u00f6m', '\u4f60\u597d\uff0c\u4e16\u754c',
    '\u3053\u3093\u306b\u3061\u306f', '\ud55c\uad6d\uc5b4', '\u0645\u0631\u062d\u0628\u0627', '\u05e9\u05dc\u05d5\u05dd',
    '\U0001F600', 'I \u2764\ufe0f emoji \U0001F389\U0001F38A', '\U0001F468\u200d\U0001F469\u200d\U0001F467', '\U0001F1EB\U0001F1F7',
    '\ufeffBOM at start', 'zero\u200bwidth', 'non\u00a0breaking', 'ideographic\u3000space',
    '\uff21\uff22\uff23 \uff41\uff42\uff43 \uff11\uff12\uff13', '\ufb01nd the \ufb02ow', 'wait...', 'A\u0301B',
    '<s>', '</s>', '<unk>', '<0x41>', '<sep>', 'ROMEO: <sep> JULIET', '\u2581', '\u2581\u2581x', '\x00', '\x01\x7f',
    'ROMEO:\nBut, soft! what light through yonder window breaks?\n',
    '    indented code\n\tif (x) { return y; }\n',
    'The quick brown fox jumps over the lazy dog. ' * 3,
] + [c * k for c in '-:!.ae ' for k in (2, 3, 5, 8, 13)] + [  # repeats: Viterbi ties and float rounding
    'a---', ';;;:::---', 'eeeee eeee eee', 'ssssss', 'thethethe the the',
]

ALPHABET = (list('abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ.,;:!?\'"-()0123456789') + [' '] * 6 +
            ['\t', '\n', '\r', '\u00e9', '\u00fc', '\u00df', '\u4e2d', '\u6587', '\u3042', '\U0001F600', '\U0001F44D\U0001F3FD',
             '\u200d', '\u0301', '\u00a0', '\u3000', '\uff21', '\ufb01', '\u2581', '...', '<sep>', 'ROMEO', '\ufeff'])


def shared_adversarial():
    """test/fixtures/tokenizer/adversarial.ts (the project's shared corpus), via tsx; strings that
    are not valid Unicode (lone surrogates) cannot reach sentencepiece and are left out."""
    src = "import { ADVERSARIAL } from './test/fixtures/tokenizer/adversarial.ts'; process.stdout.write(JSON.stringify(ADVERSARIAL))"
    try:
        out = subprocess.run(['npx', 'tsx', '-e', src], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print('warning: shared adversarial corpus not available:', e, file=sys.stderr)
        return []
    texts = []
    for t in json.loads(out):
        try:
            t.encode('utf-8')
        except UnicodeEncodeError:
            continue
        texts.append(t)
    return texts


def random_texts(rng, n):
    out = []
    for _ in range(n):
        k = rng.randint(1, 40)
        out.append(''.join(rng.choice(ALPHABET) for _ in range(k)))
    return out


RULES = [  # source code points -> target code points (SentencePiece normalization_rule_tsv)
    ('9', '20'), ('A0', '20'), ('3000', '20'), ('FB01', '66 69'), ('FB02', '66 6C'),
    ('2E 2E 2E', '2026'), ('41 301', 'C1'), ('FEFF', ''),
] + [('%X' % (0xFF21 + i), '%X' % (0x41 + i)) for i in range(26)] + \
    [('%X' % (0xFF41 + i), '%X' % (0x61 + i)) for i in range(26)]


def train_fixtures():
    rules = os.path.join('/tmp', 'sp_golden_rules.tsv')
    with open(rules, 'w') as f:
        for src, dst in RULES:
            f.write('%s\t%s\n' % (src, dst))
    common = dict(input=CORPUS, minloglevel=2, character_coverage=1.0, num_threads=1, seed_sentencepiece_size=100000)
    spm.SentencePieceTrainer.train(model_prefix='/tmp/uni_id', model_type='unigram', vocab_size=400,
                                   normalization_rule_name='identity', byte_fallback=True, **common)
    spm.SentencePieceTrainer.train(model_prefix='/tmp/bpe_rules', model_type='bpe', vocab_size=300,
                                   normalization_rule_tsv=rules, remove_extra_whitespaces=False,
                                   user_defined_symbols=['<sep>', 'ROMEO'], **common)
    spm.SentencePieceTrainer.train(model_prefix='/tmp/uni_rules', model_type='unigram', vocab_size=350,
                                   normalization_rule_tsv=rules, add_dummy_prefix=False,
                                   user_defined_symbols=['<sep>', 'ROMEO'], control_symbols=['<ctrl>'], **common)
    for name in ['uni_id', 'bpe_rules', 'uni_rules']:
        with open('/tmp/%s.model' % name, 'rb') as src, open(os.path.join(OUT, name + '.model'), 'wb') as dst:
            dst.write(src.read())


def goldens_for(model_path, texts, rng):
    sp = spm.SentencePieceProcessor(model_file=model_path)
    cases = []
    for t in texts:
        ids = sp.encode(t)
        cases.append({'text': t, 'ids': ids, 'decoded': sp.decode(ids)})
    n = sp.get_piece_size()
    byte_ids = [i for i in range(n) if sp.is_byte(i)]
    decode_cases = []
    for _ in range(80):  # random id sequences: control, unknown and stray byte pieces included
        k = rng.randint(1, 12)
        pool = list(range(n)) + byte_ids * 2
        ids = [rng.choice(pool) for _ in range(k)]
        decode_cases.append({'ids': ids, 'text': sp.decode(ids)})
    return {'vocabSize': n, 'bos': sp.bos_id(), 'eos': sp.eos_id(), 'unk': sp.unk_id(), 'pad': sp.pad_id(),
            'cases': cases, 'decodeCases': decode_cases}


def main():
    rng = random.Random(1234)
    if '--nfkc' in sys.argv:
        spm.SentencePieceTrainer.train(input=CORPUS, model_prefix='/tmp/uni_nfkc', model_type='unigram', vocab_size=400,
                                       normalization_rule_name='nmt_nfkc', minloglevel=2, num_threads=1)
        g = goldens_for('/tmp/uni_nfkc.model', TEXTS + random_texts(rng, 200), rng)
        with open('/tmp/uni_nfkc.goldens.json', 'w') as f:
            json.dump(g, f, ensure_ascii=False)
        print('wrote /tmp/uni_nfkc.model and /tmp/uni_nfkc.goldens.json')
        return
    train_fixtures()
    texts = TEXTS + [t for t in shared_adversarial() if t not in TEXTS] + random_texts(rng, 120)
    models = {
        'tok512': os.path.join(SHARED, 'models', 'stories260K', 'tok512.model'),
        'uni_id': os.path.join(OUT, 'uni_id.model'),
        'bpe_rules': os.path.join(OUT, 'bpe_rules.model'),
        'uni_rules': os.path.join(OUT, 'uni_rules.model'),
    }
    out = {'generator': 'scripts/goldens/sp_goldens.py', 'sentencepiece': spm.__version__, 'models': {}}
    for name, path in models.items():
        out['models'][name] = goldens_for(path, texts, rng)
    with open(os.path.join(OUT, 'goldens.json'), 'w') as f:
        json.dump(out, f, ensure_ascii=False, separators=(',', ':'))
    print('wrote', os.path.join(OUT, 'goldens.json'))


if __name__ == '__main__':
    main()
