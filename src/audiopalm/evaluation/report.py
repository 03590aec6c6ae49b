"""The evaluation report: results.json, a Markdown table per task and PNG plots, from one report dict.

    write_report(report, Path("REPORT"))    # REPORT/results.json, REPORT/results.md, REPORT/*.png

The report dict is what `evaluate_unified` and `evaluate_speech` return, merged: "asr", "lid", "ast",
"mt", "cascade", "s2st", "tts", "codec_resynthesis", "real_time_factor", and `evaluate_long`'s "long" (each
optional).
"""

from __future__ import annotations

import math
from pathlib import Path

from audiopalm.text.normalize import NORMALISATION

RTF_STAGES = ("tokenizer", "language_model", "acoustic", "codec")


def _num(x: float | None, fmt: str = ".1f", scale: float = 1.0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return format(scale * x, fmt)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _mean(xs: list[float]) -> float:
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    return sum(xs) / len(xs) if xs else float("nan")


def asr_table(report: dict) -> str:
    asr, lid = report.get("asr", {}), report.get("lid", {})
    langs = sorted(set(asr) | set(lid))
    rows = [[lang, _num(asr.get(lang, {}).get("wer"), scale=100), _num(asr.get(lang, {}).get("cer"), scale=100),
             _num(lid.get(lang, {}).get("accuracy"), ".0f", 100), _taken_for(lid.get(lang, {})),
             str((asr.get(lang) or lid.get(lang))["n"])]
            for lang in langs]
    if asr:
        rows.append(["mean", _num(_mean([r["wer"] for r in asr.values()]), scale=100),
                     _num(_mean([r["cer"] for r in asr.values()]), scale=100), "", "", ""])
    return _table(["language", "WER %", "CER %", "LID accuracy %", "LID: taken for", "n"], rows)


def _taken_for(lid: dict) -> str:
    """The languages a language's clips were identified as instead, most often first: "pt 12, it 3"."""
    return ", ".join(f"{g} {n}" for g, n in lid.get("taken_for", {}).items())


def conditions_table(report: dict) -> str:
    """The test conditions side by side: held-out speakers (test), noise, a synthesizer family never heard."""
    rows = []
    for name, r in [("test", report), *report.get("conditions", {}).items()]:
        asr, lid, ast = r.get("asr", {}), r.get("lid", {}), r.get("ast", {})
        supervised = [v["bleu"] for v in ast.values() if not v["zero_shot"]]
        zero_shot = [v["bleu"] for v in ast.values() if v["zero_shot"]]
        s2st = r.get("s2st", {})
        rows.append([name, _num(_mean([v["wer"] for v in asr.values()]), scale=100),
                     _num(_mean([v["cer"] for v in asr.values()]), scale=100),
                     _num(_mean([v["accuracy"] for v in lid.values()]), ".1f", 100),
                     _num(_mean(supervised)), _num(_mean(zero_shot)),
                     _num(_mean([v["asr_bleu"].get("output", {}).get("own") for v in s2st.values()]))
                     if s2st else "-",
                     " ".join(sorted(asr or lid))])
    return _table(["condition", "ASR WER %", "ASR CER %", "LID accuracy %", "AST BLEU supervised", "AST BLEU zero-shot",
                   "S2ST ASR-BLEU (own ASR)", "languages"], rows)


def translation_table(report: dict) -> str:
    """AST next to the cascade (ASR -> MT) and the model's MT on gold transcripts, per pair."""
    ast, mt, cascade = report.get("ast", {}), report.get("mt", {}), report.get("cascade", {}).get("ast", {})
    pairs = list(dict.fromkeys([*ast, *cascade, *mt]))
    rows = []
    for pair in pairs:
        first = ast.get(pair) or cascade.get(pair) or mt[pair]
        cells = [pair + (" (zero-shot)" if first["zero_shot"] else "")]
        for source in (ast, cascade, mt):
            r = source.get(pair, {})
            cells += [_num(r.get("bleu")), _num(r.get("chrf"))]
        rows.append(cells + [str(first["n"])])
    for label, zero in (("mean supervised", False), ("mean zero-shot", True)):
        chosen = [p for p in pairs if (ast.get(p) or cascade.get(p) or mt[p])["zero_shot"] == zero]
        if chosen:
            cells = [label]
            for source in (ast, cascade, mt):
                cells += [_num(_mean([source[p][k] for p in chosen if p in source])) for k in ("bleu", "chrf")]
            rows.append(cells + [""])
    return _table(["pair", "AST BLEU", "AST chrF", "cascade BLEU", "cascade chrF", "MT BLEU (gold text)",
                   "MT chrF", "n"], rows)


def long_table(report: dict) -> str:
    """Speech of several sentences beside the same sentences one at a time: WER, AST BLEU, LID per language."""
    langs = report["long"]["languages"]
    targets = sorted({t for r in langs.values() for t in r["joined"]["bleu"]})
    rows = []
    for lang, r in sorted(langs.items()):
        one, joined = r["one by one"], r["joined"]
        rows.append([lang, _num(r["seconds"]), *(_num(x["wer"], scale=100) for x in (joined, one)),
                     *(_num(x["bleu"].get(t)) for t in targets for x in (joined, one)),
                     *(_num(x["lid"], ".0f", 100) for x in (joined, one)), str(r["n"])])

    def mean(key: str, way: str, target: str | None = None) -> float:
        return _mean([r[way][key] if target is None else r[way][key].get(target, float("nan")) for r in langs.values()])

    if langs:
        rows.append(["mean", "", _num(mean("wer", "joined"), scale=100), _num(mean("wer", "one by one"), scale=100),
                     *(_num(mean("bleu", w, t)) for t in targets for w in ("joined", "one by one")),
                     _num(mean("lid", "joined"), ".0f", 100), _num(mean("lid", "one by one"), ".0f", 100), ""])
    bleus = [f"{head} -> {t}" for t in targets for head in ("AST BLEU joined", "one by one")]
    return _table(["language", "seconds", "WER % joined", "one by one", *bleus, "LID % joined", "one by one", "n"],
                  rows)


def _asr_scores(r: dict, system: str) -> str:
    scores = r["asr_bleu"].get(system, {})
    return " / ".join(f"{_num(v)} ({asr})" for asr, v in scores.items()) or "-"


def _asr_errors(r: dict, system: str) -> str:
    """Each recogniser's WER / CER % of a system's speech ("-" where the report has none)."""
    wer, cer = r.get("asr_wer", {}).get(system, {}), r.get("asr_cer", {}).get(system, {})
    return "; ".join(f"{_num(v, scale=100)} / {_num(cer.get(asr), scale=100)} ({asr})" for asr, v in wer.items()) or "-"


def speech_table(report: dict, task: str) -> str:
    """S2ST (per pair) or TTS (per language): intelligibility (for TTS its error rates too, which its goal is set
    in), voice similarity between its anchors, DNSMOS."""
    rows = []

    def errors(r: dict, system: str) -> list[str]:
        return [_asr_errors(r, system)] if task == "tts" else []

    for key, r in report.get(task, {}).items():
        sim, mos = r["similarity"], r["dnsmos"]
        name = key + (" (zero-shot)" if r.get("zero_shot") else "")
        systems = [s for s in ("output", "lm", "cascade", "oracle") if s in sim]
        for s in systems:
            rows.append([name if s == "output" else "", s, _asr_scores(r, s), *errors(r, s),
                         _num(r.get("token_bleu", {}).get(s)), _num(r.get("ast_bleu")) if s == "output" else "",
                         _num(sim[s], ".3f"), _num(sim["ceiling"], ".3f"), _num(sim["floor"], ".3f"),
                         _num(mos.get(s, {}).get("ovrl"), ".2f"), str(r["n"])])
        rows.append(["", "ground truth", _asr_scores(r, "reference"), *errors(r, "reference"), "", "", "", "", "",
                     _num(mos.get("reference", {}).get("ovrl"), ".2f"), ""])
    head = "pair" if task == "s2st" else "language"
    return _table([head, "system", "ASR-BLEU (recogniser)", *(["WER / CER % (recogniser)"] if task == "tts" else []),
                   "its tokens read back (own ASR BLEU)", "AST BLEU", "voice similarity", "ceiling", "floor", "DNSMOS",
                   "n"], rows)


def codec_table(report: dict) -> str:
    rows = []
    for lang, r in report.get("codec_resynthesis", {}).items():
        for asr, w in r.items():
            if asr != "dnsmos" and isinstance(w, dict) and "original" in w:  # one entry per recogniser
                rows.append([lang, asr, _num(w["original"], scale=100), _num(w["resynthesised"], scale=100),
                             _num(r["dnsmos"]["original"], ".2f"), _num(r["dnsmos"]["resynthesised"], ".2f"),
                             _num(r["similarity"], ".3f"), str(r["n"])])
    return _table(["language", "recogniser", "WER % original", "WER % resynthesised", "DNSMOS original",
                   "DNSMOS resynthesised", "voice similarity", "n"], rows)


def rtf_table(report: dict) -> str:
    rtf = report["real_time_factor"]
    return _table([*RTF_STAGES, "total", "utterances", "threads"],
                  [[_num(rtf[k], ".3f") for k in (*RTF_STAGES, "total")] + [str(rtf["utterances"]), str(rtf["threads"])]])


def _speech_decoding(report: dict) -> list[str]:
    how = report.get("speech_decoding")
    if how is None:
        return []
    if how == "greedy":
        return ["Speech tokens: greedy."]
    return [f"Speech tokens: sampled at temperature {how['temperature']} from the top {how['top_k']} (seed {how['seed']})."]


def _meta_value(v: object) -> str:
    """A meta entry in words: {"text": 1.5, "test-noisy": {"text": 2.0}} -> "text 1.5, test-noisy (text 2.0)"."""
    if isinstance(v, dict):
        return ", ".join(f"{k} ({_meta_value(x)})" if isinstance(x, dict) else f"{k} {x}" for k, x in v.items())
    return str(v)


def markdown(report: dict) -> str:
    """The whole report as Markdown: one section per task that was evaluated."""
    parts = ["# Evaluation report", ""]
    if meta := report.get("meta"):
        parts += [f"- {k}: {_meta_value(v)}" for k, v in meta.items()] + [""]
    if report.get("conditions"):
        parts += ["## Test conditions side by side", "", conditions_table(report), "",
                  "test: held-out speakers; test-noisy: the same utterances with noise; test-unseen-synth: the test "
                  "sentences said by a synthesizer family that training never heard. Means over languages or pairs.",
                  ""]
    if report.get("asr") or report.get("lid"):
        parts += ["## ASR and language identification", "", asr_table(report), "",
                  f"WER/CER: jiwer on normalised text ({NORMALISATION}).", ""]
    if report.get("ast") or report.get("mt") or report.get("cascade", {}).get("ast"):
        parts += ["## Speech translation (AST), the cascade and MT", "", translation_table(report), ""]
        if report.get("ast") and report.get("ast_task") == "ASR AST":
            parts += ["AST is decoded through the combined task `[ASR AST X Y]`: the transcript, then the translation.", ""]
        if sig := _signature(report):
            parts += [f"Signatures: {sig}.", ""]
    if report.get("long", {}).get("languages"):
        pause = report["long"]["pause"]
        parts += ["## Speech of several sentences", "", long_table(report), "",
                  f"Each utterance is 2 or 3 test recordings of one speaker joined with {pause:g} s of silence between "
                  "them (seconds: their mean length); the same recordings one by one beside it.", ""]
    for task, title in (("s2st", "Speech-to-speech translation"), ("tts", "Text to speech")):
        if report.get(task):
            parts += [f"## {title}", "", speech_table(report, task), "",
                      "Voice similarity: Resemblyzer cosine to the source speaker's ground truth; ceiling: the "
                      "source speaker's other utterance; floor: another speaker saying the same words.",
                      *_speech_decoding(report), ""]
            if report.get("speech_from") == "text":
                parts += ["The output speech is the speech stage's text-to-unit model saying the text (for S2ST, the "
                          "translation the model wrote); the row lm is the language model's own speech tokens.", ""]
            if (strength := report.get("voice_strength")) is not None and strength != 1:
                parts += [f"The acoustic model rendered every row with {strength:g} of the voice prompt's speaker "
                          "vector (`voice_strength`; 1: all of it).", ""]
            if task == "s2st" and report.get("s2st_task") == "ASR AST S2ST":
                parts += [f"S2ST{' (lm)' if report.get('speech_from') == 'text' else ''} is decoded through the "
                          "combined task `[ASR AST S2ST X Y]`: the transcript, the translation, then its speech.", ""]
    skipped = [(name, item) for name, r in [(report.get("split", "test"), report), *report.get("conditions", {}).items()]
               for item in r.get("skipped", [])]
    if skipped:
        parts += ["## Skipped", "", f"{len(skipped)} unreadable recording(s) were not scored:", "",
                  *(f"- {name}: {item}" for name, item in skipped), ""]
    if report.get("codec_resynthesis"):
        parts += ["## Codec resynthesis (ground-truth audio, encoded and decoded)", "", codec_table(report), ""]
    if report.get("real_time_factor"):
        parts += ["## S2ST real-time factor (seconds per second of source speech, batch 1)", "", rtf_table(report), ""]
    return "\n".join(parts)


def _signature(report: dict) -> str | None:
    for source in (report.get("ast", {}), report.get("cascade", {}).get("ast", {}), report.get("mt", {})):
        for r in source.values():
            return r["signature"]
    return None


def plot(report: dict, folder: Path) -> list[Path]:
    """PNG plots of whatever the report holds: asr.png, translation.png, speech.png, rtf.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in (("asr", _plot_asr), ("translation", _plot_translation), ("speech", _plot_speech),
                       ("rtf", _plot_rtf)):
        fig = draw(report, plt)
        if fig is not None:
            fig.tight_layout()
            fig.savefig(folder / f"{name}.png", dpi=110)
            plt.close(fig)
            written.append(folder / f"{name}.png")
    return written


def _plot_asr(report: dict, plt):
    asr = report.get("asr", {})
    if not asr:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.5))
    langs = list(asr)
    ax.bar([x - 0.2 for x in range(len(langs))], [100 * asr[lang]["wer"] for lang in langs], 0.4, label="WER")
    ax.bar([x + 0.2 for x in range(len(langs))], [100 * asr[lang]["cer"] for lang in langs], 0.4, label="CER")
    ax.set_xticks(range(len(langs)), langs)
    ax.set_ylabel("%")
    ax.set_title("ASR error rates (lower is better)")
    ax.legend()
    return fig


def _plot_translation(report: dict, plt):
    ast, cascade, mt = report.get("ast", {}), report.get("cascade", {}).get("ast", {}), report.get("mt", {})
    pairs = list(dict.fromkeys([*ast, *cascade, *mt]))
    if not pairs:
        return None
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(pairs) + 2), 3.8))
    systems = [(label, src) for label, src in (("AST", ast), ("cascade", cascade), ("MT, gold text", mt)) if src]
    width = 0.8 / len(systems)
    for i, (label, source) in enumerate(systems):
        xs = [x + (i - (len(systems) - 1) / 2) * width for x in range(len(pairs))]
        ax.bar(xs, [source.get(p, {}).get("bleu", 0.0) for p in pairs], width, label=label)
    zero = {p for p in pairs if (ast.get(p) or cascade.get(p) or mt[p])["zero_shot"]}
    ax.set_xticks(range(len(pairs)), [p + ("*" if p in zero else "") for p in pairs], rotation=45)
    ax.set_ylabel("BLEU")
    ax.set_title("Translation BLEU per pair (* zero-shot)")
    ax.legend()
    return fig


def _plot_speech(report: dict, plt):
    rows = [(f"S2ST {k}", r) for k, r in report.get("s2st", {}).items()]
    rows += [(f"TTS {k}", r) for k, r in report.get("tts", {}).items()]
    if not rows:
        return None
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(max(8, 1.2 * len(rows) + 4), 3.8))
    xs = range(len(rows))
    for key, marker, label in (("floor", "v", "floor (other speaker)"), ("ceiling", "^", "ceiling (same speaker)"),
                               ("oracle", "s", "gold tokens"), ("cascade", "D", "cascade"), ("output", "o", "output")):
        ys = [r["similarity"].get(key, float("nan")) for _, r in rows]
        if not all(math.isnan(y) for y in ys):
            ax1.plot(xs, ys, marker, label=label, markersize=8)
    ax1.set_xticks(list(xs), [k for k, _ in rows], rotation=45)
    ax1.set_ylabel("Resemblyzer cosine")
    ax1.set_title("Voice similarity")
    lo, hi = ax1.get_ylim()
    ax1.set_ylim(lo, hi + 0.3 * (hi - lo))  # headroom: the legend never covers a point
    ax1.legend(fontsize=7, loc="upper center", ncol=3)
    systems = [s for s in ("output", "cascade", "oracle", "reference") if any(s in r["dnsmos"] for _, r in rows)]
    width = 0.8 / len(systems)
    for i, s in enumerate(systems):
        ax2.bar([x + (i - (len(systems) - 1) / 2) * width for x in xs],
                [r["dnsmos"].get(s, {}).get("ovrl", 0.0) for _, r in rows], width, label=s)
    ax2.set_xticks(list(xs), [k for k, _ in rows], rotation=45)
    ax2.set_ylim(1, 5)
    ax2.set_ylabel("DNSMOS overall")
    ax2.set_title("Quality")
    ax2.legend(fontsize=7)
    return fig


def _plot_rtf(report: dict, plt):
    rtf = report.get("real_time_factor")
    if not rtf:
        return None
    fig, ax = plt.subplots(figsize=(6, 2.8))
    left = 0.0
    for stage in RTF_STAGES:
        ax.barh([0], [rtf[stage]], left=left, label=stage)
        left += rtf[stage]
    ax.set_yticks([])
    ax.set_xlabel("seconds of compute per second of speech")
    ax.set_title(f"S2ST real-time factor: {rtf['total']:.3f}")
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.6))
    return fig


def write_report(report: dict, folder: Path) -> list[Path]:
    """REPORT/results.json, REPORT/results.md and the plots; returns the files written."""
    from audiopalm.data.manifest import write_json, write_text_atomic

    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "results.json", report)
    plots = plot(report, folder)
    links = "".join(f"![{p.stem}]({p.name})\n\n" for p in plots)
    write_text_atomic(folder / "results.md", markdown(report) + (f"\n## Plots\n\n{links}" if links else ""))
    return [folder / "results.json", folder / "results.md", *plots]
