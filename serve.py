"""Distill Explorer's server: ``streamlit run serve.py`` (what ``make run`` does).

Serves app.py exactly as ``streamlit run app.py`` does (``streamlit run`` finds this
``st.App`` and runs it), and warms the new process while it starts: the landing page runs
once without a browser and the other pages' imports are done before anyone asks
(pages/_warm.py says what and why). ``streamlit run app.py`` still works, only without the
warm-up (Streamlit Community Cloud runs it that way).
"""

import streamlit as st

from pages._warm import warm_up

app = st.App("app.py", lifespan=warm_up)
