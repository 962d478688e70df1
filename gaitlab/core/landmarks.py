"""Anatomical landmarks and the marker sets that carry them.

Analyses ask for canonical anatomical landmarks (``"l_asis"``, ``"c7"`` ...,
see :data:`LANDMARKS`), never for a lab's marker labels. A
:class:`MarkerPreset` lists, for each landmark, the labels one marker set uses
for it, tried in order; a :class:`MarkerMap` resolves the landmarks of one
trial from its labels, a preset (named, or detected with
:func:`detect_preset`) and the project's overrides.

Labels are compared through :func:`normalize_label`, so ``"LASI"``, ``"lasi"``
and ``"L.ASI"`` name the same marker. When two labels of one trial normalise
to the same key, only an exact (case-sensitive) match resolves; otherwise the
landmark is ambiguous and stays unresolved, and
:meth:`MarkerMap.missing_message` says why.

A landmark the preset does not find is then looked for by its common
synonyms (:data:`SYNONYMS`): a label made of a side token (``L``, ``R``,
``Left``, ``Right`` as a prefix, after a separator as a suffix, or a capital
L/R between camel-case words) and a common abbreviation of the landmark
(``LHEEL``, ``RP1MT``, ``L_FLE``, ``Heel_R``, ``WaistLFront`` ...). Labels
a preset already used are not taken again. :meth:`MarkerMap.report` lists
what was matched and how (``label``, ``mean of ...``, ``override``,
``synonym <stem>``).

Presets also list the technical (cluster) markers of each segment
(:attr:`MarkerPreset.clusters`), used to rebuild anatomical landmarks that
only a static trial carries (:mod:`gaitlab.core.cluster`).

Examples
--------
>>> labels = ["LASI", "RASI", "SACR", "LTOE", "RTOE"]
>>> marker_map = MarkerMap(labels)
>>> marker_map.preset.name
'plug_in_gait'
>>> marker_map.resolve("l_asis")
Resolution(landmark='l_asis', labels=('LASI',), how='label')
>>> marker_map.missing_message("l_heel")  # doctest: +ELLIPSIS
'missing landmark l_heel (marker set Vicon Plug-in Gait; labels tried: LHEE; ...)'
>>> MarkerMap(["LASI", "RASI", "SACR", "LHEEL"]).resolve("l_heel")
Resolution(landmark='l_heel', labels=('LHEEL',), how='synonym heel')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeAlias

import numpy as np

from gaitlab.core.cluster import DEFAULT_RESIDUAL_THRESHOLD_MM, SEGMENT_LANDMARKS
from gaitlab.core.trial import MarkerSet
from gaitlab.core.types import SIDE_PREFIX, FloatArray

__all__ = [
    "COMMON_CLUSTERS",
    "LANDMARKS",
    "PRESETS",
    "SYNONYMS",
    "Candidate",
    "MarkerMap",
    "MarkerPreset",
    "PresetMatch",
    "Resolution",
    "detect_preset",
    "normalize_label",
]


Candidate: TypeAlias = str | tuple[str, ...]
"""A marker label, or a tuple of labels whose mean position is the landmark."""

_SIDES = tuple(
    (prefix, prefix.upper(), side.lower()) for side, prefix in SIDE_PREFIX.items()
)
"""(name prefix, preset label prefix, word) per side: ``("l", "L", "left")``."""


def _sided(descriptions: Mapping[str, str]) -> dict[str, str]:
    """``{"asis": "ASIS"}`` -> ``{"l_asis": "left ASIS", "r_asis": "right ASIS"}``."""
    return {
        f"{side}_{name}": f"{word} {text}"
        for name, text in descriptions.items()
        for side, _, word in _SIDES
    }


LANDMARKS: dict[str, str] = {
    # head
    **_sided(
        {
            "head_front": "front head marker, over the temple (PiG LFHD)",
            "head_back": "back head marker (PiG LBHD)",
        }
    ),
    "head_top": "vertex of the head",
    # trunk
    "c7": "spinous process of the 7th cervical vertebra (PiG C7)",
    "t10": "spinous process of the 10th thoracic vertebra (PiG T10)",
    "clavicle": "jugular notch of the sternum (PiG CLAV)",
    "sternum": "xiphoid process of the sternum (PiG STRN)",
    "sacrum": "sacrum, midway between the PSIS (PiG SACR)",
    # pelvis, arm, leg, joint centres
    **_sided(
        {
            "asis": "anterior superior iliac spine (PiG LASI)",
            "psis": "posterior superior iliac spine (PiG LPSI)",
            "iliac_crest": "top of the iliac crest",
            "shoulder": "acromion (PiG LSHO)",
            "elbow": "lateral epicondyle of the humerus (PiG LELB)",
            "elbow_medial": "medial epicondyle of the humerus",
            "wrist_radial": "radial styloid, thumb side of the wrist (PiG LWRA)",
            "wrist_ulnar": "ulnar styloid, little-finger side of the wrist (PiG LWRB)",
            "hand": "dorsum of the hand near the 2nd-3rd metacarpal heads (PiG LFIN)",
            "trochanter": "greater trochanter of the femur",
            "thigh": "thigh wand marker (PiG LTHI)",
            "knee": "lateral femoral epicondyle (PiG LKNE)",
            "knee_medial": "medial femoral epicondyle",
            "tibia": "tibia wand marker (PiG LTIB)",
            "ankle": "lateral malleolus (PiG LANK)",
            "ankle_medial": "medial malleolus",
            "heel": "posterior heel on the calcaneus (PiG LHEE)",
            "toe": "forefoot on the 2nd metatarsal head (PiG LTOE)",
            "mt1": "1st metatarsal head",
            "mt5": "5th metatarsal head",
            "hallux": "big toe",
            "hip_jc": "hip joint centre stored in the file",
            "knee_jc": "knee joint centre stored in the file",
            "ankle_jc": "ankle joint centre stored in the file",
        }
    ),
}
"""Canonical landmark name -> one-line description."""


_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")


def normalize_label(label: str) -> str:
    """Return the key under which marker labels are compared.

    Lower case, with everything but ``a-z`` and ``0-9`` removed.

    Examples
    --------
    >>> normalize_label("L.ASIS"), normalize_label("l_asis"), normalize_label("RKNE_2")
    ('lasis', 'lasis', 'rkne2')
    """
    return _NOT_ALPHANUMERIC.sub("", label.lower())


@dataclass(frozen=True)
class MarkerPreset:
    """How one marker set labels the canonical landmarks.

    Attributes
    ----------
    name : str
        Slug, the key in :data:`PRESETS` (e.g. ``"plug_in_gait"``).
    title : str
        Human-readable name (e.g. ``"Vicon Plug-in Gait"``).
    description : str
        What the set is and which recordings it was read from.
    mapping : Mapping of str to tuple of Candidate
        Canonical landmark -> candidates, tried in order; the first one whose
        labels are all in the trial is used.
    clusters : Mapping of str to tuple of str
        Segment (a key of :data:`gaitlab.core.cluster.SEGMENT_LANDMARKS`) ->
        labels of its technical markers (rigid cluster or other markers fixed
        to the segment). The labels of :data:`COMMON_CLUSTERS` are added to
        every preset's.
    """

    name: str
    title: str
    description: str
    mapping: Mapping[str, tuple[Candidate, ...]] = field(hash=False)
    clusters: Mapping[str, tuple[str, ...]] = field(
        hash=False, default_factory=lambda: MappingProxyType({})
    )


def _per_side(
    table: Mapping[str, tuple[Candidate, ...]],
) -> Mapping[str, tuple[Candidate, ...]]:
    """Expand a preset table: a ``{s}_`` key gives an ``l_`` and an ``r_`` entry.

    In the candidates of such a key, ``{S}`` becomes ``L``/``R`` and ``{s}``
    becomes ``l``/``r``.
    """
    mapping: dict[str, tuple[Candidate, ...]] = {}
    for key, candidates in table.items():
        if "{s}" not in key:
            mapping[key] = candidates
            continue
        for side, upper, _ in _SIDES:
            mapping[key.format(s=side)] = tuple(
                label.format(s=side, S=upper)
                if isinstance(label, str)
                else tuple(part.format(s=side, S=upper) for part in label)
                for label in candidates
            )
    return MappingProxyType(mapping)


def _sided_clusters(
    table: Mapping[str, tuple[str, ...]],
) -> Mapping[str, tuple[str, ...]]:
    """Cluster table: ``{s}_thigh`` gives ``l_thigh`` and ``r_thigh`` (``{S}`` = L/R)."""
    clusters: dict[str, tuple[str, ...]] = {}
    for key, labels in table.items():
        for side, upper, _ in _SIDES if "{s}" in key else (("", "", ""),):
            clusters[key.format(s=side)] = tuple(
                label.format(S=upper, s=side) for label in labels
            )
    return MappingProxyType(clusters)


def _numbered(*stems: str, count: int = 4) -> tuple[str, ...]:
    """``_numbered("{S}TH")`` -> ``("{S}TH1", ..., "{S}TH4")``."""
    return tuple(f"{stem}{i}" for stem in stems for i in range(1, count + 1))


COMMON_CLUSTERS: Mapping[str, tuple[str, ...]] = _sided_clusters(
    {
        "{s}_thigh": _numbered("{S}TH", "{S}THI", "{S}THIGH", "{S}FEM"),
        "{s}_shank": _numbered(
            "{S}SK", "{S}SH", "{S}TB", "{S}TIB", "{S}SHANK", "{S}LEG"
        ),
        "{s}_foot": _numbered("{S}FT", "{S}FOOT", "{S}FO", count=3),
        "{s}_upper_arm": _numbered("{S}UA", "{S}ARM", count=3),
        "{s}_forearm": _numbered("{S}FA", count=3),
        "pelvis": _numbered("PEL", "PELVIS", count=4),
    }
)
"""Numbered cluster labels of common 6DOF marker sets (``LTH1``-``LTH4``,
``RTB1``-``RTB3`` in OpenSim's walking2.c3d; ``L_SK1``, ``RFT2`` ...), tried for
every preset. Labels are normalised, so ``L.TH1`` and ``l_th1`` match ``LTH1``."""

_PLUG_IN_GAIT = MarkerPreset(
    name="plug_in_gait",
    title="Vicon Plug-in Gait",
    description=(
        "Vicon Plug-in Gait (full body), with the Helen Hayes / VCM and Motion "
        "Analysis variants of the c3d.org, BTK and c3dio samples: gait-pig.c3d, "
        "sample14.c3d, sample21.c3d, analogfpscale04.c3d, type-2a.c3d, Gait.c3d "
        "(IJ, PX), short.c3d and Sample_Jump2.c3d (THEA, L.TO), TYPE-3.c3d "
        "(LTRC, LLKN, LMKN, LLMA) and bigparlove.c3d (LTro, LKneL, LAnkM, LHJC)."
    ),
    mapping=_per_side(
        {
            "{s}_head_front": ("{S}FHD",),
            "{s}_head_back": ("{S}BHD",),
            # Motion Analysis "top head" (short.c3d: the highest head marker).
            "head_top": ("THEA",),
            "c7": ("C7",),
            "t10": ("T10",),
            # IJ / PX: incisura jugularis / processus xiphoideus (Gait.c3d).
            "clavicle": ("CLAV", "IJ"),
            "sternum": ("STRN", "PX"),
            "sacrum": ("SACR", "VSAC"),
            "{s}_asis": ("{S}ASI",),
            "{s}_psis": ("{S}PSI",),
            "{s}_shoulder": ("{S}SHO",),
            "{s}_elbow": ("{S}ELB",),
            # WRI: the single Helen Hayes wrist marker (short.c3d, Gait.c3d).
            "{s}_wrist_radial": ("{S}WRA", "{S}WRI"),
            "{s}_wrist_ulnar": ("{S}WRB",),
            "{s}_hand": ("{S}FIN",),
            "{s}_trochanter": ("{S}TRC", "{S}TRO"),
            "{s}_thigh": ("{S}THI",),
            "{s}_knee": ("{S}KNE", "{S}LKN", "{S}KNEL"),
            "{s}_knee_medial": ("{S}KNM", "{S}MKN", "{S}KNEM"),
            # SHA: Helen Hayes shank wand.
            "{s}_tibia": ("{S}TIB", "{S}SHA"),
            # An explicit lateral-malleolus label wins over ANK: in TYPE-3.c3d
            # RANK lies 9 cm medial of RLMA, i.e. on the medial malleolus.
            "{s}_ankle": ("{S}LMA", "{S}ANK", "{S}ANKL"),
            "{s}_ankle_medial": ("{S}MED", "{S}ANKM"),
            "{s}_heel": ("{S}HEE",),
            "{s}_toe": ("{S}TOE", "{S}.TO"),
            "{s}_hip_jc": ("{S}HJC",),
            "{s}_knee_jc": ("{S}KJC",),
            "{s}_ankle_jc": ("{S}AJC",),
        }
    ),
)

_FUKUCHI_2017 = MarkerPreset(
    name="fukuchi_2017",
    title="Fukuchi et al. 2017 running set",
    description=(
        "Running biomechanics data set of Fukuchi, Fukuchi & Duarte (2017): "
        "RBDS001runT25.c3d, RBDS001runT45.c3d and RBDS001static.c3d. Running "
        "trials carry pelvis, heel, MT1/MT5 and thigh/shank clusters; the static "
        "trial adds GTR, knee and ankle (lateral and medial) and MT2. The toe is "
        "the mean of MT1 and MT5 in every trial, static included, so that static "
        "and running trials use the same point (MT2, only in the static trial, "
        "is 2.3 cm from that mean there). The heel is Heel.Bottom (Heel.Top if "
        "absent). Clusters, Heel.Lateral, HF, TT and ASY are not landmarks."
    ),
    mapping=_per_side(
        {
            "{s}_asis": ("{S}.ASIS",),
            "{s}_psis": ("{S}.PSIS",),
            "{s}_iliac_crest": ("{S}.Iliac.Crest",),
            "{s}_trochanter": ("{S}.GTR",),
            "{s}_knee": ("{S}.Knee",),
            "{s}_knee_medial": ("{S}.Knee.Medial",),
            "{s}_ankle": ("{S}.Ankle",),
            "{s}_ankle_medial": ("{S}.Ankle.Medial",),
            "{s}_heel": ("{S}.Heel.Bottom", "{S}.Heel.Top"),
            "{s}_toe": (("{S}.MT1", "{S}.MT5"),),
            "{s}_mt1": ("{S}.MT1",),
            "{s}_mt5": ("{S}.MT5",),
        }
    ),
    # CAST (Cappozzo et al. 1995): 4-marker thigh and shank plates; the foot
    # carries its heel and metatarsal markers in every trial.
    clusters=_sided_clusters(
        {
            "{s}_thigh": (
                "{S}.Thigh.Top.Lateral",
                "{S}.Thigh.Top.Medial",
                "{S}.Thigh.Bottom.Lateral",
                "{S}.Thigh.Bottom.Medial",
            ),
            "{s}_shank": (
                "{S}.Shank.Top.Lateral",
                "{S}.Shank.Top.Medial",
                "{S}.Shank.Bottom.Lateral",
                "{S}.Shank.Bottom.Medial",
            ),
            "{s}_foot": (
                "{S}.Heel.Top",
                "{S}.Heel.Bottom",
                "{S}.Heel.Lateral",
                "{S}.MT1",
                "{S}.MT5",
            ),
            "pelvis": (
                "L.ASIS",
                "R.ASIS",
                "L.PSIS",
                "R.PSIS",
                "L.Iliac.Crest",
                "R.Iliac.Crest",
            ),
        }
    ),
)

_CAST_6DOF = MarkerPreset(
    name="cast_6dof",
    title="CAST / 6DOF cluster set (IOR anatomical labels)",
    description=(
        "Cluster protocols after Cappozzo et al. (1995) with the anatomical "
        "labels of the IOR gait protocol (Leardini et al. 2007), used by the "
        "Qualisys and Visual3D templates: IAS / IPS (ASIS / PSIS), FTC (greater "
        "trochanter), FLE / FME (femoral epicondyles), FAL / TAM (lateral / "
        "medial malleolus), FCC (calcaneus), FM1, FM2, FM5 (metatarsal heads; "
        "the toe is FM2). ISB-style labels (ASIS, GTR, LM, MM, MT1 ...) are "
        "found through SYNONYMS; numbered clusters (TH1-4, SK1-4, FT1-3 ...) "
        "through COMMON_CLUSTERS."
    ),
    mapping=_per_side(
        {
            "{s}_asis": ("{S}IAS",),
            "{s}_psis": ("{S}IPS",),
            "{s}_trochanter": ("{S}FTC",),
            "{s}_knee": ("{S}FLE",),
            "{s}_knee_medial": ("{S}FME",),
            "{s}_ankle": ("{S}FAL",),
            "{s}_ankle_medial": ("{S}TAM",),
            "{s}_heel": ("{S}FCC",),
            "{s}_toe": ("{S}FM2",),
            "{s}_mt1": ("{S}FM1",),
            "{s}_mt5": ("{S}FM5",),
        }
    ),
)

_OPENSIM_FULL_BODY = MarkerPreset(
    name="opensim_full_body",
    title="OpenSim full-body example",
    description=(
        "Marker set of the OpenSim example walking2.c3d (opensim-core): PiG head, "
        "trunk and pelvis labels, anatomical leg labels (LFC/MFC femoral "
        "condyles, LMAL/MMAL malleoli, CAL, MT1, MT2) and stored joint centres. "
        "The toe is MT2. Thigh and shank clusters (TH1-3, TB1-3) are not "
        "landmarks."
    ),
    mapping=_per_side(
        {
            "{s}_head_front": ("{S}FHD",),
            "{s}_head_back": ("{S}BHD",),
            "c7": ("C7",),
            "t10": ("T10",),
            "clavicle": ("CLAV",),
            "sternum": ("STRN",),
            "{s}_asis": ("{S}ASI",),
            "{s}_psis": ("{S}PSI",),
            "{s}_knee": ("{S}LFC",),
            "{s}_knee_medial": ("{S}MFC",),
            "{s}_ankle": ("{S}LMAL",),
            "{s}_ankle_medial": ("{S}MMAL",),
            "{s}_heel": ("{S}CAL",),
            "{s}_toe": ("{S}MT2",),
            "{s}_mt1": ("{S}MT1",),
            "{s}_hip_jc": ("{S}HJC",),
            "{s}_knee_jc": ("{S}KJC",),
            "{s}_ankle_jc": ("{S}AJC",),
        }
    ),
)

_CODAMOTION = MarkerPreset(
    name="codamotion",
    title="Codamotion gait (wands)",
    description=(
        "Codamotion gait protocol with pelvic and leg wands: "
        "ADemo1_rewrite_c3d_pc_float.c3d, ADemo1_rewrite_c3d_pc_integer.c3d and "
        "codamotion_gaitwands_20150204.c3d. Wand markers (Sac.Wand, Ant/Post.Fem., "
        "Ant/Post.Tib.) stand off the skin and are not mapped; neither is L.Hip, "
        "which lies lateral of the ASIS, where no hip joint centre is."
    ),
    mapping=_per_side(
        {
            "{s}_asis": ("{S}.ASIS",),
            "{s}_psis": ("{S}.PSIS",),
            "{s}_knee": ("{S}.Knee",),
            "{s}_ankle": ("{S}.Ankle",),
            "{s}_heel": ("{S}.Heel",),
            "{s}_toe": ("{S}.Toe",),
        }
    ),
)

_QUALISYS_LOWER_BODY = MarkerPreset(
    name="qualisys_lower_body",
    title="Qualisys lower body (lower-case anatomical labels)",
    description=(
        "Lower-case anatomical labels of the Qualisys samples Capture0002.c3d and "
        "Capture0008_Standing.c3d. The knee is knjntln, the lateral knee "
        "joint-line marker (4 cm lateral and 7 cm posterior of suppat in the "
        "standing trial). th12 (12th thoracic vertebra), suppat "
        "(supra-patellar) and tubtib (tibial tuberosity) are not landmarks."
    ),
    mapping=_per_side(
        {
            "{s}_shoulder": ("{s}_shoulder",),
            "{s}_asis": ("{s}_asis",),
            "sacrum": ("sacrum",),
            "{s}_knee": ("{s}_knjntln",),
            "{s}_ankle": ("{s}_ankle",),
            "{s}_heel": ("{s}_heel",),
            "{s}_toe": ("{s}_toe",),
        }
    ),
)

_FRENCH_ANATOMICAL = MarkerPreset(
    name="french_anatomical",
    title="French anatomical labels",
    description=(
        "French anatomical abbreviations of the BTK sample Res16bits.c3d: TET "
        "(tête, front of the head), STER (jugular notch), ACR (acromion), COU / "
        "COU_2 (coude: lateral / medial epicondyle), MAI / MAI_2 (ulnar / radial "
        "side of the wrist), MC2, MC5, EAS / EPS (anterior / posterior superior "
        "iliac spine), CL / CM (lateral / medial condyle), ML / MM (malleoli), "
        "CAL, MT1, MT5, HAL. Sides were checked against the positions in that "
        "file. The hand is the mean of MC2 and MC5, the toe the mean of MT1 and "
        "MT5; T8, ANG and PRO are not landmarks."
    ),
    mapping=_per_side(
        {
            "{s}_head_front": ("{S}TET",),
            "c7": ("C7",),
            "clavicle": ("STER",),
            "sternum": ("PX",),
            "{s}_shoulder": ("{S}ACR",),
            "{s}_elbow": ("{S}COU",),
            "{s}_elbow_medial": ("{S}COU_2",),
            "{s}_wrist_radial": ("{S}MAI_2",),
            "{s}_wrist_ulnar": ("{S}MAI",),
            "{s}_hand": (("{S}MC2", "{S}MC5"),),
            "{s}_asis": ("{S}EAS",),
            "{s}_psis": ("{S}EPS",),
            "{s}_knee": ("{S}CL",),
            "{s}_knee_medial": ("{S}CM",),
            "{s}_ankle": ("{S}ML",),
            "{s}_ankle_medial": ("{S}MM",),
            "{s}_heel": ("{S}CAL",),
            "{s}_toe": (("{S}MT1", "{S}MT5"),),
            "{s}_mt1": ("{S}MT1",),
            "{s}_mt5": ("{S}MT5",),
            "{s}_hallux": ("{S}HAL",),
        }
    ),
)

PRESETS: dict[str, MarkerPreset] = {
    preset.name: preset
    for preset in (
        _PLUG_IN_GAIT,
        _FUKUCHI_2017,
        _CAST_6DOF,
        _OPENSIM_FULL_BODY,
        _CODAMOTION,
        _QUALISYS_LOWER_BODY,
        _FRENCH_ANATOMICAL,
    )
}
"""Shipped marker presets by name."""

_MIN_LANDMARKS_FOR_DETECTION = 3

SYNONYMS: dict[str, tuple[str, ...]] = {
    # unsided landmarks
    "c7": ("c7", "cv7", "vc7"),
    "t10": ("t10", "th10"),
    "clavicle": ("clav", "clavicle", "ij", "ster", "sternumtop", "jugularnotch"),
    "sternum": ("strn", "px", "xiphoid", "xyphoid"),
    "sacrum": ("sacr", "sacrum", "sac", "vsac", "midpsis"),
    "head_top": ("thea", "headtop", "vertex"),
    # sided landmarks (the part after the side token)
    "head_front": ("fhd", "fhead", "headfront", "fronthead"),
    "head_back": ("bhd", "bhead", "headback", "backhead"),
    "asis": ("asi", "asis", "ias", "waistfront"),
    "psis": ("psi", "psis", "ips", "waistback"),
    "iliac_crest": ("iliaccrest", "ilc", "ic", "crest"),
    "shoulder": ("sho", "shoulder", "acr", "acromion"),
    "elbow": ("elb", "elbow", "ele", "lhe", "elbowlat", "elbowlateral"),
    "elbow_medial": ("elbm", "elbowmed", "elbowmedial", "eme", "mhe"),
    "wrist_radial": ("wra", "wrist", "wri", "rsp", "radialstyloid"),
    "wrist_ulnar": ("wrb", "usp", "ulnarstyloid"),
    "hand": ("fin", "hand", "mc3", "mcp3"),
    "trochanter": ("trc", "tro", "gtr", "gt", "ftc", "troch", "trochanter"),
    "thigh": ("thi", "thigh"),
    "knee": ("kne", "knee", "lkn", "knl", "knel", "fle", "lfe", "lfc", "lep", "lk",
             "kneelat", "kneelateral", "kneeout", "latknee", "lateralknee",
             "latepicondyle"),
    "knee_medial": ("knm", "mkn", "kneem", "knem", "fme", "mfe", "mfc", "mep",
                    "mk", "kneemed", "kneemedial", "kneein", "medknee", "medialknee",
                    "medepicondyle"),
    "tibia": ("tib", "tibia", "sha", "shank"),
    "ankle": ("ank", "ankle", "lma", "lmal", "mal", "fal", "lm", "ankl",
              "anklelat", "anklelateral", "ankleout", "latmal", "latmall", "latankle",
              "lateralmalleolus", "malleolus"),
    "ankle_medial": ("ankm", "med", "mma", "mmal", "tam", "mm", "anklemed",
                     "anklemedial", "anklein", "medmal", "medmall", "medankle",
                     "medialmalleolus"),
    "heel": ("hee", "heel", "hel", "cal", "fcc", "calc", "calcaneus",
             "heelbottom", "heelback", "heelpost", "pternion"),
    "toe": ("toe", "toes", "mt2", "met2", "p2mt", "fm2", "mth2", "mh2", "forefoot2",
            "toetip"),
    "mt1": ("mt1", "met1", "p1mt", "fm1", "mth1", "mh1", "1mt", "mt1head",
            "forefootin"),
    "mt5": ("mt5", "met5", "p5mt", "fm5", "mth5", "mh5", "5mt", "mt5head",
            "forefootout"),
    "hallux": ("hal", "hallux", "bigtoe", "hlx"),
    "hip_jc": ("hjc", "hipjc", "hipjointcentre", "hipjointcenter"),
    "knee_jc": ("kjc", "kneejc", "kneejointcentre", "kneejointcenter"),
    "ankle_jc": ("ajc", "anklejc", "anklejointcentre", "anklejointcenter"),
}  # fmt: skip
"""Landmark (without its ``l_``/``r_`` side) -> normalised label stems that name it,
in order of preference, tried when the preset has no label for the landmark in
a trial. A sided label is a side token and a stem: ``LHEEL``, ``RP1MT``,
``L_FLE``, ``LeftHeel``, ``Heel_R``, ``heel.left``, ``WaistLFront``. Stems
come from Plug-in Gait and its variants, the ISB and IOR (Leardini et al.
2007) abbreviations, published running data sets (``HEEL``, ``P1MT``) and the
Qualisys animation set (``HeelBack``, ``AnkleOut``, ``ForefootIn``,
``WaistFront``)."""

_SIDE_WORDS = (("left", "l"), ("right", "r"), ("l", "l"), ("r", "r"))
_SUFFIX_SIDE = re.compile(r"^(?P<stem>.+?)[^A-Za-z0-9]+(?P<side>left|right|l|r)$", re.I)
_INNER_SIDE = re.compile(r"^(?P<head>[A-Z][a-z]+)(?P<side>L|R)(?P<tail>[A-Z][a-z]*)$")
"""A capital L/R between camel-case words: ``WaistLFront`` (Qualisys)."""


def _side_parses(label: str) -> set[tuple[str, str]]:
    """Possible (side, stem) readings of a label; side ``""`` for the whole label.

    A side is a leading ``L``/``R``/``Left``/``Right`` (``LHEEL``, ``L_FLE``,
    ``LeftHeel``), one after a separator at the end (``Heel_R``,
    ``heel.left``), or a capital ``L``/``R`` between camel-case words
    (``WaistLFront``).

    Examples
    --------
    >>> sorted(_side_parses("L_Heel"))
    [('', 'lheel'), ('l', 'heel')]
    >>> sorted(_side_parses("Heel.R"))
    [('', 'heelr'), ('r', 'heel')]
    >>> sorted(_side_parses("WaistLFront"))
    [('', 'waistlfront'), ('l', 'waistfront')]
    """
    key = normalize_label(label)
    parses = {("", key)}
    for word, side in _SIDE_WORDS:
        if key.startswith(word) and len(key) > len(word):
            parses.add((side, key[len(word) :]))
    suffix = _SUFFIX_SIDE.match(label)
    if suffix:
        side = suffix["side"].lower()[0]
        parses.add((side, normalize_label(suffix["stem"])))
    inner = _INNER_SIDE.match(label)
    if inner:
        parses.add(
            (inner["side"].lower(), normalize_label(inner["head"] + inner["tail"]))
        )
    return parses


def _synonym_keys(landmark: str) -> tuple[tuple[str, str], ...]:
    """(side, stem) keys that name a canonical landmark, in order of preference."""
    side, _, name = landmark.partition("_")
    if side in SIDE_PREFIX.values() and name in SYNONYMS:
        return tuple((side, stem) for stem in SYNONYMS[name])
    return tuple(("", stem) for stem in SYNONYMS.get(landmark, ()))


@dataclass(frozen=True)
class Resolution:
    """How one landmark was found in a trial.

    Attributes
    ----------
    landmark : str
        Canonical landmark name.
    labels : tuple of str
        Trial labels (as the trial spells them) whose mean position is the
        landmark; one label in the usual case.
    how : str
        ``"label"``, ``"mean of <labels>"``, ``"override"`` or ``"synonym <stem>"``.
    """

    landmark: str
    labels: tuple[str, ...]
    how: str


@dataclass(frozen=True)
class PresetMatch:
    """How well a preset fits a trial's labels.

    Attributes
    ----------
    preset : MarkerPreset
        The preset scored.
    n_found : int
        Landmarks of the preset that resolve in the trial.
    n_expected : int
        Landmarks the preset maps.
    score : float
        ``n_found / n_expected``.
    """

    preset: MarkerPreset
    n_found: int
    n_expected: int
    score: float


class _LabelIndex:
    """Trial labels looked up by their normalised key."""

    def __init__(self, labels: Sequence[str]) -> None:
        self._by_key: dict[str, list[str]] = {}
        self._by_parse: dict[tuple[str, str], list[str]] = {}
        for label in labels:
            self._by_key.setdefault(normalize_label(label), []).append(label)
            for parse in _side_parses(label):
                self._by_parse.setdefault(parse, []).append(label)

    def by_synonym(self, landmark: str) -> tuple[str, tuple[str, ...]]:
        """Find the first synonym stem of ``landmark`` and the labels it matches.

        ``("", ())`` when no synonym matches a label of the trial.
        """
        for key in _synonym_keys(landmark):
            found = self._by_parse.get(key)
            if found:
                return key[1], tuple(dict.fromkeys(found))
        return "", ()

    def find(self, label: str) -> tuple[str, ...]:
        """Trial labels that ``label`` names: none, one, or several (ambiguous).

        An exact (case-sensitive) match settles a clash between several
        labels with the same key.
        """
        matches = tuple(self._by_key.get(normalize_label(label), ()))
        if len(matches) > 1 and label in matches:
            return (label,)
        return matches


@dataclass(frozen=True)
class _Outcome:
    """Result of trying a landmark's candidates on a trial."""

    labels: tuple[str, ...] | None
    ambiguous: Mapping[str, tuple[str, ...]]


def _try_candidates(index: _LabelIndex, candidates: Sequence[Candidate]) -> _Outcome:
    """Return the first candidate whose labels are all present.

    A candidate whose labels are present but match several trial labels stops
    the search unresolved: falling through to a later candidate would hide
    the clash.
    """
    for candidate in candidates:
        parts = (candidate,) if isinstance(candidate, str) else candidate
        matches = [index.find(part) for part in parts]
        if not all(matches):
            continue
        ambiguous = {
            part: found
            for part, found in zip(parts, matches, strict=True)
            if len(found) > 1
        }
        if ambiguous:
            return _Outcome(None, ambiguous)
        return _Outcome(tuple(found[0] for found in matches), {})
    return _Outcome(None, {})


def _render(candidate: Candidate) -> str:
    """Render a candidate for messages: ``"LTOE"`` or ``"L.MT1+L.MT5"`` (a mean)."""
    return candidate if isinstance(candidate, str) else "+".join(candidate)


def detect_preset(labels: Sequence[str]) -> PresetMatch | None:
    """Return the preset that best fits a trial's marker labels.

    Presets are ranked by the number of landmarks they resolve, then by
    score (the fraction of their landmarks that resolve); a preset must
    resolve at least 3 landmarks to be considered. Ambiguous landmarks do not
    count. The count comes first because several presets share generic
    labels (``L.ASIS`` is Codamotion, Fukuchi and, normalised, Qualisys): on
    a trial with a few markers missing, the small Codamotion preset would
    otherwise beat the set that explains more of the trial.

    Parameters
    ----------
    labels : sequence of str
        The trial's marker labels (subject prefixes removed).

    Returns
    -------
    PresetMatch or None
        The best match, or None when no preset resolves 3 landmarks.

    Examples
    --------
    >>> match = detect_preset(["L.ASIS", "R.ASIS", "L.PSIS", "R.PSIS", "L.MT1"])
    >>> match.preset.name, match.n_found, match.n_expected
    ('fukuchi_2017', 5, 24)
    >>> detect_preset(["PT00", "PT01", "PT02"]) is None
    True
    """
    index = _LabelIndex(labels)
    best: PresetMatch | None = None
    for preset in PRESETS.values():
        n_found = sum(
            _try_candidates(index, candidates).labels is not None
            for candidates in preset.mapping.values()
        )
        if n_found < _MIN_LANDMARKS_FOR_DETECTION:
            continue
        n_expected = len(preset.mapping)
        match = PresetMatch(preset, n_found, n_expected, n_found / n_expected)
        if best is None or (match.n_found, match.score) > (best.n_found, best.score):
            best = match
    return best


def _unknown_name_error(
    kind: str, unknown: Sequence[str], valid: Sequence[str]
) -> ValueError:
    return ValueError(
        f"unknown {kind} {', '.join(map(repr, unknown))}; valid {kind}s are: "
        f"{', '.join(valid)}"
    )


class MarkerMap:
    """Landmark -> label resolution for one trial.

    Parameters
    ----------
    labels : sequence of str
        The trial's marker labels (subject prefixes removed).
    preset : str | None
        Name of a preset in :data:`PRESETS`; None detects it from the labels
        (:func:`detect_preset`), leaving :attr:`preset` None if none fits.
    overrides : mapping of str to (str | sequence of str) | None
        Project overrides, canonical landmark -> a label, or a list of labels
        whose mean is the landmark. An override replaces the preset's
        candidates for that landmark entirely: if its labels are not in the
        trial, the landmark is missing rather than silently taken from the
        preset.
    clusters : mapping of str to sequence of str | None
        Project overrides of the technical markers of segments (segment ->
        labels), replacing the preset's and :data:`COMMON_CLUSTERS` for that
        segment.
    residual_threshold_mm : float | None
        Cluster fit residual above which reconstructed frames are flagged
        (None: :data:`~gaitlab.core.cluster.DEFAULT_RESIDUAL_THRESHOLD_MM`).

    Attributes
    ----------
    preset : MarkerPreset | None
        The preset in use.
    residual_threshold_mm : float
        The flagging threshold for cluster reconstructions, mm.

    Raises
    ------
    ValueError
        For an unknown preset name, an unknown landmark in ``overrides`` or
        an empty override, or an unknown segment in ``clusters``.
    """

    def __init__(
        self,
        labels: Sequence[str],
        *,
        preset: str | None = None,
        overrides: Mapping[str, str | Sequence[str]] | None = None,
        clusters: Mapping[str, Sequence[str]] | None = None,
        residual_threshold_mm: float | None = None,
    ) -> None:
        if preset is None:
            match = detect_preset(labels)
            self.preset: MarkerPreset | None = None if match is None else match.preset
        elif preset in PRESETS:
            self.preset = PRESETS[preset]
        else:
            raise _unknown_name_error("preset", [preset], list(PRESETS))
        self._overrides = _checked_overrides(overrides or {})
        self._clusters = _checked_clusters(clusters or {})
        self.residual_threshold_mm = float(
            DEFAULT_RESIDUAL_THRESHOLD_MM
            if residual_threshold_mm is None
            else residual_threshold_mm
        )
        self._index = index = _LabelIndex(labels)
        self._resolutions: dict[str, Resolution] = {}
        self._ambiguous: dict[str, Mapping[str, tuple[str, ...]]] = {}
        for landmark in LANDMARKS:
            outcome = _try_candidates(index, self._candidates(landmark))
            if outcome.ambiguous:
                self._ambiguous[landmark] = outcome.ambiguous
            if outcome.labels is not None:
                self._resolutions[landmark] = Resolution(
                    landmark, outcome.labels, self._how(landmark, outcome.labels)
                )
        self._resolve_synonyms(index)

    def _resolve_synonyms(self, index: _LabelIndex) -> None:
        """Landmarks the preset missed, by :data:`SYNONYMS` (unused labels only)."""
        used = {label for r in self._resolutions.values() for label in r.labels}
        for landmark in LANDMARKS:
            if (
                landmark in self._resolutions
                or landmark in self._ambiguous
                or landmark in self._overrides
            ):
                continue
            stem, found = index.by_synonym(landmark)
            found = tuple(label for label in found if label not in used)
            if len(found) > 1:
                self._ambiguous[landmark] = {f"synonym {stem}": found}
            elif found:
                used.add(found[0])
                self._resolutions[landmark] = Resolution(
                    landmark, found, f"synonym {stem}"
                )

    def _candidates(self, landmark: str) -> tuple[Candidate, ...]:
        if landmark in self._overrides:
            return (self._overrides[landmark],)
        if self.preset is None:
            return ()
        return self.preset.mapping.get(landmark, ())

    def _how(self, landmark: str, labels: tuple[str, ...]) -> str:
        if landmark in self._overrides:
            return "override"
        if len(labels) == 1:
            return "label"
        return f"mean of {', '.join(labels)}"

    @staticmethod
    def _check_landmark(landmark: str) -> None:
        if landmark not in LANDMARKS:
            raise _unknown_name_error("landmark", [landmark], list(LANDMARKS))

    def resolve(self, landmark: str) -> Resolution | None:
        """Return the labels that give ``landmark`` in this trial, or None if missing.

        Raises
        ------
        ValueError
            If ``landmark`` is not a canonical landmark name.
        """
        self._check_landmark(landmark)
        return self._resolutions.get(landmark)

    def tried(self, landmark: str) -> tuple[str, ...]:
        """Return the candidates tried for ``landmark``, in order, for messages.

        A mean of several labels reads ``"L.MT1+L.MT5"``.
        """
        self._check_landmark(landmark)
        return tuple(_render(candidate) for candidate in self._candidates(landmark))

    def missing_message(self, landmark: str) -> str:
        """Why ``landmark`` did not resolve, naming the labels tried.

        Raises
        ------
        ValueError
            If the landmark did resolve.
        """
        resolution = self.resolve(landmark)
        if resolution is not None:
            raise ValueError(
                f"landmark {landmark} is not missing: it resolves to "
                f"{', '.join(resolution.labels)}"
            )
        tried = self.tried(landmark)
        if landmark in self._overrides:
            parts = ["project override", f"labels tried: {', '.join(tried)}"]
        else:
            if self.preset is None:
                source = "no marker set recognised and no override for it"
            elif not tried:
                source = f"marker set {self.preset.title} has no label for it"
            else:
                source = f"marker set {self.preset.title}"
            parts = [source]
            if tried:
                parts.append(f"labels tried: {', '.join(tried)}")
            synonyms = _synonym_text(landmark, tried)
            if synonyms:
                parts.append(synonyms)
        parts.extend(
            f"{label!r} is ambiguous: it matches {' and '.join(map(repr, matches))} "
            "in this trial (rename one, or set an override)"
            for label, matches in self._ambiguous.get(landmark, {}).items()
        )
        return f"missing landmark {landmark} ({'; '.join(parts)})"

    def position(self, markers: MarkerSet, landmark: str) -> FloatArray | None:
        """Trajectory of ``landmark`` in metres, shape (n_frames, 3).

        The mean of the resolved labels' trajectories; NaN in a frame where
        any of them is NaN. None when the landmark does not resolve.

        Parameters
        ----------
        markers : MarkerSet
            The trial's markers (the labels this map was built from).
        landmark : str
            Canonical landmark name.

        Raises
        ------
        KeyError
            If ``markers`` lacks a resolved label.
        """
        resolution = self.resolve(landmark)
        if resolution is None:
            return None
        trajectories = np.stack([markers[label] for label in resolution.labels])
        return trajectories.mean(axis=0)

    def find(self, label: str) -> str | None:
        """Return the trial's label that ``label`` names (normalised), or None.

        None also when several labels of the trial match (ambiguous).
        """
        found = self._index.find(label)
        return found[0] if len(found) == 1 else None

    def cluster_labels(self, segment: str) -> tuple[str, ...]:
        """Technical markers of ``segment`` present in this trial.

        The project's override for the segment if any, else the preset's
        cluster labels followed by :data:`COMMON_CLUSTERS`; as this trial
        spells them.

        Raises
        ------
        ValueError
            If ``segment`` is not a segment of
            :data:`~gaitlab.core.cluster.SEGMENT_LANDMARKS`.
        """
        if segment not in SEGMENT_LANDMARKS:
            raise _unknown_name_error("segment", [segment], list(SEGMENT_LANDMARKS))
        if segment in self._clusters:
            candidates = self._clusters[segment]
        else:
            own = self.preset.clusters.get(segment, ()) if self.preset else ()
            candidates = (*own, *COMMON_CLUSTERS.get(segment, ()))
        found = (self.find(label) for label in candidates)
        return tuple(dict.fromkeys(label for label in found if label is not None))

    def report(self) -> list[str]:
        """Describe what was matched: one line per resolved landmark, with how.

        Examples
        --------
        >>> MarkerMap(["LHEEL", "RHEEL", "LP1MT", "C7"]).report()[:2]
        ['c7 <- C7 (synonym c7)', 'l_heel <- LHEEL (synonym heel)']
        """
        return [
            f"{landmark} <- {' + '.join(r.labels)} ({r.how})"
            for landmark in LANDMARKS
            if (r := self._resolutions.get(landmark)) is not None
        ]

    def as_dict(self) -> dict[str, list[str]]:
        """Map each resolved landmark to its labels, in :data:`LANDMARKS` order."""
        return {
            landmark: list(self._resolutions[landmark].labels)
            for landmark in LANDMARKS
            if landmark in self._resolutions
        }


def _synonym_text(landmark: str, tried: Sequence[str] = ()) -> str:
    """Return ``"common names tried: LHEEL, LHEL, LCAL, ..."`` for messages.

    Names equal (normalised) to a label in ``tried`` are not repeated.
    """
    seen = {normalize_label(label) for label in tried}
    names = [
        f"{side.upper()}{stem.upper()}"
        for side, stem in _synonym_keys(landmark)
        if side + stem not in seen
    ]
    if not names:
        return ""
    more = ", ..." if len(names) > 3 else ""
    return f"common names tried: {', '.join(names[:3])}{more}"


def _checked_clusters(
    clusters: Mapping[str, Sequence[str]],
) -> dict[str, tuple[str, ...]]:
    """Cluster overrides as label tuples; raise ValueError for unknown segments."""
    unknown = [segment for segment in clusters if segment not in SEGMENT_LANDMARKS]
    if unknown:
        raise _unknown_name_error("segment", unknown, list(SEGMENT_LANDMARKS))
    checked = {}
    for segment, labels in clusters.items():
        values = (labels,) if isinstance(labels, str) else tuple(labels)
        if not all(isinstance(label, str) and label for label in values):
            raise ValueError(
                f"cluster override for {segment} must be a list of labels, got "
                f"{labels!r}"
            )
        checked[segment] = values
    return checked


def _checked_overrides(
    overrides: Mapping[str, str | Sequence[str]],
) -> dict[str, Candidate]:
    """Turn overrides into candidates; raise ValueError for unknown or empty ones."""
    unknown = [landmark for landmark in overrides if landmark not in LANDMARKS]
    if unknown:
        raise _unknown_name_error("landmark", unknown, list(LANDMARKS))
    checked: dict[str, Candidate] = {}
    for landmark, value in overrides.items():
        labels = (value,) if isinstance(value, str) else tuple(value)
        if not labels or not all(isinstance(label, str) and label for label in labels):
            raise ValueError(
                f"override for {landmark} must be a label or a non-empty list of "
                f"labels, got {value!r}"
            )
        checked[landmark] = labels[0] if len(labels) == 1 else labels
    return checked
