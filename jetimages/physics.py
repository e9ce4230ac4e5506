"""What is simulated for each jet class, and the cuts that define a jet of the dataset.

Every class is a 13 TeV proton-proton process whose hard scattering has a transverse
momentum (pT-hat) near 1 TeV, so that all five classes share the same jet pT range and
only their substructure tells them apart.
"""

from dataclasses import dataclass

SQRT_S_GEV = 13_000.0
PT_HAT_WINDOW_GEV = (900.0, 1100.0)

JET_RADIUS = 0.8  # anti-kT R, as for the "fat" jets of CMS and the hls4ml sample
JET_PT_WINDOW_GEV = (800.0, 1200.0)
JET_MAX_ABS_ETA = 2.0
# A jet is "of" a hard parton or resonance when their axes are this close in (eta, phi) ...
MATCH_DELTA_R = 0.6
# ... and, for t/W/Z, when every quark from the decay lies inside the jet.
CONTAINMENT_DELTA_R = JET_RADIUS

# Hadronic W and Z decays: to any quark pair (d, u, s, c, b by PDG id).
_HADRONIC = "1 2 3 4 5"


@dataclass(frozen=True)
class JetClass:
    """One class of jets: its label, its Pythia processes, and how its jets are truth-matched."""

    label: str
    name: str
    processes: tuple[str, ...]
    decays: tuple[str, ...]
    # PDG ids (absolute) of the hard-process particle a jet of this class comes from
    origin_ids: frozenset[int]
    # True for t, W, Z: the jet must also contain the decay quarks of its origin
    resonance: bool

    def pythia_settings(self) -> list[str]:
        return [*self.processes, *self.decays]


JET_CLASSES: tuple[JetClass, ...] = (
    JetClass(
        label="g",
        name="gluon",
        # at leading order both outgoing partons are gluons
        processes=("HardQCD:gg2gg = on", "HardQCD:qqbar2gg = on"),
        decays=(),
        origin_ids=frozenset({21}),
        resonance=False,
    ),
    JetClass(
        label="q",
        name="light quark",
        # both outgoing partons are quarks; qqbar -> q'qbar' restricted to u, d, s
        processes=(
            "HardQCD:qq2qq = on",
            "HardQCD:qqbar2qqbarNew = on",
            "HardQCD:nQuarkNew = 3",
        ),
        decays=(),
        origin_ids=frozenset({1, 2, 3}),
        resonance=False,
    ),
    JetClass(
        label="t",
        name="top quark",
        # t -> W b always; both W bosons decay to quarks, so both tops are hadronic
        processes=("Top:gg2ttbar = on", "Top:qqbar2ttbar = on"),
        decays=("24:onMode = off", f"24:onIfAny = {_HADRONIC}"),
        origin_ids=frozenset({6}),
        resonance=True,
    ),
    JetClass(
        label="w",
        name="W boson",
        # a W recoiling against a quark or gluon, decaying to a quark pair
        processes=("WeakBosonAndParton:qqbar2Wg = on", "WeakBosonAndParton:qg2Wq = on"),
        decays=("24:onMode = off", f"24:onIfAny = {_HADRONIC}"),
        origin_ids=frozenset({24}),
        resonance=True,
    ),
    JetClass(
        label="z",
        name="Z boson",
        # gmZmode = 2 keeps the Z alone (no photon interference), decaying to a quark pair
        processes=(
            "WeakBosonAndParton:qqbar2gmZg = on",
            "WeakBosonAndParton:qg2gmZq = on",
            "WeakZ0:gmZmode = 2",
        ),
        decays=("23:onMode = off", f"23:onIfAny = {_HADRONIC}"),
        origin_ids=frozenset({23}),
        resonance=True,
    ),
)

LABELS: tuple[str, ...] = tuple(jet_class.label for jet_class in JET_CLASSES)


