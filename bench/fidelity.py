"""Fidelity benchmark: how closely each student follows the teacher, by distillation method.

    python bench/fidelity.py [--quick] [--seeds 3]

Trains the default teacher on mnist5k once, then fits every student with every method and
prints Markdown tables of test accuracy, agreement with the teacher (fidelity), size and fit
time; then the research rows for the region tree (temperature, transfer-set kind, growers,
feature banks chosen on validation data, TREPAN-style focused sampling, fitting logits).
One seed of the teacher; 1,000 test digits, so about +-1 point of noise per number.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from distill.config import TeacherConfig, data_defaults
from distill.data import load_dataset
from distill.distillation import Targets, fit_student, make_targets
from distill.features import make_rects, rect_means, region_rects
from distill.metrics import accuracy, agreement
from distill.students import make_student, walk
from distill.summary import markdown_table
from distill.teacher import train_teacher
from distill.transfer import make_transfer_set

STUDENTS = [("tree", {}), ("tree", {"max_leaf_nodes": 64}), ("pixel-tree", {}),
            ("soft-tree", {}), ("gaussian-nb", {}), ("bernoulli-nb", {}),
            ("multinomial-nb", {}), ("linear", {})]
SECTIONS = ("grid", "research", "soft-tree", "soft-tree-seeds", "digits", "straighten",
            "leaves", "fashion")
STRAIGHTENED = ["tree", "gaussian-nb", "bernoulli-nb", "multinomial-nb", "linear"]


def size_of(student) -> str:
    s = student.size()
    return f"{s['leaves']} leaves" if "leaves" in s else f"{s['parameters']:,} params"


def fit_row(name: str, params: dict, targets: Targets, data, teacher_test, label: str,
            seed: int = 0) -> dict:
    student = make_student(name, n_classes=10, random_state=seed, **params)
    seconds = fit_student(student, targets)
    proba = student.predict_proba(data.x_test)
    shown = name + ("" if not params else " " + ",".join(f"{k}={v}" for k, v in params.items()))
    return {"student": shown, "method": label, "accuracy": accuracy(data.y_test, proba),
            "agreement": agreement(teacher_test, proba), "size": size_of(student),
            "seconds": seconds, "fit samples": len(targets.x)}


def main_grid(data, teacher, teacher_test, k: int, temperature: float, quick: bool,
              only: set[str] | None = None) -> str:
    def transfer(kind, labels):
        return make_targets("transfer", data.x_train, data.y_train, teacher, temperature, kind,
                            k, 0, labels)

    methods = [("ground-truth", make_targets("ground-truth", data.x_train, data.y_train)),
               ("hard", make_targets("hard", data.x_train, data.y_train, teacher)),
               (f"soft T={temperature:g}", make_targets("soft", data.x_train, data.y_train,
                                                         teacher, temperature)),
               (f"transfer elastic {k}x, auto labels T={temperature:g} (default)",
                transfer("elastic", "auto"))]
    if not quick:
        methods += [(f"transfer elastic {k}x, hard labels", transfer("elastic", "hard")),
                    (f"transfer munge {k}x, auto labels", transfer("munge", "auto")),
                    (f"transfer jitter {k}x, auto labels", transfer("jitter", "auto")),
                    (f"transfer mixup {k}x, auto labels", transfer("mixup", "auto"))]
    rows = []
    for name, params in STUDENTS:
        if only and name not in only:
            continue
        for label, targets in methods:
            if name == "pixel-tree" and targets.soft and not targets.argmax_for_others:
                continue  # multi-output regression on 44k x 784 x 10: minutes, and no better
            rows.append(fit_row(name, params, targets, data, teacher_test, label))
            print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return markdown_table(rows, ["student", "method", "accuracy", "agreement", "size",
                                 "seconds", "fit samples"])


def research(data, teacher, teacher_test, k: int, seeds: int) -> str:
    rows = []

    def add(label, targets, name="tree", params=None, seed=0):
        rows.append(fit_row(name, params or {}, targets, data, teacher_test, label, seed))
        print(".", end="", file=sys.stderr, flush=True)

    # temperature and transfer seeds on the default transfer set
    for seed in range(seeds):
        synthetic = make_transfer_set(data.x_train, "elastic", k, seed)
        x = np.concatenate([data.x_train, synthetic])
        add(f"elastic {k}x hard, transfer seed {seed}", Targets(x, teacher.predict(x)))
        for t in (1.0, 4.0):
            add(f"elastic {k}x soft T={t:g}, transfer seed {seed}",
                Targets(x, teacher.predict_proba(x, t)))
    x = np.concatenate([data.x_train, make_transfer_set(data.x_train, "elastic", k, 0)])
    soft = Targets(x, teacher.predict_proba(x, 4.0))
    # growers and criteria
    add(f"elastic {k}x soft T=4, gini", soft, "tree", {"criterion": "gini"})
    add(f"elastic {k}x hard, scikit-learn's exact grower", Targets(x, teacher.predict(x)),
        "tree", {"algorithm": "exact"})
    x2 = np.concatenate([data.x_train, make_transfer_set(data.x_train, "elastic", 2 * k, 0)])
    add(f"elastic {2 * k}x soft T=4", Targets(x2, teacher.predict_proba(x2, 4.0)))
    # feature banks, chosen on a validation split of the train set (teacher labels)
    rows.append(bank_choice(data, teacher, teacher_test))
    # TREPAN-style: draw more samples where the first tree disagrees with the teacher
    rows.append(focused_sampling(data, teacher, teacher_test, k))
    # fitting the teacher's logits (regression) instead of labels, train set only
    rows.append(logit_regression(data, teacher, teacher_test))
    print(file=sys.stderr)
    return markdown_table(rows, ["student", "method", "accuracy", "agreement", "size",
                                 "seconds", "fit samples"])


def bank_choice(data, teacher, teacher_test) -> dict:
    """Pick pixels / regions / regions+pixels by agreement on 20% of the train set."""
    from distill.features import pixel_rects
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(data.x_train))
    val, fit = idx[:800], idx[800:]
    y = teacher.predict(data.x_train)
    banks = {"pixels": make_rects("pixels", (28, 28)), "regions": region_rects(28, 28),
             "regions+pixels": np.concatenate([region_rects(28, 28), pixel_rects(28, 28)])}
    scores = {}
    from distill.students.hist_tree import grow_tree
    for name, rects in banks.items():
        arrays = grow_tree(rect_means(data.x_train[fit], rects), y[fit], max_leaf_nodes=256,
                           n_classes=10)
        pred = _predict(arrays, rect_means(data.x_train[val], rects))
        scores[name] = float(np.mean(pred == y[val]))
    best = max(scores, key=scores.get)
    start = time.perf_counter()
    arrays = grow_tree(rect_means(data.x_train, banks[best]), y, max_leaf_nodes=256, n_classes=10)
    pred = _predict(arrays, rect_means(data.x_test, banks[best]))
    return {"student": f"tree ({best})", "method": "hard, bank chosen on validation "
            f"({', '.join(f'{k} {v:.1%}' for k, v in scores.items())})",
            "accuracy": float(np.mean(pred == data.y_test)),
            "agreement": float(np.mean(pred == teacher_test.argmax(1))),
            "size": f"{int((arrays['children_left'] < 0).sum())} leaves",
            "seconds": time.perf_counter() - start, "fit samples": len(y)}


def _predict(arrays, feats) -> np.ndarray:
    leaves = walk(arrays["children_left"], arrays["children_right"], arrays["feature"],
                  arrays["threshold"], feats)
    return arrays["value"][leaves].argmax(1)


def focused_sampling(data, teacher, teacher_test, k: int) -> dict:
    """Fit, find training digits whose elastic variants the tree gets wrong, add more of those."""
    x = np.concatenate([data.x_train, make_transfer_set(data.x_train, "elastic", k, 0)])
    first = make_student("tree", n_classes=10)
    fit_student(first, Targets(x, teacher.predict_proba(x, 4.0)))
    pool = make_transfer_set(data.x_train, "elastic", 3, 5)
    wrong = np.flatnonzero(first.predict(pool) != teacher.predict(pool)) % len(data.x_train)
    hard_cases = data.x_train[np.unique(wrong)]
    extra = make_transfer_set(hard_cases, "elastic", max(1, (k * len(data.x_train)) //
                                                         max(1, len(hard_cases))), 6)
    xx = np.concatenate([x, extra])
    row = fit_row("tree", {}, Targets(xx, teacher.predict_proba(xx, 4.0)), data, teacher_test,
                  f"elastic {k}x + {len(extra)} focused on {len(hard_cases)} hard digits, T=4")
    print(".", end="", file=sys.stderr, flush=True)
    return row


def logit_regression(data, teacher, teacher_test) -> dict:
    """A regression tree on the teacher's logits (train set), predicting their argmax."""
    from sklearn.tree import DecisionTreeRegressor
    rects = region_rects(28, 28)
    start = time.perf_counter()
    model = DecisionTreeRegressor(max_leaf_nodes=256, random_state=0).fit(
        rect_means(data.x_train, rects), teacher.logits(data.x_train))
    pred = model.predict(rect_means(data.x_test, rects)).argmax(1)
    return {"student": "tree (regions, regression)", "method": "teacher logits, train set",
            "accuracy": float(np.mean(pred == data.y_test)),
            "agreement": float(np.mean(pred == teacher_test.argmax(1))),
            "size": f"{model.get_n_leaves()} leaves", "seconds": time.perf_counter() - start,
            "fit samples": len(data.x_train)}


