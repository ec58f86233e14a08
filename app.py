"""Distill Explorer: the dashboard's entry point (pages come in the dashboard issue)."""

import streamlit as st

st.set_page_config(page_title="Distill Explorer", page_icon="🌳", layout="wide")
st.title("Distill Explorer")
st.write("Train a teacher with `python -m distill train`; the dashboard pages are on their way.")
