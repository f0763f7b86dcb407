"""The forecasting domain: questions, forecasts, resolutions, the demo scenario and scoring."""