def soft_tree_depths(data, teacher, teacher_test, k: int, temperature: float) -> str:
    """Depth 2 to 8: true labels beside distilled (elastic, soft T), straightened digits
    (the default) and raw pixels."""
    x = np.concatenate([data.x_train, make_transfer_set(data.x_train, "elastic", k, 0)])
    distilled = Targets(x, teacher.predict_proba(x, temperature))
    truth = Targets(data.x_train, data.y_train)
    method = f"elastic {k}x, soft T={temperature:g}"
    rows = []
    for depth in range(2, 9):
        base = fit_row("soft-tree", {"depth": depth}, truth, data, teacher_test, "ground-truth")
        raw = fit_row("soft-tree", {"depth": depth, "deskew": False}, distilled, data,
                      teacher_test, method)
        dist = fit_row("soft-tree", {"depth": depth}, distilled, data, teacher_test, method)
        rows.append({"depth": depth, "leaves": 2 ** depth,
                     "agreement, true labels": base["agreement"],
                     "agreement, distilled, raw pixels": raw["agreement"],
                     "agreement, distilled": dist["agreement"],
                     "accuracy, distilled": dist["accuracy"],
                     "seconds, distilled": dist["seconds"]})
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return markdown_table([{**r, **{c: f"{r[c]:.1%}" for c in r if "agreement" in c or
                                    "accuracy" in c}, "seconds, distilled":
                            f"{r['seconds, distilled']:.0f}"} for r in rows])


