"""Summit Watch dashboard: `streamlit run app.py` (or `make run`)."""

import streamlit as st

st.set_page_config(page_title="Summit Watch", page_icon="🗾", layout="wide")
navigation = st.navigation(
    [st.Page("dashboard/questions_page.py", title="Questions", url_path="questions", default=True)]
)
navigation.run()
