"""Train: choose data, teacher, students and method; start a job; watch it; cancel it."""

import pandas as pd
import streamlit as st

from distill.config import (
    NETS,
    RUN_PARAMS,
    TEACHER_PARAMS,
    ConfigError,
    RunConfig,
    StudentChoice,
    TeacherConfig,
    data_defaults,
    teacher_epochs,
    transfer_size_for,
)
from distill.data import DATASETS, dataset_available, known_datasets
from distill.datastore import imported
from distill.distillation import (
    AUTO_METHOD,
    BOUNDARY,
    LEAVES,
    METHOD_HELP,
    METHODS,
    TRANSFER_LABELS,
    TRANSFER_METHODS,
)
from distill.hosting import LIMITS, hosted_problems
from distill.jobs import ACTIVE
from distill.memory import BASE_BYTES, GB, available_bytes
from distill.memory import estimate as estimate_memory
from distill.params import ParamError
from distill.runs import RunError
from distill.students import DEFAULT_STUDENTS, STUDENTS
from distill.sweep import (
    DEFAULT_GRID,
    SWEEP_METHODS,
    SWEEP_PARAMS,
    StudentGrid,
    SweepConfig,
    parse_grid,
)
from distill.switches import uploads_allowed
from distill.transfer import AUTO, GENERATORS
from pages import _charts as charts
from pages import _own as own
from pages import _ui as ui

ui.require_frame()

TRANSFERS = (*TRANSFER_METHODS, AUTO_METHOD)  # the methods that make transfer sets

HOSTED = ui.hosted()
UPLOADS = uploads_allowed(HOSTED)  # your own data and network (off on a demo by default)
KEEP = {"persist_state": "session"}  # form values survive visits to other pages
RUN, TEACHER = RunConfig(), TeacherConfig()  # the defaults, from their one home

st.title("Train")
st.caption("A teacher network learns the digits; each student then learns from the teacher "
           "(and, for comparison, from the true labels alone).")


def data_set_changed() -> None:
    """A new data set starts from its own teacher epochs (more on Fashion-MNIST) and transfer
    set size (less on full MNIST)."""
    cap = TEACHER_PARAMS["epochs"].upper(HOSTED)
    st.session_state["epochs"] = int(min(teacher_epochs(st.session_state["dataset"]), cap))
    size_cap = RUN_PARAMS["transfer_size"].upper(HOSTED)
    st.session_state["size"] = int(min(transfer_size_for(st.session_state["dataset"]),
                                       size_cap))


def number(where, label: str, param, default, key: str, fmt: str | None = None,
           disabled: bool = False):
    """A number field for ``param``. A value over its bound (in the demo, the demo's cap) is
    set back to the bound with a note that says so, instead of lingering in red."""
    cap = param.upper(HOSTED)
    cast = int if param.kind == "int" else float

    def clamp() -> None:
        value = st.session_state.get(key)
        if value is not None and value > cap:
            st.session_state[key] = cast(cap)
            st.session_state[f"capped-{key}"] = value

    value = where.number_input(
        label, min_value=cast(param.low), max_value=None,
        value=None if default is None else cast(min(default, cap)), key=key, help=param.help,
        on_change=clamp, format=fmt or ("%d" if param.kind == "int" else "%.4g"),
        step=1 if param.kind == "int" else None, placeholder=param.none, disabled=disabled,
        **KEEP)
    asked = st.session_state.pop(f"capped-{key}", None)
    if asked is not None:
        limit = "the demo's limit" if HOSTED and param.hosted_high is not None else "the limit"
        where.caption(f":orange[{asked:,g} is over {limit}; set to {cap:,g}.]")
    return value


def student_params(name: str, dataset: str) -> dict:
    """Widgets for one student's main parameters; returns the values that differ from None.
    Numbers and choices share a row; switches go below it, where their labels fit."""
    spec = STUDENTS[name]
    defaults = {**spec.defaults(), **data_defaults(name, dataset)}
    by_data = data_defaults(name, dataset)
    form = spec.form_params()
    fields = {k: p for k, p in form.items() if p.kind != "bool"}
    params = {}
    for col, (k, p) in zip(st.columns(max(1, len(fields))), fields.items()):
        label = ui.sentence(p.label)
        if p.kind in ("int", "float"):
            value = number(col, label, p, defaults[k], f"p-{name}-{k}")
        else:
            value = col.selectbox(label, p.options, key=f"p-{name}-{k}", help=p.help, **KEEP)
        if value is not None or p.none:
            params[k] = value
    for k, p in form.items():
        if p.kind == "bool":  # a default that depends on the data set has a widget per set
            key = f"p-{name}-{k}" + (f"-{dataset}" if k in by_data else "")
            params[k] = st.toggle(ui.sentence(p.label), value=bool(defaults[k]), key=key,
                                  help=p.help, **KEEP)
    return params