def soft_tree_seeds(data, teacher, teacher_test, k: int, temperature: float,
                    seeds: int) -> str:
    """The default depth-8 soft tree over transfer-set and training seeds (one test set of
    1,000 digits is +-0.7 points of noise at 95%, so one run cannot settle a target)."""
    rows = []
    for seed in range(seeds):
        x = np.concatenate([data.x_train, make_transfer_set(data.x_train, "elastic", k, seed)])
        distilled = Targets(x, teacher.predict_proba(x, temperature))
        for deskew in (False, True):
            r = fit_row("soft-tree", {"deskew": deskew}, distilled, data, teacher_test,
                        f"elastic {k}x seed {seed}, soft T={temperature:g}", seed)
            rows.append({"seed": seed, "reads": "straightened" if deskew else "raw pixels",
                         "agreement": r["agreement"], "accuracy": r["accuracy"],
                         "seconds": r["seconds"]})
            print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    for reads in ("raw pixels", "straightened"):
        mine = [r for r in rows if r["reads"] == reads]
        rows.append({"seed": "mean", "reads": reads,
                     **{c: float(np.mean([r[c] for r in mine]))
                        for c in ("agreement", "accuracy", "seconds")}})
    return markdown_table(rows)  # formats agreement, accuracy and seconds itself


