"""Distill Explorer: the entry point and the frame every page shares.

Run with `make run` or `streamlit run app.py`. The sidebar holds the current run (also in the
URL as ?run=..., so a link can be shared) and, while one trains, the job's progress.
"""

from pathlib import Path

import streamlit as st

from pages import _scripts as scripts
from pages import _ui as ui
from pages._ast import serialize_ast_parse
from pages._tcp import tcp_nodelay

tcp_nodelay()  # once per process: see pages/_tcp.py
serialize_ast_parse()  # once per process: see pages/_ast.py
scripts.keep()  # once per process: see pages/_scripts.py

# a local file: the :material/...: favicon would be fetched from Google's font CDN
ICON = Path(__file__).parent / "assets" / "favicon.png"

st.set_page_config(page_title="Distill Explorer", page_icon=str(ICON),
                   layout="wide", initial_sidebar_state="auto")  # collapsed on phones

PAGES = {
    "overview": st.Page("pages/overview.py", title="Overview", icon=":material/insights:",
                        default=True),
    "train": st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    "compare": st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    "explore": st.Page("pages/explore.py", title="Explore", icon=":material/pageview:"),
    "draw": st.Page("pages/draw.py", title="Draw", icon=":material/draw:"),
    "runs": st.Page("pages/runs.py", title="Runs", icon=":material/folder_open:"),
}
ui.PAGES.update(PAGES)
navigation = st.navigation(list(PAGES.values()))

with st.sidebar:
    st.markdown("### :material/account_tree: Distill Explorer")
    st.caption("What did the network teach the simple model?")
    with ui.guard("the run picker"):
        ui.run_picker()
    ui.job_badge()
    if ui.hosted():
        ui.keep_owner_in_cookie()
        st.caption(":material/public: Public demo: training is limited and shared.")

ui.FRAME.active = True  # pages check that they run inside this frame
try:
    navigation.run()
finally:
    ui.FRAME.active = False
