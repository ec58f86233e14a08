"""Train: choose data, teacher, students and method; start a job; watch it; cancel it."""

import streamlit as st

from distill.config import (NETS, ConfigError, RunConfig, StudentChoice, TeacherConfig,
                           data_defaults)
from distill.data import DATASETS, dataset_available
from distill.distillation import METHOD_HELP, METHODS
from distill.hosting import LIMITS, hosted_problems
from distill.jobs import ACTIVE
from distill.students import DEFAULT_STUDENTS, STUDENTS
from distill.transfer import GENERATORS
from pages import _charts as charts
from pages import _ui as ui

ui.require_frame()

HOSTED = ui.hosted()
HOSTED_CAPS = {("tree", "max_leaf_nodes"): LIMITS.max_leaves,
               ("pixel-tree", "max_leaf_nodes"): LIMITS.max_leaves,
               ("tree", "max_depth"): LIMITS.max_depth, ("pixel-tree", "max_depth"):
               LIMITS.max_depth, ("soft-tree", "depth"): LIMITS.max_soft_tree_depth,
               ("soft-tree", "epochs"): LIMITS.max_soft_tree_epochs}
KEEP = {"persist_state": "session"}  # form values survive visits to other pages

st.title("Train")
st.caption("A teacher network learns the digits; each student then learns from the teacher "
           "(and, for comparison, from the true labels alone).")


def student_params(name: str, dataset: str) -> dict:
    """Widgets for one student's main parameters; returns the values that differ from None.
    Numbers and choices share a row; switches go below it, where their labels fit."""
    spec = STUDENTS[name]
    by_data = data_defaults(name, dataset)
    fields = [p for p in spec.tunable if p.kind != "bool"]
    params = {}
    for col, p in zip(st.columns(max(1, len(fields))), fields):
        key = f"p-{name}-{p.name}"
        high = HOSTED_CAPS.get((name, p.name), p.high) if HOSTED else p.high
        default = p.default if p.default is None else min(p.default, high)
        if p.kind == "int":
            value = col.number_input(p.label, min_value=int(p.low), max_value=int(high),
                                     value=default, step=1, key=key, help=p.help,
                                     placeholder="no limit" if p.unlimited else None, **KEEP)
        elif p.kind == "float":
            value = col.number_input(p.label, min_value=float(p.low), max_value=float(high),
                                     value=float(p.default), key=key, help=p.help,
                                     format="%.4g", **KEEP)
        else:
            value = col.selectbox(p.label, p.options, key=key, help=p.help, **KEEP)
        if value is not None or p.unlimited:
            params[p.name] = value
    for p in spec.tunable:
        if p.kind == "bool":  # a default that depends on the data set has a widget per set
            key = f"p-{name}-{p.name}" + (f"-{dataset}" if p.name in by_data else "")
            params[p.name] = st.toggle(p.label, value=bool(by_data.get(p.name, p.default)),
                                       key=key, help=p.help, **KEEP)
    return params


def settings_form() -> RunConfig:
    """The form, top to bottom; returns what it describes (validated later)."""
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Data and teacher", divider="gray")
        names = [d for d in DATASETS if not HOSTED or d in LIMITS.datasets]
        dataset = st.selectbox(
            "Data set", names, key="dataset", **KEEP,
            format_func=lambda d: DATASETS[d].title + ("" if dataset_available(d)
                                                       else " (not installed)"),
            help="mnist5k and digits are bundled; the full sets need their IDX files.")
        st.caption(DATASETS[dataset].description)
        arch = st.selectbox("Teacher network", list(NETS), key="arch", **KEEP,
                            format_func=lambda a: NETS[a].title, help=NETS["cnn"].description)
        st.caption(NETS[arch].description)
        c1, c2, c3 = st.columns(3)
        epochs = c1.number_input("Epochs", 1, LIMITS.max_epochs if HOSTED else 100,
                                 min(10, LIMITS.max_epochs) if HOSTED else 10, key="epochs",
                                 help="Passes over the training images.", **KEEP)
        lr = c2.number_input("Learning rate", 1e-4, 0.1, 4e-3, format="%.4f", key="lr",
                             help="Peak of the warm-up/cosine schedule.", **KEEP)
        augment = c3.toggle("Augment", True, key="augment",
                            help="Random small rotations, scalings and shifts.", **KEEP)
        seed = st.number_input("Seed", 0, 2**31 - 1, 0, key="seed", **KEEP,
                               help="Same seed and settings, same numbers.")

    with right:
        st.subheader("Students and method", divider="gray")
        chosen = st.multiselect("Students", list(STUDENTS), default=list(DEFAULT_STUDENTS),
                                key="students", format_func=lambda s: STUDENTS[s].title, **KEEP,
                                help="Each is trained twice: by the chosen method and on the "
                                "true labels (the baseline).")
        students = []
        for name in chosen:
            if STUDENTS[name].tunable:
                with st.expander(f"{STUDENTS[name].title} settings"):
                    st.caption(STUDENTS[name].help)
                    students.append(StudentChoice(name, student_params(name, dataset)))
            else:
                students.append(StudentChoice(name))
        method = st.segmented_control("Distillation method", list(METHODS), default="transfer",
                                      key="method", **KEEP,
                                      help="; ".join(f"{k}: {v}" for k, v in METHOD_HELP.items()))
        method = method or "transfer"
        st.caption(f"**{method}**: {METHOD_HELP[method]}.")
        c1, c2 = st.columns(2)
        temperature = c1.slider("Temperature T", 0.5, 10.0, 4.0, 0.5, key="temperature", **KEEP,
                                disabled=method in ("ground-truth", "hard"),
                                help="Softens the teacher's probabilities: higher T shows more "
                                "of what it thinks the runners-up are.")
        labels = c2.segmented_control("Transfer labels", ["auto", "soft", "hard"],
                                      default="auto", key="labels", **KEEP,
                                      disabled=method != "transfer",
                                      help="auto: the teacher's probabilities at T for trees, "
                                      "its top class for the others (measured best); soft: "
                                      "probabilities for all; hard: the top class for all.")
        c1, c2 = st.columns(2)
        transfer = c1.selectbox("Transfer set", GENERATORS, key="transfer", **KEEP,
                                disabled=method != "transfer",
                                help="elastic: smooth local distortions (best here); munge: "
                                "pixels swapped with a neighbour; jitter: rotate/shift; mixup.")
        size = c2.slider("Transfer-set size (x train)", 1,
                         LIMITS.max_transfer_size if HOSTED else 30,
                         min(10, LIMITS.max_transfer_size) if HOSTED else 10, key="size",
                         disabled=method != "transfer", **KEEP,
                         help="Synthetic copies of every training image.")
        title = st.text_input("Run title (optional)", key="title", max_chars=80, **KEEP)

    return RunConfig(dataset=dataset, teacher=TeacherConfig(arch=arch, epochs=int(epochs),
                                                            lr=float(lr), augment=augment),
                     students=students, method=method, temperature=float(temperature),
                     transfer=transfer, transfer_size=int(size), transfer_labels=labels or "auto",
                     seed=int(seed), title=title.strip() or None)