# Xiao, Rasul & Vollgraf 2017, Table 3: the best test accuracy of each scikit-learn classifier
PAPER = {"tree": 0.798, "gaussian-nb": 0.511, "linear": 0.842}
FASHION_STUDENTS = [("tree", {}), ("soft-tree", {}), ("gaussian-nb", {}), ("bernoulli-nb", {}),
                    ("multinomial-nb", {}), ("linear", {})]


def fashion(temperature: float, epochs: int, size: int) -> str:
    """Full Fashion-MNIST: the CNN teacher with the data set's jitter, then every student on the
    true labels and distilled (elastic transfer set, ``size`` copies), beside Xiao et al.'s
    Table 3."""
    from distill.data import DATASETS, DataError
    try:
        data = load_dataset("fashion-mnist")
    except DataError as err:
        return f"(skipped: {err})"
    teacher, hist = train_teacher(TeacherConfig(epochs=epochs), data.x_train, data.y_train,
                                  data.x_test, data.y_test, 10,
                                  jitter=DATASETS["fashion-mnist"].jitter)
    print(f"teacher: {epochs} epochs, test accuracy by epoch "
          f"{', '.join(f'{a:.1%}' for a in hist.test_accuracy)} ({hist.seconds:.0f} s)",
          file=sys.stderr, flush=True)
    teacher_test = teacher.predict_proba(data.x_test)
    rows = [{"model": f"teacher (cnn, {epochs} epochs, {DATASETS['fashion-mnist'].jitter} "
                      "jitter)",
             "accuracy": f"{hist.test_accuracy[-1]:.1%}", "agreement": "100.0%", "paper": "",
             "size": f"{teacher.n_parameters:,} params", "seconds": f"{hist.seconds:.0f}"}]
    methods = (("true labels", Targets(data.x_train, data.y_train)),
               (f"distilled (elastic x{size}, T={temperature:g})",
                make_targets("transfer", data.x_train, data.y_train, teacher, temperature,
                             "elastic", size, 0, "auto")))
    for name, params in FASHION_STUDENTS:
        for label, targets in methods:
            r = fit_row(name, {**data_defaults(name, "fashion-mnist"), **params}, targets, data,
                        teacher_test, label)
            paper = PAPER.get(name) if label == "true labels" else None
            rows.append({"model": f"{name}, {label}", "accuracy": f"{r['accuracy']:.1%}",
                         "agreement": f"{r['agreement']:.1%}",
                         "paper": f"{paper:.1%}" if paper else "", "size": r["size"],
                         "seconds": f"{r['seconds']:.0f}"})
            print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return markdown_table(rows)


def digits_deskew(temperature: float, k: int, seeds: int) -> str:
    """8x8 digits: a depth-6 soft tree reading raw pixels beside straightened ones."""
    data = load_dataset("digits")
    rows = []
    for seed in range(seeds):
        cfg = TeacherConfig(seed=seed)
        teacher, _ = train_teacher(cfg, data.x_train, data.y_train, data.x_test, data.y_test,
                                   10)
        teacher_test = teacher.predict_proba(data.x_test)
        x = np.concatenate([data.x_train,
                            make_transfer_set(data.x_train, "elastic", k, seed)])
        distilled = Targets(x, teacher.predict_proba(x, temperature))
        for deskew in (False, True):
            r = fit_row("soft-tree", {"depth": 6, "deskew": deskew}, distilled, data,
                        teacher_test, "distilled", seed)
            rows.append({"seed": seed, "reads": "straightened" if deskew else "raw pixels",
                         "agreement": r["agreement"], "accuracy": r["accuracy"]})
    for reads in ("raw pixels", "straightened"):
        mine = [r for r in rows if r["reads"] == reads]
        rows.append({"seed": "mean", "reads": reads,
                     **{c: float(np.mean([r[c] for r in mine])) for c in ("agreement",
                                                                           "accuracy")}})
    return markdown_table(rows)


