"""The image pre-processing: centring, rotation, reflection, pixelization and scale."""

import numpy as np
import pytest

from jetimages.images import (
    CHANNEL_NAMES,
    IMAGE_PIXELS,
    centred_rotated_coordinates,
    jet_channels,
    jet_image,
)


def massless(pt, eta, phi):
    """Four-momenta (px, py, pz, E) of massless particles."""
    pt, eta, phi = map(np.asarray, (pt, eta, phi))
    return np.stack(
        [pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta)],
        axis=-1,
    )


def two_prongs(angle):
    """A hard prong and a softer one 0.3 apart, along a line at `angle` in the (phi, eta) plane."""
    offsets = np.array([0.0, 0.3])
    return massless(
        [300.0, 100.0], 0.5 + offsets * np.sin(angle), 1.0 + offsets * np.cos(angle)
    )


def test_pixels_hold_percent_of_jet_pt():
    image = jet_image(two_prongs(0.4))
    assert image.shape == (IMAGE_PIXELS, IMAGE_PIXELS)
    assert image.dtype == np.float32
    assert image.sum() == pytest.approx(100.0)
    assert image.max() == pytest.approx(75.0)  # the 300 GeV prong of 400 GeV


@pytest.mark.parametrize("angle", [0.0, 0.7, 1.6, 3.0])
def test_rotation_puts_the_prongs_on_the_vertical_axis_hard_prong_up(angle):
    pt, x, y = centred_rotated_coordinates(two_prongs(angle))
    assert np.dot(pt, x) == pytest.approx(0.0, abs=1e-9)  # centred on the pT centroid
    assert np.dot(pt, y) == pytest.approx(0.0, abs=1e-9)
    assert x == pytest.approx([0.0, 0.0], abs=1e-6)  # both prongs on the vertical axis
    assert y[0] > 0 > y[1]  # the harder prong in the upper half
    assert y[0] - y[1] == pytest.approx(0.3, rel=1e-3)


def test_same_jet_at_any_orientation_gives_the_same_image():
    np.testing.assert_allclose(
        jet_image(two_prongs(0.2)), jet_image(two_prongs(2.5)), atol=1e-4
    )


def test_jet_across_phi_boundary_is_not_split():
    constituents = massless([200.0, 200.0], [0.0, 0.0], [np.pi - 0.05, -np.pi + 0.05])
    pt, x, y = centred_rotated_coordinates(constituents)
    assert np.max(np.hypot(x, y)) == pytest.approx(0.05, rel=1e-6)


def test_channels_count_particles_and_charged_pt_in_the_image_frame():
    jet = massless(
        [300.0, 100.0, 50.0, 5.0], [0.5, 0.8, 0.5, 3.0], [1.0, 1.0, 1.0, 1.0]
    )
    charge = np.array([1.0, 0.0, -1.0, 1.0])
    count, charged = jet_channels(jet, charge)
    assert count.sum() == 3  # the fourth particle lies far outside the 0.8 half-width
    assert count.max() == 2  # the 300 and 50 GeV particles share a pixel
    image = jet_image(jet)
    assert np.all(charged <= image + 1e-4)
    assert charged.sum() == pytest.approx(100.0 * 350.0 / 455.0, rel=1e-5)
    assert CHANNEL_NAMES == ("particle_count", "charged_pt_percent")