def jet_class(label: str) -> JetClass:
    """The JetClass with this one-letter label, or a ValueError that lists the valid ones."""
    for candidate in JET_CLASSES:
        if candidate.label == label:
            return candidate
    raise ValueError(f"unknown jet class {label!r}: choose one of {', '.join(LABELS)}")


# Settings every simulation shares beyond Pythia's defaults. By default Pythia's shower
# stops photon emission off quarks at 0.5 GeV (TimeShower:pTminChgQ) but lets charged
# leptons and the other charged particles it showers radiate down to 1e-6 GeV
# (TimeShower:pTminChgL). The W boson is such
# a particle, the Z is neutral, so 17 % of W jets (4 % of top jets) carried photons far below
# 1 MeV (a median of about 10 eV) that quark, gluon and Z jets almost never have: a difference of cut-offs, not of
# nature, that no detector could see and that networks learned. One cut-off for every
# charged particle, the quarks' 0.5 GeV, removes it and keeps the W's harder photons.
SHARED_SETTINGS: tuple[str, ...] = ("TimeShower:pTminChgL = 0.5",)

# The simulations a dataset can be made with: the Pythia settings each adds to the
# common ones (SHARED_SETTINGS). "nominal" is Pythia's default shower and tune (Monash
# 2013) with those; the others are there to ask how much a tagger learned of the physics
# and how much of one model of it. FSR: final-state radiation, Pythia's "TimeShower";
# its alpha_s(m_Z) is 0.1365 by default, varied here by about 10 % up and down.
SIMULATIONS: dict[str, tuple[str, ...]] = {
    "nominal": (),
    # Vincia's antenna shower in place of Pythia's simple shower; verbosity 1 keeps its
    # banner out of the log (Print:quiet does not), and changes no random number
    "vincia": ("PartonShowers:model = 2", "Print:verbosity = 1"),
    "fsr-alphas-up": ("TimeShower:alphaSvalue = 0.150",),
    "fsr-alphas-down": ("TimeShower:alphaSvalue = 0.123",),
    # Hadronization: the Lund string's fragmentation function (a, b) and the width of its
    # transverse kicks (sigma) of the LEP tune that was Pythia's default before Monash 2013
    # (H. Hoeth 2009, Pythia's Tune:ee = 3): 0.3, 0.8, 0.304 instead of 0.68, 0.98, 0.335.
    # Each set belonged to a tune fitted to LEP data (the three inserted into Monash are not
    # a tune of their own); their difference is a yardstick of what the data leave open. The shower and the flavour parameters stay as in the default tune.
    "hadronization": (
        "StringZ:aLund = 0.30",
        "StringZ:bLund = 0.80",
        "StringPT:sigma = 0.304",
    ),
    # Pythia's own photon cut-off for charged particles other than quarks (1e-6 GeV, see
    # SHARED_SETTINGS): sub-MeV photons in about one W jet in six, as in the book's first
    # data. Kept to show what a network makes of such an artefact.
    "soft-photons": ("TimeShower:pTminChgL = 1e-6",),
}


def simulation_settings(simulation: str) -> tuple[str, ...]:
    """The Pythia settings of one of SIMULATIONS, or a ValueError that lists them."""
    if simulation not in SIMULATIONS:
        raise ValueError(
            f"unknown simulation {simulation!r}: choose one of {', '.join(SIMULATIONS)}"
        )
    return SIMULATIONS[simulation]


def common_pythia_settings(seed: int, simulation: str = "nominal") -> list[str]:
    """Settings shared by every class: beams, pT-hat window, a fixed seed, a quiet log,
    SHARED_SETTINGS, and those of the simulation (see SIMULATIONS)."""
    low, high = PT_HAT_WINDOW_GEV
    return [
        f"Beams:eCM = {SQRT_S_GEV}",
        f"PhaseSpace:pTHatMin = {low}",
        f"PhaseSpace:pTHatMax = {high}",
        "Random:setSeed = on",
        f"Random:seed = {seed}",
        "Print:quiet = on",
        *SHARED_SETTINGS,
        *simulation_settings(simulation),
    ]