def straighten(dataset: str, temperature: float, k: int, seeds: int,
               teacher=None) -> str:
    """Every student but the soft tree (measured above) on raw or straightened digits, the
    default distillation (elastic transfer set, auto labels), over ``seeds`` transfer-set
    seeds; for 8x8 digits each seed also trains its own teacher."""
    data = load_dataset(dataset)
    rows = []
    for seed in range(seeds):
        if teacher is None or dataset == "digits":
            teacher, _ = train_teacher(TeacherConfig(seed=seed), data.x_train, data.y_train,
                                       data.x_test, data.y_test, 10)
        teacher_test = teacher.predict_proba(data.x_test)
        targets = make_targets("transfer", data.x_train, data.y_train, teacher, temperature,
                               "elastic", k, seed, "auto")
        for name in STRAIGHTENED:
            for deskew in (False, True):
                r = fit_row(name, {"deskew": deskew}, targets, data, teacher_test, "", seed)
                rows.append({"student": name, "seed": seed, "deskew": deskew,
                             "agreement": r["agreement"], "accuracy": r["accuracy"],
                             "seconds": r["seconds"]})
                print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    table = []
    for name in STRAIGHTENED:
        raw = [r for r in rows if r["student"] == name and not r["deskew"]]
        straight = [r for r in rows if r["student"] == name and r["deskew"]]
        gain = np.mean([b["agreement"] - a["agreement"] for a, b in zip(raw, straight)])
        table.append({"student": name,
                      "agreement, raw": float(np.mean([r["agreement"] for r in raw])),
                      "agreement, straightened": float(np.mean([r["agreement"]
                                                                for r in straight])),
                      "gain (points)": f"{gain * 100:+.1f}",
                      "per seed": " ".join(f"{(b['agreement'] - a['agreement']) * 100:+.1f}"
                                           for a, b in zip(raw, straight)),
                      "accuracy, raw": float(np.mean([r["accuracy"] for r in raw])),
                      "accuracy, straightened": float(np.mean([r["accuracy"]
                                                               for r in straight]))})
    return markdown_table([{**r, **{c: f"{r[c]:.1%}" for c in r
                                    if c.startswith(("agreement,", "accuracy,"))}}
                           for r in table])


