"""Summit Watch dashboard: `streamlit run app.py` (or `make run`, which also starts the worker)."""

import streamlit as st

from dashboard.components.database import open_or_stop
from dashboard.components.worker_panel import show_worker_status

st.set_page_config(page_title="Summit Watch", page_icon="🗾", layout="wide")
navigation = st.navigation(
    [
        st.Page("dashboard/overview_page.py", title="Overview", url_path="overview", default=True),
        st.Page("dashboard/timeline_page.py", title="Timeline", url_path="timeline"),
        st.Page("dashboard/questions_page.py", title="Questions", url_path="questions"),
        st.Page("dashboard/add_forecast_page.py", title="Add forecast", url_path="add"),
        st.Page("dashboard/calibration_page.py", title="Calibration & scores", url_path="calibration"),
        st.Page("dashboard/sources_page.py", title="Sources & jobs", url_path="sources"),
        st.Page("dashboard/data_page.py", title="Import & export", url_path="data"),
    ]
)
open_or_stop()
with st.sidebar:
    show_worker_status()
navigation.run()