def settings_form() -> RunConfig | SweepConfig:
    """The form, top to bottom; returns what it describes (validated later)."""
    sweep = st.segmented_control(
        "What to train", ["run", "sweep"], default="run", key="mode", **KEEP,
        format_func={"run": "One run", "sweep": "A sweep of sizes"}.get,
        help="One run: a teacher and a few students. A sweep: one teacher and many students "
        "of many sizes, fitted in parallel, to see how small a student can be and still "
        "agree with the network (Compare draws the frontier).") == "sweep"
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Data and teacher", divider="gray")
        dataset = data_picker()
        mine = None if sweep else teacher_picker(dataset)  # a sweep trains its own teacher
        arch = st.selectbox("Teacher network", list(NETS), key="arch", **KEEP,
                            format_func=lambda a: NETS[a].title, help=NETS["cnn"].description,
                            disabled=mine is not None)
        if mine is None:
            st.caption(NETS[arch].description)
        c1, c2, c3 = st.columns(3)
        trained = mine is None  # your own network is asked, not trained
        epochs = number(c1, "Epochs", TEACHER_PARAMS["epochs"], teacher_epochs(dataset),
                        "epochs", disabled=not trained)
        lr = number(c2, "Learning rate", TEACHER_PARAMS["lr"], TEACHER.lr, "lr", "%.4f",
                    disabled=not trained)
        augment = c3.toggle("Augment", TEACHER.augment, key="augment", disabled=not trained,
                            help=TEACHER_PARAMS["augment"].help, **KEEP)
        seed = number(st, "Seed", RUN_PARAMS["seed"], RUN.seed, "seed")

    with right:
        st.subheader("Students and method", divider="gray")
        if sweep:
            grids, methods, seeds = sweep_students()
            method = next((m for m in methods if m != "ground-truth"), "ground-truth")
        else:
            students, method = run_students(dataset)
        c1, c2 = st.columns(2)
        temperature = c1.slider("Temperature T", 0.5, 10.0, RUN.temperature, 0.5,
                                key="temperature", **KEEP,
                                disabled=method in ("ground-truth", "hard"),
                                help=RUN_PARAMS["temperature"].help)
        labels = c2.segmented_control("Transfer labels", TRANSFER_LABELS,
                                      default=RUN.transfer_labels, key="labels", **KEEP,
                                      disabled=method not in TRANSFERS,
                                      help=RUN_PARAMS["transfer_labels"].help)
        c1, c2 = st.columns(2)
        transfer = c1.selectbox("Transfer set", (AUTO, *GENERATORS), key="transfer", **KEEP,
                                disabled=method not in TRANSFERS,
                                help=RUN_PARAMS["transfer"].help)
        size_param = RUN_PARAMS["transfer_size"]
        high = int(size_param.upper(HOSTED))
        size = c2.slider("Transfer-set size (x train)", int(size_param.low), high,
                         min(transfer_size_for(dataset), high), key="size",
                         disabled=method not in TRANSFERS, **KEEP, help=size_param.help)
        boundary = boundary_settings(method)
        leaves = st.segmented_control("Leaf probabilities", LEAVES, default=RUN.leaves,
                                      key="leaves", **KEEP, disabled=method == "ground-truth",
                                      help=RUN_PARAMS["leaves"].help)
        title = st.text_input("Run title (optional)", key="title", max_chars=80, **KEEP)

    common = dict(dataset=dataset, teacher=TeacherConfig(arch=arch, epochs=int(epochs),
                                                         lr=float(lr), augment=augment),
                  temperature=float(temperature), transfer=transfer, transfer_size=int(size),
                  transfer_labels=labels or RUN.transfer_labels, leaves=leaves or RUN.leaves,
                  seed=int(seed),
                  title=title.strip() or None)
    run_only = boundary
    if mine is not None:
        common.update(teacher_file=mine.path, teacher_input=mine.input_scale,
                      teacher_output=mine.output, insist=mine.insist)
    if sweep:
        return SweepConfig(students=grids, methods=methods, seeds=int(seeds), **common)
    return RunConfig(students=students, method=method, **common, **run_only)


