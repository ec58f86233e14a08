"""Distill Explorer's server: ``streamlit run serve.py`` (what ``make run`` does).

Serves app.py exactly as ``streamlit run app.py`` does (``streamlit run`` finds this
``st.App`` and runs it), and warms the new process while it starts: the landing page runs
once without a browser and the other pages' imports are done before anyone asks
(pages/_warm.py says what and why). ``streamlit run app.py`` still works, only without the
warm-up (Streamlit Community Cloud runs it that way). It also spares the start Streamlit's scan
of installed packages for components, which this app has none of.
"""

import streamlit as st

from pages._warm import skip_component_package_scan, warm_up

skip_component_package_scan()  # before st.App builds the runtime, which would scan
app = st.App("app.py", lifespan=warm_up)
