"""From a jet's constituents to a 20x20 image of its transverse momentum in (eta, phi).

The pre-processing, in order:
1. centre: shift (eta, phi) so that the pT-weighted centroid of the constituents is at (0, 0);
2. rotate: turn the principal axis of the pT-weighted spread to the vertical, so that the
   two prongs of a W or Z line up the same way in every image;
3. reflect: flip so that the upper half and the right half hold more pT than their mirrors;
4. pixelize: sum constituent pT in a 20x20 grid of 0.08 x 0.08 (roughly one CMS hadron
   calorimeter tower), spanning +-0.8 around the centre;
5. scale: divide by the jet's summed constituent pT and multiply by 100, so that a pixel
   holds the percentage of the jet's pT that fell in it.
"""

import numpy as np

from . import kinematics

IMAGE_PIXELS = 20
IMAGE_HALF_WIDTH = 0.8
PIXEL_EDGES = np.linspace(-IMAGE_HALF_WIDTH, IMAGE_HALF_WIDTH, IMAGE_PIXELS + 1)


def centred_rotated_coordinates(
    constituents: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 1-3: the constituents' pT and their (x, y) position after centring, rotating, reflecting.

    y runs along the principal axis (pseudorapidity before the rotation), x across it.
    """
    pt = kinematics.pt(constituents)
    weights = pt / pt.sum()
    eta = kinematics.eta(constituents)
    # phi relative to the leading constituent first, so that the centroid never straddles +-pi
    phi_lead = kinematics.phi(constituents[np.argmax(pt)])
    phi = kinematics.wrap_phi(kinematics.phi(constituents) - phi_lead)

    eta = eta - np.dot(weights, eta)
    phi = phi - np.dot(weights, phi)

    covariance = (
        np.cov(np.stack([phi, eta]), aweights=weights, bias=True)
        if len(pt) > 1
        else np.eye(2)
    )
    _, eigenvectors = np.linalg.eigh(covariance)
    major = eigenvectors[
        :, -1
    ]  # eigh sorts eigenvalues ascending: the last is the longest axis
    minor = np.array([major[1], -major[0]])
    y = phi * major[0] + eta * major[1]
    x = phi * minor[0] + eta * minor[1]

    if np.dot(pt, y > 0) < np.dot(pt, y < 0):
        y = -y
    if np.dot(pt, x > 0) < np.dot(pt, x < 0):
        x = -x
    return pt, x, y


def _pixelize(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Sum the weights (or count the particles) in each pixel; rows along y, columns along x."""
    grid, _, _ = np.histogram2d(y, x, bins=(PIXEL_EDGES, PIXEL_EDGES), weights=weights)
    return grid


Coordinates = tuple[
    np.ndarray, np.ndarray, np.ndarray
]  # what centred_rotated_coordinates returns


def jet_image(
    constituents: np.ndarray, coordinates: Coordinates | None = None
) -> np.ndarray:
    """The (20, 20) float32 image of one jet: rows run along y (bottom to top), columns along x.

    coordinates: centred_rotated_coordinates(constituents), when the caller has them already.
    """
    pt, x, y = coordinates or centred_rotated_coordinates(constituents)
    return (100.0 * _pixelize(x, y, pt) / pt.sum()).astype(np.float32)


# The extra channels of "deep learning in color" (Komiske, Metodiev, Schwartz 2017), pixelized
# exactly like the image: how many particles fell in each pixel, and the percent of the jet's pT
# that charged particles carry there (never more than the image's pixel).
CHANNEL_NAMES: tuple[str, ...] = ("particle_count", "charged_pt_percent")


def jet_channels(
    constituents: np.ndarray, charge: np.ndarray, coordinates: Coordinates | None = None
) -> np.ndarray:
    """The (2, 20, 20) float32 channels of one jet, in the order of CHANNEL_NAMES (coordinates: as for jet_image)."""
    pt, x, y = coordinates or centred_rotated_coordinates(constituents)
    count = _pixelize(x, y)
    charged = 100.0 * _pixelize(x, y, np.where(charge != 0, pt, 0.0)) / pt.sum()
    return np.stack([count, charged]).astype(np.float32)