def boundary_settings(method: str) -> dict:
    """Method boundary's rounds, edits a round and seconds a round (shown for it alone; an
    emptied field keeps its default)."""
    if method != BOUNDARY:
        return {}
    fields = (("rounds", "Boundary rounds"), ("boundary_sample", "Edits a round"),
              ("boundary_seconds", "Seconds a round"))
    out = {}
    for column, (key, label) in zip(st.columns(3), fields):
        value = number(column, label, RUN_PARAMS[key], getattr(RUN, key), key)
        out[key] = getattr(RUN, key) if value is None else value
    source = st.segmented_control("Boundary images", RUN_PARAMS["boundary_source"].options,
                                  default=RUN.boundary_source, key="boundary_source", **KEEP,
                                  help=RUN_PARAMS["boundary_source"].help)
    out["boundary_source"] = source or RUN.boundary_source
    return out


OWN = "__own__"  # the data picker's "your own data" entry


def data_picker() -> str:
    """The data set: a built-in one, one imported before, or your own (imported here)."""
    owner = ui.owner() if HOSTED else None
    yours = list(imported(owner)) if UPLOADS else []
    names = [d for d in DATASETS if not HOSTED or d in LIMITS.datasets] + yours
    pending = st.session_state.pop("pending_dataset", None)
    if pending in names:
        st.session_state["dataset"] = pending
    infos = known_datasets() | imported(owner)
    chosen = st.selectbox(
        "Data set", names + ([OWN] if UPLOADS else []), key="dataset", **KEEP,
        on_change=data_set_changed,
        format_func=lambda d: "Your own data…" if d == OWN else infos[d].title + (
            "" if dataset_available(d) else " (not installed)"),
        help="mnist5k and digits are bundled, full MNIST comes with its package; "
        "Fashion-MNIST needs its IDX files. Your own: npz, an image folder, CSV or IDX.")
    if chosen != OWN:
        note = st.session_state.pop("imported_note", None)
        if note:  # what the import just did, said once after the page shows its choice
            st.success(note, icon=":material/check_circle:")
        st.caption(infos[chosen].description)
        return chosen
    with st.container(border=True):
        name = own.own_data(HOSTED, owner)
    if name is not None:
        st.session_state["pending_dataset"] = name
        st.rerun()
    return RUN.dataset  # until something is imported, the form shows the default's settings


def teacher_picker(dataset: str):
    """Train a network here, or distil your own (an ONNX file); returns your own or None."""
    if not UPLOADS:
        return None
    which = st.segmented_control("Teacher", ["train", "own"], default="train", key="teacher",
                                 **KEEP, format_func={"train": "Train a network here",
                                                      "own": "Your own network (ONNX)"}.get,
                                 help="Your own: a network trained anywhere, exported to "
                                 "ONNX; it is not trained again, only asked.")
    if which != "own":
        return None
    with st.container(border=True):
        return own.own_teacher(dataset, HOSTED)


def run_students(dataset: str) -> tuple[list[StudentChoice], str]:
    """One run: students with their settings, and the method."""
    chosen = st.multiselect("Students", list(STUDENTS), default=list(DEFAULT_STUDENTS),
                            key="students", format_func=lambda s: STUDENTS[s].title, **KEEP,
                            help="Each is trained twice: by the chosen method and on the "
                            "true labels (the baseline).")
    students = []
    for name in chosen:
        if STUDENTS[name].form_params():
            with st.expander(f"{STUDENTS[name].title} settings"):
                st.caption(STUDENTS[name].help)
                students.append(StudentChoice(name, student_params(name, dataset)))
        else:
            students.append(StudentChoice(name))
    method = st.segmented_control("Distillation method", list(METHODS), default=RUN.method,
                                  key="method", **KEEP, help=RUN_PARAMS["method"].help)
    method = method or RUN.method
    st.caption(f"**{method}**: {METHOD_HELP[method]}.")
    return students, method


SWEEP_DEFAULTS = {grid.name: grid for grid in map(parse_grid, DEFAULT_GRID)}


