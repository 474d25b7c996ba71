#!/usr/bin/env python3
"""Derive the kiosk IME's general pinyin dictionary (assets/ime/pinyin.tsv.gz).

Sources (see assets/ime/README.md for versions and licences):

* Android PinyinIME's frequency dictionary as packaged by Debian in
  rime-data-pinyin-simp (pinyin_simp.dict.yaml, Apache-2.0). It is tuned for
  an input method: every character and word carries its reading and a
  frequency, per reading (行 xing / 行 hang are separate rows). It is the
  backbone: all single characters and their weights come from it.
* jieba's dict.txt (MIT): 349k words with corpus frequencies. It adds the
  vocabulary Android lacks (彩礼, 抚养费, 民法典, 家暴, ...).
* pypinyin (MIT): readings for the jieba words Android does not have, using
  its phrase dictionary for heteronyms (银行 -> yin hang).
* OpenCC's t2s conversion (the `opencc` Debian package, Apache-2.0), only to
  recognise traditional-script characters: Android lists 條, 調, 債 … under
  the same readings as 条, 调, 债, and a mainland kiosk should not offer them.

Merging: jieba frequencies are put on Android's scale with the median
Android/jieba ratio over the words both have. A word both have keeps
Android's readings and gets the geometric mean of the two frequencies, which
smooths the quirks of either corpus. Words only jieba has are kept if every
character is in GB2312 (this drops traditional-script and obscure entries).
Android entries with a character outside GB2312 are dropped when OpenCC
turns that character into a different (simplified) one; the rest (name
characters such as 堃, 喆, dialect ones such as 咁) are kept with their
frequency divided by NON_GB2312_DAMPING so they never push common
characters off the first pages.

Output: gzip'd UTF-8 TSV, one `word<TAB>syl'syl'...<TAB>freq` line per
reading, sorted by syllable sequence then by falling frequency, preceded by
`#` header lines; the `#syllables` header lists the syllable inventory.
The gzip header carries no name or time, so re-running on the same inputs
gives the same bytes.
"""

import argparse
import collections
import gzip
import io
import os
import re
import statistics
import subprocess
import sys

import jieba
import pypinyin
from pypinyin import Style, lazy_pinyin

# Interjection "syllables" without a vowel (呣 m, 嗯 n/ng, 噷 hm). They would
# make single consonants parse as complete syllables (hu'n -> 湖南 for "hun"),
# and every such character also has an ordinary reading.
DROPPED_SYLLABLES = {"m", "n", "ng", "hm"}
# pypinyin writes ü as v after l/n; Android writes lue/nue but lv/nv.
SPELLING_FIXES = {"lve": "lue", "nve": "nue"}
NON_GB2312_DAMPING = 50
HANZI = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")


def read_android(path):
    """(word, syllables) -> freq from a Rime dict.yaml body."""
    entries = {}
    in_body = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line == "...":
                in_body = True
                continue
            if not in_body or not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            word, spelled, freq = parts[0], parts[1], parts[2]
            syls = tuple(SPELLING_FIXES.get(s, s) for s in spelled.split())
            if not HANZI.match(word) or len(syls) != len(word):
                continue
            if any(s in DROPPED_SYLLABLES for s in syls):
                continue
            key = (word, syls)
            entries[key] = entries.get(key, 0) + int(freq)
    return entries


def read_jieba(path):
    words = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and HANZI.match(parts[0]):
                words[parts[0]] = words.get(parts[0], 0) + int(parts[1])
    return words


def in_gb2312(word):
    try:
        word.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def traditional_chars(chars):
    """The characters OpenCC's t2s conversion changes."""
    chars = sorted(chars)
    result = subprocess.run(
        ["opencc", "-c", "t2s.json"],
        input="\n".join(chars) + "\n",
        capture_output=True, text=True, check=True,
    )
    converted = result.stdout.split("\n")
    if len(converted) < len(chars):
        sys.exit("opencc returned fewer lines than it was given")
    return {c for c, s in zip(chars, converted) if s != c}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rime", required=True, help="path to pinyin_simp.dict.yaml")
    ap.add_argument("--out", required=True, help="output .tsv.gz")
    ap.add_argument("--source-note", default="", help="text for the header")
    ap.add_argument("--min-jieba-freq", type=int, default=3,
                    help="drop words only jieba has below this count (its "
                         "count-1/2 rows are mostly names and segmentation debris)")
    args = ap.parse_args()

    android = read_android(args.rime)
    outside = {c for (word, _) in android for c in word if not in_gb2312(c)}
    traditional = traditional_chars(outside)
    dropped_traditional = 0
    for key in list(android):
        word = key[0]
        if any(c in traditional for c in word):
            del android[key]
            dropped_traditional += 1
        elif any(c in outside for c in word):
            android[key] = android[key] / NON_GB2312_DAMPING
    inventory = sorted({s for (_, syls) in android for s in syls})
    known = set(inventory)
    jieba_dict = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    jieba_words = read_jieba(jieba_dict)

    android_total = collections.Counter()
    for (word, _), freq in android.items():
        android_total[word] += freq
    shared = [w for w in android_total if len(w) > 1 and jieba_words.get(w, 0) > 0]
    scale = statistics.median(android_total[w] / jieba_words[w] for w in shared)

    out = {}
    for (word, syls), freq in android.items():
        if len(word) > 1 and jieba_words.get(word, 0) > 0 and android_total[word] > 0:
            freq = freq * ((scale * jieba_words[word]) / android_total[word]) ** 0.5
        out[(word, syls)] = freq

    added = skipped = 0
    for word, jfreq in jieba_words.items():
        if len(word) < 2 or word in android_total or jfreq < args.min_jieba_freq:
            continue
        if not in_gb2312(word):
            skipped += 1
            continue
        syls = lazy_pinyin(word, style=Style.NORMAL, errors="ignore")
        syls = tuple(SPELLING_FIXES.get(s, s) for s in syls)
        if len(syls) != len(word) or not all(s in known for s in syls):
            skipped += 1
            continue
        out[(word, syls)] = scale * jfreq
        added += 1

    rows = sorted(
        ((syls, -max(1, round(freq)), word) for (word, syls), freq in out.items()),
    )
    buf = io.StringIO()
    buf.write("# kiosk-ime general pinyin dictionary, generated by "
              "kiosk/ime/tools/build_dict.py; do not edit by hand.\n")
    buf.write(f"# sources: {args.source_note} jieba {getattr(jieba, '__version__', '?')}, "
              f"pypinyin {pypinyin.__version__}\n")
    buf.write(f"# jieba-to-android frequency scale: {scale:.4f}\n")
    buf.write("#syllables " + " ".join(inventory) + "\n")
    for syls, negfreq, word in rows:
        buf.write(f"{word}\t{chr(39).join(syls)}\t{-negfreq}\n")
    data = buf.getvalue().encode("utf-8")
    with open(args.out, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(data)
    print(f"android entries {len(android)} (dropped {dropped_traditional} traditional), "
          f"jieba words added {added}, "
          f"skipped {skipped}, scale {scale:.4f}", file=sys.stderr)
    print(f"wrote {len(rows)} entries, {len(inventory)} syllables, "
          f"{len(data)} bytes raw, {os.path.getsize(args.out)} bytes gzip to {args.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
