"""Recipe: a grid of finetuning runs, several seeds each, evaluated and summarised (`audiopalm experiment run`).

    setup    artifacts the variants share (a second tokenizer, text LMs of other sizes), each made by
             a stage of recipes/stages.py from its config unless the file it creates exists
    train    every (variant, seed): the base finetuning config with the variant's overrides, in
             OUT/VARIANT/seed-N (resumable: a finished run is skipped, a paused one continues)
             (a variant's `runs_dir: DIR` puts its runs in DIR/seed-N instead, so experiments that share
             a configuration, the baseline of several ablations, train it once)
    eval     RUN/eval-HASH/ (results.json, results.md, plots), once per run and eval settings
    cleanup  OUT/summary.json and OUT/summary.md: each headline metric's mean and standard deviation
             over seeds, per variant, beside the paper's result

A file looks like (configs/experiments/*.yaml):

    name: text pretraining vs scratch
    base: configs/babel-small.yaml        # the finetuning config every variant starts from
    out: runs/experiments/pretraining
    seeds: [0, 1, 2]
    common: {train: {steps: 300}}         # overrides of the base config for every variant
    eval: {per_language: 50, targets: [en], pairs: [de-it, it-de], tasks: [asr, ast]}
    variants:
      text-pretrained: {runs_dir: runs/experiments/baseline}  # runs shared with other experiments
      scratch: {from_scratch: true}       # finetuning config keys; `eval:` inside a variant overrides eval
    paper: {text-pretrained: "AST BLEU 18.4", scratch: "AST BLEU 6.9"}
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from audiopalm.config import build, help_field, load_yaml
from audiopalm.errors import AudiopalmError
from audiopalm.recipes.finetune import FinetuneConfig, finetune, load_config

HEADLINES = ("ASR WER %", "AST BLEU", "AST chrF", "AST BLEU zero-shot", "AST BLEU X-en", "dev loss")


@dataclass
class EvalSettings:
    per_language: int = 50  # test utterances per language
    targets: list[str] = field(default_factory=lambda: ["en"])  # AST target languages
    pairs: list[str] = field(default_factory=list)  # more "src-tgt" pairs (zero-shot ones, say)
    tasks: list[str] = field(default_factory=lambda: ["asr", "ast"])  # of asr, ast, mt, lid
    ast_task: str = "AST"  # "ASR AST": translate through the combined task
    jobs: int = 2  # tokenization processes


@dataclass
class SetupStep:
    creates: str  # the file whose existence means the step is done
    stage: str  # a stage of recipes/stages.py: pretrain-text, tokenizer, codec, ...
    config: dict  # its config's keys (the same as the command's flags, nested ones as mappings)


@dataclass
class ExperimentConfig:
    name: str
    base: str  # finetuning config (YAML) every variant starts from
    out: str  # experiment folder
    variants: dict[str, dict]  # name -> finetuning config overrides (and an optional `eval:` override)
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    common: dict = field(default_factory=dict)  # finetuning config overrides for every variant (train: key by key)
    eval: dict = field(default_factory=dict)  # EvalSettings fields
    setup: list[dict] = field(default_factory=list)  # SetupStep fields
    paper: dict[str, str] = field(default_factory=dict)  # variant -> the paper's corresponding result
    question: str = ""  # what the experiment asks, for the summary
    expect: dict = field(default_factory=dict)  # the paper's direction: {order: [worst..best], metrics: {m: higher|lower}}

    @classmethod
    def from_dict(cls, d: dict) -> ExperimentConfig:
        names = {f.name for f in fields(cls)}
        if unknown := set(d) - names:
            raise AudiopalmError(f"unknown experiment keys: {', '.join(sorted(unknown))}; known: {', '.join(sorted(names))}")
        if missing := {"name", "base", "out", "variants"} - set(d):
            raise AudiopalmError(f"experiment file lacks: {', '.join(sorted(missing))}")
        cfg = cls(**d)
        if not cfg.variants or not cfg.seeds:
            raise AudiopalmError("an experiment needs at least one variant and one seed")
        from audiopalm.recipes.stages import stage_config

        for d in cfg.setup:  # a bad setup step fails now, not after other steps trained
            step = build(SetupStep, d)
            stage_config(step.stage, step.config)
        cfg.eval_settings(next(iter(cfg.variants)))  # unknown eval keys fail now, not after training
        cfg.check_expect()
        return cfg

    def check_expect(self) -> None:
        if not self.expect:
            return
        order, metrics = self.expect.get("order", []), self.expect.get("metrics", {})
        if set(self.expect) - {"order", "metrics"} or len(order) < 2 or not metrics:
            raise AudiopalmError("expect: needs `order` (two or more variants, worst to best) and `metrics` (name: higher|lower)")
        if unknown := [v for v in order if v not in self.variants]:
            raise AudiopalmError(f"expect: unknown variants {', '.join(unknown)}")
        for metric, better in metrics.items():
            if metric not in HEADLINES or better not in ("higher", "lower"):
                raise AudiopalmError(f"expect: {metric}: {better} is not one of {', '.join(HEADLINES)}: higher|lower")

    def eval_settings(self, variant: str) -> EvalSettings:
        merged = {**self.eval, **self.variants[variant].get("eval", {})}
        known = {f.name for f in fields(EvalSettings)}
        if unknown := set(merged) - known:
            raise AudiopalmError(f"unknown eval keys: {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return EvalSettings(**merged)

    def run_dir(self, variant: str, seed: int) -> Path:
        return Path(self.variants[variant].get("runs_dir", Path(self.out) / variant)) / f"seed-{seed}"

    def run_config(self, variant: str, seed: int) -> FinetuneConfig:
        """The base finetuning config with this experiment's and the variant's overrides, for one seed."""
        base = asdict(load_config(Path(self.base)))
        variant_overrides = {k: v for k, v in self.variants[variant].items() if k not in ("eval", "runs_dir")}
        train = {**base["train"], **self.common.get("train", {}), **variant_overrides.get("train", {})}
        return FinetuneConfig.from_dict({**base, **self.common, **variant_overrides, "train": train, "seed": seed,
                                         "out": str(self.run_dir(variant, seed))})


def load_experiment(path: Path) -> ExperimentConfig:
    if not path.exists():
        raise AudiopalmError(f"experiment file {path} not found")
    return ExperimentConfig.from_dict(load_yaml(path))


def run_setup(cfg: ExperimentConfig) -> None:
    from audiopalm.recipes.stages import run_stage

    for step in (build(SetupStep, d) for d in cfg.setup):
        if Path(step.creates).exists():
            continue
        print(f"setup: {step.stage} {step.config}")
        run_stage(step.stage, step.config)
        if not Path(step.creates).exists():
            raise AudiopalmError(f"setup step {step.stage} did not create {step.creates}")


def eval_folder(run_dir: Path, ev: EvalSettings) -> Path:
    """RUN/eval-HASH: one folder per run and eval settings (the number of processes aside), so a run
    shared by two experiments is evaluated once per distinct evaluation."""
    settings = {k: v for k, v in asdict(ev).items() if k != "jobs"}
    return run_dir / f"eval-{hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]}"


def final_dev_loss(run_dir: Path) -> float | None:
    """The last dev loss in RUN/log.csv (ASR and AST targets of the dev set), None if none was measured."""
    import csv

    path = run_dir / "log.csv"
    if not path.exists():
        return None
    with path.open() as f:
        losses = [row["dev_loss"] for row in csv.DictReader(f) if row.get("dev_loss")]
    return float(losses[-1]) if losses else None


def evaluate_run(cfg: ExperimentConfig, variant: str, run: FinetuneConfig) -> dict:
    """RUN/eval-HASH/results.json, made once."""
    from audiopalm.evaluation.report import write_report
    from audiopalm.evaluation.unified import evaluate_unified

    ev = cfg.eval_settings(variant)
    folder = eval_folder(Path(run.out), ev)
    if (folder / "results.json").exists():
        return json.loads((folder / "results.json").read_text())
    report = evaluate_unified(Path(run.out) / "model", Path(run.data), ev.per_language, tuple(ev.targets), ev.jobs,
                              tuple(ev.pairs), frozenset(ev.tasks), ast_task=ev.ast_task)
    report["meta"] = {"experiment": cfg.name, "variant": variant, "seed": run.seed,
                      "dev_loss": final_dev_loss(Path(run.out))}
    write_report(report, folder)
    return report


def headline(report: dict) -> dict[str, float]:
    """The few numbers an ablation compares: mean ASR WER, mean AST BLEU/chrF of supervised pairs, mean
    BLEU of zero-shot pairs and of the pairs into English, and the final dev loss of training (teacher-
    forced ASR and AST targets: it separates models that still decode alike)."""
    ast = report.get("ast", {})
    supervised = [r for r in ast.values() if not r["zero_shot"]]
    out = {
        "ASR WER %": _mean([100 * r["wer"] for r in report.get("asr", {}).values()]),
        "AST BLEU": _mean([r["bleu"] for r in supervised]),
        "AST chrF": _mean([r["chrf"] for r in supervised]),
        "AST BLEU zero-shot": _mean([r["bleu"] for r in ast.values() if r["zero_shot"]]),
        "AST BLEU X-en": _mean([r["bleu"] for p, r in ast.items() if p.endswith("-en")]),
        "dev loss": report.get("meta", {}).get("dev_loss") or float("nan"),
    }
    return {k: v for k, v in out.items() if not math.isnan(v)}


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def summarise(cfg: ExperimentConfig, results: dict[str, dict[int, dict]], minutes: dict[str, float]) -> dict:
    """{variant: {metric: {"mean", "std", "values"}}} over seeds (std: sample standard deviation)."""
    summary = {}
    for variant, by_seed in results.items():
        per_metric: dict[str, list[float]] = {}
        for report in by_seed.values():
            for k, v in headline(report).items():
                per_metric.setdefault(k, []).append(v)
        summary[variant] = {k: {"mean": statistics.fmean(vs), "std": statistics.stdev(vs) if len(vs) > 1 else 0.0,
                                "values": vs} for k, vs in per_metric.items()}
        summary[variant]["seeds"] = sorted(by_seed)
        summary[variant]["train minutes per run"] = round(minutes.get(variant, float("nan")), 1)
    return summary


def directions(cfg: ExperimentConfig, summary: dict) -> dict[str, dict]:
    """Whether each expected metric moves the paper's way along `expect.order`, step by step: a step
    "held" when the difference of means, in the paper's direction, exceeds two standard errors
    (sqrt(s_a^2/n_a + s_b^2/n_b)), "reversed" when it exceeds them the other way, else "within noise".
    A metric holds when every step held, is reversed when any step is, else is within noise."""
    out = {}
    order = cfg.expect.get("order", [])
    for metric, better in cfg.expect.get("metrics", {}).items():
        steps = []
        for a, b in zip(order, order[1:]):
            sa, sb = summary.get(a, {}).get(metric), summary.get(b, {}).get(metric)
            if sa is None or sb is None:
                continue
            sign = 1.0 if better == "higher" else -1.0
            delta = sign * (sb["mean"] - sa["mean"])
            se = math.sqrt(sa["std"] ** 2 / len(sa["values"]) + sb["std"] ** 2 / len(sb["values"]))
            verdict = "held" if delta > 2 * se else "reversed" if delta < -2 * se else "within noise"
            steps.append({"from": a, "to": b, "change": sb["mean"] - sa["mean"], "standard_error": se, "verdict": verdict})
        if steps:
            verdicts = {st["verdict"] for st in steps}
            overall = "held" if verdicts == {"held"} else "reversed" if "reversed" in verdicts else "within noise"
            out[metric] = {"better": better, "verdict": overall, "steps": steps}
    return out


def directions_markdown(found: dict[str, dict]) -> list[str]:
    lines = []
    for metric, d in found.items():
        steps = "; ".join(f"{st['from']} -> {st['to']} {st['change']:+.2f} (s.e. {st['standard_error']:.2f}, {st['verdict']})"
                          for st in d["steps"])
        lines.append(f"- {metric} ({d['better']} is better in the paper): **{d['verdict']}**. {steps}")
    return lines


def summary_markdown(cfg: ExperimentConfig, summary: dict) -> str:
    metrics = [m for m in HEADLINES if any(m in s for s in summary.values())]
    lines = [f"### {cfg.name}", ""] + ([cfg.question, ""] if cfg.question else [])
    header = ["variant", *metrics, "seeds"] + (["paper"] if cfg.paper else [])
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for variant, s in summary.items():
        cells = [variant] + [_mean_std(s[m], 2 if m == "dev loss" else 1) if m in s else "-" for m in metrics]
        cells.append(str(len(s["seeds"])))
        if cfg.paper:
            cells.append(cfg.paper.get(variant, ""))
        lines.append("| " + " | ".join(cells) + " |")
    if found := directions(cfg, summary):
        lines += ["", f"The paper's direction, {' < '.join(cfg.expect['order'])}:", *directions_markdown(found)]
    return "\n".join(lines) + "\n"


def _mean_std(stat: dict, digits: int) -> str:
    return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"


def run_experiment(cfg: ExperimentConfig, max_minutes: float | None = None) -> dict | None:
    """Setup, then every (variant, seed) trained and evaluated; the summary once all are done (None if
    the time budget ran out first: run again to resume)."""
    started = time.time()
    run_setup(cfg)
    results: dict[str, dict[int, dict]] = {}
    minutes: dict[str, float] = {}
    for variant in cfg.variants:
        for seed in cfg.seeds:
            run = cfg.run_config(variant, seed)
            _check_same_run(run)
            if not (Path(run.out) / "model" / "config.json").exists():
                left = None if max_minutes is None else max_minutes - (time.time() - started) / 60
                if left is not None and left <= 0:
                    return None
                print(f"experiment {cfg.name}: training {variant} seed {seed} -> {run.out}")
                t0 = time.time()
                finetune(run, left)
                _record_minutes(Path(run.out), (time.time() - t0) / 60)
                if not (Path(run.out) / "model" / "config.json").exists():
                    return None  # paused by the time budget
            results.setdefault(variant, {})[seed] = evaluate_run(cfg, variant, run)
        minutes[variant] = _mean([_read_minutes(cfg.run_dir(variant, s)) for s in cfg.seeds])
    summary = summarise(cfg, results, minutes)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)  # every variant may live in a shared runs_dir
    (out / "summary.json").write_text(json.dumps({"name": cfg.name, "paper": cfg.paper, "variants": summary,
                                                  "directions": directions(cfg, summary)}, indent=2))
    (out / "summary.md").write_text(summary_markdown(cfg, summary))
    return summary


def _check_same_run(run: FinetuneConfig) -> None:
    """A run folder made by another configuration (a shared runs_dir whose experiments disagree) is an
    error, not a silent reuse."""
    stored = Path(run.out) / "finetune_config.json"
    if stored.exists() and json.loads(stored.read_text()) != json.loads(json.dumps(asdict(run))):
        raise AudiopalmError(f"{run.out} holds a run of another configuration ({stored}); give this variant "
                             "its own folder or the same settings")


def _record_minutes(run_dir: Path, minutes: float) -> None:
    """Training wall time of a run, summed over its resumed parts."""
    path = run_dir / "train_minutes.txt"
    previous = float(path.read_text()) if path.exists() else 0.0
    path.write_text(f"{previous + minutes:.2f}\n")


def _read_minutes(run_dir: Path) -> float:
    path = run_dir / "train_minutes.txt"
    return float(path.read_text()) if path.exists() else float("nan")


@dataclass
class ExperimentRunConfig:
    """`audiopalm experiment run`: experiment YAML files in order (each checked before anything trains)."""

    files: list[str] = help_field("experiment YAML (see configs/experiments/), run in order", metavar="FILE")
    max_minutes: float | None = help_field("pause after this long (resume by re-running)", None, min=0)


def run(cfg: ExperimentRunConfig) -> None:
    configs = [load_experiment(Path(f)) for f in cfg.files]  # every file is checked before anything trains
    started = time.time()
    for exp in configs:
        left = None if cfg.max_minutes is None else cfg.max_minutes - (time.time() - started) / 60
        summary = None if left is not None and left <= 0 else run_experiment(exp, left)
        if summary is None:
            print("paused; run the same command again to resume")
            return
        print(summary_markdown(exp, summary))
        print(f"summary: {Path(exp.out) / 'summary.md'}, {Path(exp.out) / 'summary.json'}")
