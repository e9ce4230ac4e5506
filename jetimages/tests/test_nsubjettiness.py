"""N-subjettiness from the particle tables: exact values on jets of a few particles, and
the prongs of the committed jets."""

import numpy as np
import pytest

from jetimages import layout, load_dataset
from jetimages.nsubjettiness import n_subjettiness, tau_ratios
from jetimages.physics import JET_RADIUS

DATA = layout.DATA


def table(*particles):
    """A (1, rows, 5) particle table of (pt share, x, y) particles, and their count."""
    rows = np.zeros((1, 8, 5), dtype=np.float32)
    for k, (share, x, y) in enumerate(particles):
        rows[0, k] = (share, x, y, 0.0, 1.0)
    return rows, np.array([len(particles)])


def test_n_thin_prongs_have_tau_n_zero():
    two_prongs = table((0.5, 0.0, 0.2), (0.3, 0.0, -0.2), (0.2, 0.0, -0.2))
    tau1, tau2, tau3 = n_subjettiness(*two_prongs)[0]
    assert tau2 == pytest.approx(0, abs=1e-6) and tau3 == pytest.approx(0, abs=1e-6)
    # one axis, at the pT centroid (y = 0.08): every particle is 0.12 or 0.28 from it
    expected = (0.5 * 0.12 + 0.5 * 0.28) / JET_RADIUS
    assert tau1 == pytest.approx(expected, rel=1e-3)


def test_a_jet_of_fewer_particles_than_axes_has_tau_zero():
    taus = n_subjettiness(*table((1.0, 0.0, 0.0)))
    np.testing.assert_array_equal(taus, [[0.0, 0.0, 0.0]])
    assert tau_ratios(taus) == (0.0, 0.0)


def test_padding_rows_are_ignored():
    particles, count = table((0.6, 0.1, 0.0), (0.4, -0.1, 0.3))
    padded = particles.copy()
    padded[0, 5] = (0.9, 0.5, 0.5, 0.0, 0.0)  # beyond the count: padding
    np.testing.assert_array_equal(
        n_subjettiness(particles, count), n_subjettiness(padded, count)
    )


@pytest.mark.parametrize(
    ("particles", "counts", "message"),
    [
        (np.zeros((3, 8)), [1, 1, 1], r"\(n_jets, rows, 5\) tables"),
        (np.zeros((3, 8, 5)), [1, 1], "2 particle counts for 3 jets"),
    ],
)
def test_bad_shapes_are_refused(particles, counts, message):
    with pytest.raises(ValueError, match=message):
        n_subjettiness(particles, np.array(counts))


def test_w_and_top_jets_have_their_prongs():
    jets = load_dataset(DATA / "jet-images.h5", constituents=True)
    rows = np.arange(3000)
    tau21, tau32 = tau_ratios(
        n_subjettiness(jets.particles[rows], jets.n_particles[rows])
    )
    labels = jets.labels[rows]

    def median(values, label):
        return np.median(values[labels == jets.label_order.index(label)])

    for boson in "wz":
        assert median(tau21, boson) < 0.7 * min(median(tau21, "g"), median(tau21, "q"))
    assert median(tau32, "t") < 0.75 * min(median(tau32, "g"), median(tau32, "q"))
