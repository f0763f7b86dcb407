"""Per-forecast scoring rules. Lower is better unless the name says "gain".

Binary rules take ``p`` = P(yes) and ``y`` in {0, 1}; multi-category rules take
a (n, K) matrix of probabilities and the index of the option that happened.
Brier comes on two scales and the name says which:

- ``brier_01``: (p − y)², in [0, 1] (the half form sklearn uses for binary);
- ``brier_02``: Brier's original sum over both outcomes, 2(p − y)², in [0, 2]
  (Good Judgment Open and Fatebook).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Log scores are unbounded at p = 0 or 1, so probabilities are clamped first.
# [0.001, 0.999] matches Metaculus's input limits: the worst score is ln(1000) ≈ 6.91 nats.
LOG_CLAMP = (0.001, 0.999)

Floats = NDArray[np.float64]


def _binary(p: ArrayLike, y: ArrayLike) -> tuple[Floats, Floats]:
    p_arr = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    if p_arr.shape != y_arr.shape:
        raise ValueError(f"p and y must have the same shape, got {p_arr.shape} and {y_arr.shape}")
    return p_arr, y_arr


def brier_01(p: ArrayLike, y: ArrayLike) -> Floats:
    """(p − y)² per forecast, in [0, 1]."""
    p_arr, y_arr = _binary(p, y)
    return (p_arr - y_arr) ** 2


def brier_02(p: ArrayLike, y: ArrayLike) -> Floats:
    """Brier's original score over both outcomes, 2(p − y)², in [0, 2]."""
    return 2.0 * brier_01(p, y)


def clamp(p: ArrayLike, bounds: tuple[float, float] = LOG_CLAMP) -> Floats:
    low, high = bounds
    if not 0.0 < low < high < 1.0:
        raise ValueError(f"clamp bounds must satisfy 0 < low < high < 1, got {bounds}")
    return np.clip(np.asarray(p, dtype=np.float64), low, high)


def log_loss(p: ArrayLike, y: ArrayLike, bounds: tuple[float, float] = LOG_CLAMP) -> Floats:
    """−ln of the probability given to what happened (natural log), after clamping p to ``bounds``."""
    p_arr, y_arr = _binary(p, y)
    clamped = clamp(p_arr, bounds)
    return -np.log(np.where(y_arr == 1.0, clamped, 1.0 - clamped))


def spherical_gain(p: ArrayLike, y: ArrayLike) -> Floats:
    """Spherical score p_y / ‖(p, 1 − p)‖₂, in [0, 1]; higher is better."""
    p_arr, y_arr = _binary(p, y)
    p_outcome = np.where(y_arr == 1.0, p_arr, 1.0 - p_arr)
    return p_outcome / np.sqrt(p_arr**2 + (1.0 - p_arr) ** 2)


def _categorical(probabilities: ArrayLike, outcome: ArrayLike) -> tuple[Floats, NDArray[np.intp]]:
    matrix = np.atleast_2d(np.asarray(probabilities, dtype=np.float64))
    index = np.atleast_1d(np.asarray(outcome, dtype=np.intp))
    if index.shape != (matrix.shape[0],):
        raise ValueError(f"need one outcome per row: {matrix.shape[0]} rows, {index.shape[0]} outcomes")
    if np.any(index < 0) or np.any(index >= matrix.shape[1]):
        raise ValueError(f"outcome index must be in 0..{matrix.shape[1] - 1}")
    return matrix, index


def _one_hot(index: NDArray[np.intp], n_options: int) -> Floats:
    observed = np.zeros((index.shape[0], n_options))
    observed[np.arange(index.shape[0]), index] = 1.0
    return observed


def multi_brier_02(probabilities: ArrayLike, outcome: ArrayLike) -> Floats:
    """Σ_k (p_k − o_k)² per forecast, in [0, 2]: the multi-category Brier (GJ Open, sklearn)."""
    matrix, index = _categorical(probabilities, outcome)
    result: Floats = np.sum((matrix - _one_hot(index, matrix.shape[1])) ** 2, axis=1)
    return result


def ranked_probability_score(probabilities: ArrayLike, outcome: ArrayLike) -> Floats:
    """Σ_k (F_k − O_k)² over cumulative distributions, for ordered options (Epstein 1969).

    Unnormalised, in [0, K − 1]; divide by K − 1 for a [0, 1] scale.
    """
    matrix, index = _categorical(probabilities, outcome)
    cumulative_forecast = np.cumsum(matrix, axis=1)
    cumulative_observed = np.cumsum(_one_hot(index, matrix.shape[1]), axis=1)
    result: Floats = np.sum((cumulative_forecast - cumulative_observed) ** 2, axis=1)
    return result


def multi_log_loss(
    probabilities: ArrayLike, outcome: ArrayLike, bounds: tuple[float, float] = LOG_CLAMP
) -> Floats:
    """−ln of the probability given to the option that happened, clamped like the binary log score."""
    matrix, index = _categorical(probabilities, outcome)
    return -np.log(clamp(matrix[np.arange(index.size), index], bounds))


def multi_spherical_gain(probabilities: ArrayLike, outcome: ArrayLike) -> Floats:
    """Spherical score p_outcome / ‖p‖₂, in [0, 1]; higher is better."""
    matrix, index = _categorical(probabilities, outcome)
    result: Floats = matrix[np.arange(index.size), index] / np.linalg.norm(matrix, axis=1)
    return result


def gj_ordered_brier(probabilities: ArrayLike, outcome: ArrayLike) -> Floats:
    """GJ Open's ordered-categorical Brier: the mean 2-category Brier over the K − 1 cumulative splits,
    which equals 2·RPS/(K − 1), in [0, 2]."""
    matrix, _ = _categorical(probabilities, outcome)
    result: Floats = 2.0 * ranked_probability_score(probabilities, outcome) / (matrix.shape[1] - 1)
    return result
