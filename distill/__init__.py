"""Distill Explorer's engine: distil a teacher CNN into interpretable students and explain them.

A plain library (no streamlit). Heavy dependencies (torch) are imported where used, so that
reading saved runs stays fast.
"""

__version__ = "0.1.0"
