"""The forecasting domain, pure: entry parsing, the one rules module, the errors, and scoring.

Nothing here touches a database, Streamlit or a command line (import-linter
checks it): ``entry`` reads what people type, ``rules`` holds every rule about
questions, forecasts, resolutions and sources, ``errors`` the error family the
front ends word, and ``scoring`` the numpy scores and calibration.
"""