def start(cfg: RunConfig) -> None:
    problems = hosted_problems(cfg) if HOSTED else []
    try:
        cfg.validate()
    except ConfigError as err:
        problems += str(err).split("; ")
    if problems:
        st.error("Cannot start yet:\n\n" + "\n".join(f"- {p}" for p in problems),
                 icon=":material/block:")
        return
    try:
        job_id = ui.job_manager().submit(cfg, owner=st.session_state.get("owner"))
    except ConfigError as err:
        st.error(str(err), icon=":material/block:")
        return
    ui.my_job_ids().append(job_id)
    st.query_params["job"] = job_id
    st.rerun()


STATE_ICONS = {"queued": ":material/hourglass_top:", "starting": ":material/rocket_launch:",
               "running": ":material/directions_run:", "stopping": ":material/stop_circle:",
               "done": ":material/check_circle:", "failed": ":material/error:",
               "cancelled": ":material/cancel:"}


def stage_label(stage: str) -> str:
    if stage.startswith("student:"):
        name = stage.split(":", 1)[1]
        label, _, method = name.rpartition(".")
        return f"{STUDENTS.get(label, None).title if label in STUDENTS else label} ({method})"
    return {"data": "Load data", "teacher": "Train the teacher", "targets": "Teacher labels "
            "the training set", "evaluate": "Evaluate on the test set",
            "save": "Save the run"}.get(stage, stage)


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
    if job["state"] in ACTIVE and job["state"] != "stopping":
        if st.button("Cancel", key=f"cancel-{job['id']}", icon=":material/stop:",
                     help="Stops within a couple of seconds; nothing is saved."):
            ui.job_manager().cancel(job["id"])
            st.rerun(scope="fragment")
    if job["state"] == "done":
        st.success(f"Saved run **{job['run_id']}** in {job['elapsed']:.0f} s. It is now the "
                   "current run on every page.", icon=":material/check_circle:")
    elif job["state"] == "failed":
        first = (job.get("error") or "unknown error").splitlines()[0]
        st.error(f"Training failed: {first}", icon=":material/error:")
    elif job["state"] == "cancelled":
        st.info(job["message"], icon=":material/cancel:")
    if job["state"] in ("running", "stopping", "done") or job["fractions"]:
        stages, curves = st.columns([2, 3], gap="large")
        with stages:
            for stage in job["stages"]:
                frac = job["fractions"].get(stage, 0.0)
                mark = "✓ " if frac >= 1 else ("▸ " if stage == job["current"] else "")
                extra = ""
                if stage == "teacher" and job["teacher"].get("epoch"):
                    te = job["teacher"]
                    extra = f" · epoch {te['epoch']}/{te.get('epochs', '?')}"
                    if te.get("loss") is not None:
                        extra += f" · loss {te['loss']:.3f}"
                st.progress(min(1.0, frac), text=f"{mark}{stage_label(stage)}{extra}")
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


with ui.guard("the training page"):
    if "owner" not in st.session_state:
        import uuid
        st.session_state["owner"] = uuid.uuid4().hex
    if HOSTED:
        st.info(f"Public demo: training is limited to {', '.join(LIMITS.datasets)}, "
                f"{LIMITS.max_epochs} epochs and {LIMITS.max_transfer_size}x transfer sets; one "
                "job trains at a time and the others wait in line.", icon=":material/public:")
    cfg = settings_form()
    active = ui.active_job()
    if st.button("Start training", type="primary", icon=":material/play_arrow:",
                 disabled=active is not None and HOSTED,
                 help="Checks the settings, then trains in a background worker."):
        start(cfg)

    st.subheader("Progress", divider="gray")
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