def sweep_students() -> tuple[list[StudentGrid], list[str], int]:
    """A sweep: students and the values of each setting to sweep, methods and seeds; the
    same choices as `python -m distill sweep`."""
    chosen = st.multiselect("Students", list(STUDENTS), default=list(SWEEP_DEFAULTS),
                            key="sweep_students", format_func=lambda s: STUDENTS[s].title,
                            **KEEP, help="Each student is fitted in every combination of the "
                            "values below, by every method and seed.")
    grids = []
    for name in chosen:
        spec = STUDENTS[name]
        values: dict[str, list] = {}
        fields = {k: p for k, p in spec.form_params().items() if p.kind in ("int", "float")}
        if fields:
            with st.expander(f"{spec.title}: values to sweep", expanded=name in SWEEP_DEFAULTS):
                for k, p in fields.items():
                    shown = SWEEP_DEFAULTS.get(name, StudentGrid(name)).params.get(
                        k, [spec.defaults()[k]])
                    text = st.text_input(ui.sentence(p.label), ", ".join(
                        "none" if v is None else str(v) for v in shown),
                        key=f"sweep-{name}-{k}", help=f"Comma-separated; {p.describe()}.",
                        **KEEP)
                    try:
                        values[k] = [spec.parse(k, t) for t in text.split(",") if t.strip()]
                    except ParamError as err:
                        st.error(str(err), icon=":material/block:")
        defaults = spec.defaults()  # a setting left at its default is not part of the grid
        grids.append(StudentGrid(name, {k: v for k, v in values.items()
                                        if v and v != [defaults[k]]}))
    c1, c2 = st.columns([3, 1])
    methods = c1.multiselect("Methods", list(SWEEP_METHODS),
                             default=["ground-truth", "transfer"],
                             key="sweep_methods", **KEEP, help=RUN_PARAMS["method"].help)
    seeds = number(c2, "Seeds", SWEEP_PARAMS["seeds"], 1, "sweep_seeds")
    fits = len(SweepConfig(students=grids, methods=methods, seeds=int(seeds or 1)).tasks())
    st.caption(f"{fits} students to fit, spread over this machine's cores (or the Ray "
               "cluster's).")
    return grids, methods, int(seeds or 1)


def start(cfg: RunConfig) -> None:
    problems = hosted_problems(cfg, demo_limits()) if HOSTED else []
    try:
        cfg.validate()
    except ConfigError as err:
        problems += ui.public(err).split("; ")
    if problems:
        st.error("Cannot start yet:\n\n" + "\n".join(f"- {p}" for p in problems),
                 icon=":material/block:")
        return
    try:
        job_id = ui.job_manager().submit(cfg, owner=ui.owner())
    except (ConfigError, RunError) as err:
        st.error(f"Cannot start: {ui.public(err)}", icon=":material/block:")
        return
    ui.remember_job(job_id)
    st.rerun()


def demo_limits():
    """The demo's limits, with this browser's own uploaded data sets allowed."""
    from dataclasses import replace
    if not UPLOADS:
        return LIMITS
    return replace(LIMITS, datasets=LIMITS.datasets + tuple(imported(ui.owner())))


STATE_ICONS = {"queued": ":material/hourglass_top:", "starting": ":material/rocket_launch:",
               "running": ":material/directions_run:", "stopping": ":material/stop_circle:",
               "done": ":material/check_circle:", "failed": ":material/error:",
               "cancelled": ":material/cancel:"}


def stage_label(stage: str) -> str:
    if stage.startswith("student:"):
        name = stage.split(":", 1)[1]
        label, _, method = name.rpartition(".")
        return f"{STUDENTS[label].title if label in STUDENTS else label} ({method})"
    return {"data": "Load data", "teacher": "Train the teacher", "targets": "Teacher labels "
            "the training set", "choose": "Each student tries every way to learn on held-out "
            "images", "students": "Fit the students", "evaluate": "Evaluate on the "
            "test set", "saliency": "The teacher's evidence for every test digit",
            "local fidelity": "Local fidelity: each student's smallest edits shown to the "
            "teacher",
            "save": "Save the run"}.get(stage, stage)


def finished_students(results: list[dict]) -> None:
    """A sweep's students as they finish, the newest first."""
    st.markdown(f"**{len(results)} students fitted**")
    st.dataframe(pd.DataFrame(results[::-1]), hide_index=True, width="stretch", height=240,
                 column_config={"agreement": st.column_config.NumberColumn(format="percent"),
                                "accuracy": st.column_config.NumberColumn(format="percent"),
                                "seconds": st.column_config.NumberColumn(format="%.1f")})