def leaf_probabilities(data, teacher, teacher_test, temperature: float, k: int,
                       seeds: int) -> str:
    """What a distilled tree's leaves hold: the softened targets it was grown on ("fitted")
    or the teacher's own probabilities over the digits reaching each leaf ("teacher"). One
    fit per seed and kind; the other variant is the same tree with its leaves refitted."""
    import copy

    from distill.metrics import mean_kl, top2_agreement
    rows = []
    for seed in range(seeds):
        targets = make_targets("transfer", data.x_train, data.y_train, teacher, temperature,
                               "elastic", k, seed, "auto")
        for name in ("tree", "soft-tree"):
            fitted = make_student(name, n_classes=10, random_state=seed,
                                  **data_defaults(name, "mnist5k"))
            fit_student(fitted, targets, leaves="fitted")
            honest = copy.deepcopy(fitted).refit_leaves(targets.x, targets.sharpened())
            for leaves, student in (("fitted", fitted), ("teacher", honest)):
                proba = student.predict_proba(data.x_test)
                rows.append({"student": name, "leaves": leaves, "seed": seed,
                             "agreement": agreement(teacher_test, proba),
                             "top-2": top2_agreement(teacher_test, proba),
                             "KL": mean_kl(teacher_test, proba),
                             "accuracy": accuracy(data.y_test, proba),
                             "shown probability": float(proba.max(1).mean())})
                print(rows[-1], file=sys.stderr, flush=True)  # kept should the table fail
    print(file=sys.stderr)
    table = []
    for name in ("tree", "soft-tree"):
        for leaves in ("fitted", "teacher"):
            mine = [r for r in rows if r["student"] == name and r["leaves"] == leaves]
            mean = {c: float(np.mean([r[c] for r in mine])) for c in
                    ("agreement", "top-2", "KL", "accuracy", "shown probability")}
            table.append({"student": name, "leaves": leaves,
                          **{c: f"{v:.1%}" for c, v in mean.items() if c != "KL"},
                          "KL": f"{mean['KL']:.3f}"})
    return markdown_table(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer methods, no research rows")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated, from: {', '.join(SECTIONS)}")
    parser.add_argument("--seeds", type=int, default=3,
                        help="transfer-set seeds (research, soft-tree-seeds)")
    parser.add_argument("--students", default="",
                        help="comma-separated students for the grid (default: all)")
    parser.add_argument("--size", type=int, default=10, help="transfer-set copies")
    parser.add_argument("--temperature", type=float, default=4.0)
    parser.add_argument("--fashion-epochs", type=int, default=TeacherConfig().epochs,
                        help="teacher epochs on full Fashion-MNIST")
    parser.add_argument("--fashion-size", type=int, default=1,
                        help="transfer-set copies on full Fashion-MNIST")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    data = load_dataset("mnist5k")
    teacher, hist = train_teacher(TeacherConfig(), data.x_train, data.y_train, data.x_test,
                                  data.y_test, 10)
    teacher_test = teacher.predict_proba(data.x_test)
    print(f"Teacher: default cnn, {hist.test_accuracy[-1]:.1%} test accuracy "
          f"({hist.seconds:.0f} s).\n", flush=True)
    if "grid" in sections:
        print("## Every student x method (mnist5k, agreement = fidelity to the teacher)\n")
        only = set(filter(None, args.students.split(",")))
        print(main_grid(data, teacher, teacher_test, args.size, args.temperature, args.quick,
                        only), flush=True)
    if "research" in sections and not args.quick:
        print("\n## Research: the 256-leaf region tree\n")
        print(research(data, teacher, teacher_test, args.size, args.seeds), flush=True)
    if "soft-tree" in sections:
        print("\n## Soft decision tree by depth (mnist5k)\n")
        print(soft_tree_depths(data, teacher, teacher_test, args.size, args.temperature),
              flush=True)
    if "soft-tree-seeds" in sections and not args.quick:
        print("\n## The default soft tree over seeds (mnist5k, depth 8)\n")
        print(soft_tree_seeds(data, teacher, teacher_test, args.size, args.temperature,
                              args.seeds), flush=True)
    if "digits" in sections and not args.quick:
        print("\n## 8x8 digits: the soft tree on raw or straightened pixels (depth 6)\n")
        print(digits_deskew(args.temperature, args.size, args.seeds), flush=True)
    if "straighten" in sections:
        for dataset in ("mnist5k", "digits"):
            print(f"\n## Straightened digits for every student ({dataset}, {args.seeds} "
                  "seeds, mean agreement)\n")
            print(straighten(dataset, args.temperature, args.size, args.seeds,
                             teacher if dataset == "mnist5k" else None), flush=True)
    if "leaves" in sections:
        print(f"\n## What a distilled tree's leaves hold (mnist5k, {args.seeds} seeds, mean)\n")
        print(leaf_probabilities(data, teacher, teacher_test, args.temperature, args.size,
                                 args.seeds), flush=True)
    if "fashion" in sections and not args.quick:
        print("\n## Full Fashion-MNIST (60k / 10k)\n")
        print(fashion(args.temperature, args.fashion_epochs, args.fashion_size), flush=True)


if __name__ == "__main__":
    main()
