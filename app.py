"""Summit Watch dashboard: `streamlit run app.py` (or `make run`, which also starts the worker)."""

import streamlit as st

from dashboard.worker_panel import show_worker_status

st.set_page_config(page_title="Summit Watch", page_icon="🗾", layout="wide")
navigation = st.navigation(
    [
        st.Page("dashboard/questions_page.py", title="Questions", url_path="questions", default=True),
        st.Page("dashboard/calibration_page.py", title="Calibration & scores", url_path="calibration"),
    ]
)
with st.sidebar:
    show_worker_status()
navigation.run()