def draw_job(job: dict) -> None:
    st.markdown(f"##### {STATE_ICONS.get(job['state'], '')} Job {job['id']} · {job['state']}"
                + (f" · {job['title']}" if job.get("title") else ""))
    if job["state"] == "queued":
        st.info(f"Waiting for the job ahead to finish: place {job['position']} in line.",
                icon=":material/hourglass_top:")
    elif job["state"] == "starting":
        st.progress(0.0, text="Starting a worker process…")
    elif job["state"] in ("running", "stopping"):
        eta = f", about {job['eta']:.0f} s left" if job.get("eta") is not None else ""
        st.progress(job["overall"], text=f"{job['overall']:.0%} · {job['elapsed']:.0f} s "
                    f"elapsed{eta}")
    if job["state"] in ACTIVE and job["state"] != "stopping" and st.button(
            "Cancel", key=f"cancel-{job['id']}", icon=":material/stop:",
            help="Stops within a couple of seconds; nothing is saved."):
            ui.job_manager().cancel(job["id"], owner=ui.owner())
            st.rerun(scope="fragment")
    if job["state"] == "done":
        st.success(f"Saved run **{job['run_id']}** in {job['elapsed']:.0f} s. It is now the "
                   "current run on every page.", icon=":material/check_circle:")
    elif job["state"] == "failed":
        first = (job.get("error") or "unknown error").splitlines()[0]
        st.error(f"Training failed: {ui.public(first)}", icon=":material/error:")
    elif job["state"] == "cancelled":
        st.info(job["message"], icon=":material/cancel:")
    if job.get("results"):
        finished_students(job["results"])
    if job["state"] in ("running", "stopping", "done") or job["fractions"]:
        stages, curves = st.columns([2, 3], gap="large")
        with stages:
            for stage in job["stages"]:
                frac = job["fractions"].get(stage, 0.0)
                mark = "✓ " if frac >= 1 else ("▸ " if stage == job["current"] else "")
                extra = ""
                label = stage_label(stage)
                if stage == "teacher" and "epoch" not in job["teacher"] and \
                        job["teacher"].get("test_accuracy") is not None:  # your own network
                    label = (f"Your network reads {job['teacher']['test_accuracy']:.1%} of "
                             "the test images")
                if stage == job["current"] and stage.endswith(f".{BOUNDARY}") and \
                        job.get("message", "").startswith("round"):  # the boundary rounds
                    extra = f" · {job['message']}"
                if stage == "teacher" and job["teacher"].get("epoch"):
                    te = job["teacher"]
                    extra = f" · epoch {te['epoch']}/{te.get('epochs', '?')}"
                    if te.get("loss") is not None:
                        extra += f" · loss {te['loss']:.3f}"
                st.progress(min(1.0, frac), text=f"{mark}{label}{extra}")
        with curves:
            if job["curve"]["loss"]:
                st.plotly_chart(charts.training_curves(job["curve"]), key=f"curve-{job['id']}")
            else:
                st.caption("The teacher's loss and accuracy curves appear here as it trains.")


@st.fragment(run_every=1.0)
def live_progress() -> None:
    """Polls the job manager; never trains anything itself."""
    ui.adopt_finished_jobs()
    job = ui.active_job()
    if job is None:
        st.rerun()  # finished: one full redraw, then stop polling
    draw_job(job)


def memory_note(cfg: RunConfig) -> None:
    """What the settings need in memory, beside what there is (the demo's budget when hosted)."""
    try:
        need = estimate_memory(cfg)
    except (KeyError, ValueError):
        return  # settings the checks will refuse with a reason
    room = LIMITS.memory_budget if HOSTED else available_bytes() + BASE_BYTES
    fits = need.peak <= room
    st.caption(f"{'' if fits else ':red['}:material/memory: Needs {need.words()} of memory; "
               f"{room / GB:.1f} GB {'allowed on the demo' if HOSTED else 'available'}."
               f"{'' if fits else ']'}")


with ui.guard("the training page"):
    if HOSTED:
        st.info(f"Public demo: training is limited to {', '.join(LIMITS.datasets)}, "
                f"{TEACHER_PARAMS['epochs'].hosted_high:g} epochs and "
                f"{RUN_PARAMS['transfer_size'].hosted_high:g}x transfer sets; one job trains "
                "at a time and the others wait in line.", icon=":material/public:")
    cfg = settings_form()
    memory_note(cfg)
    active = ui.active_job()
    if st.button("Start training", type="primary", icon=":material/play_arrow:",
                 disabled=active is not None and HOSTED,
                 help="Checks the settings, then trains in a background worker."):
        start(cfg)

    st.subheader("Progress", divider="gray")
    ui.linked_job()  # says so when a link names another browser's job
    if active is not None:
        live_progress()
    else:
        finished = [j for j in ui.visible_jobs() if j["state"] not in ACTIVE]
        if not finished:
            st.caption("No training job yet. Press **Start training**.")
        for job in finished[:3]:
            draw_job(job)
        if st.session_state.pop("just_finished", None):
            c1, c2 = st.columns(2)
            with c1:
                ui.page_link("overview", "See the new run's overview", icon=":material/insights:")
            with c2:
                ui.page_link("explore", "Explore its digits", icon=":material/pageview:")
