"""Four-momenta as numpy arrays of shape (..., 4) in the order (px, py, pz, E), in GeV."""

import numpy as np


def pt(p4: np.ndarray) -> np.ndarray:
    return np.hypot(p4[..., 0], p4[..., 1])


def eta(p4: np.ndarray) -> np.ndarray:
    """Pseudorapidity, from the polar angle of the three-momentum."""
    return np.arcsinh(p4[..., 2] / pt(p4))


def phi(p4: np.ndarray) -> np.ndarray:
    return np.arctan2(p4[..., 1], p4[..., 0])


def wrap_phi(delta_phi: np.ndarray) -> np.ndarray:
    """An azimuthal difference brought into [-pi, pi)."""
    return (delta_phi + np.pi) % (2 * np.pi) - np.pi


def delta_r(eta_1, phi_1, eta_2, phi_2) -> np.ndarray:
    return np.hypot(eta_1 - eta_2, wrap_phi(phi_1 - phi_2))


def mass(p4: np.ndarray) -> np.ndarray:
    m2 = p4[..., 3] ** 2 - np.sum(p4[..., :3] ** 2, axis=-1)
    return np.sqrt(np.clip(m2, 0.0, None))
