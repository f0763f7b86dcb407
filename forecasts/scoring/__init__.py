"""Pure scoring and calibration: numpy arrays in, numbers and small dataclasses out.

No SQL and no Streamlit here, so every function can be checked against
independent oracles (sklearn, R reliabilitydiag via model-diagnostics,
published platform vectors) on plain arrays.
"""
