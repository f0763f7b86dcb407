"""Streamlit pages: thin views over the services in ``forecasts`` and ``tracker``."""
