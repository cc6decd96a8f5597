"""The closed word sets of the engine's options, in a module that imports nothing heavy.

The command line lists them in its help texts and checks what people type against them; kept
apart from the engine modules (which import Polars) so that ``clusterhub --help`` does not load
the engine to print a list of words.
"""

from __future__ import annotations

from typing import Literal, get_args

#: How missing cells are filled (``stats.cells``; docs/methodology/missing-cells.md).
FillMethod = Literal["parent-residual", "size-class", "none"]
FILL_METHODS: tuple[FillMethod, ...] = get_args(FillMethod)

#: A cell more estimated than this share (filled or apportioned employment) gets no stars
#: unless the reader asks for them (``stats.ratings.withhold_stars``).
MAX_ESTIMATED_SHARE = 0.5

#: The published star rules (``stats.ratings.STAR_PRESETS`` holds the rules themselves).
StarPreset = Literal["eocic", "eco2007"]
STAR_PRESET_NAMES: tuple[StarPreset, ...] = get_args(StarPreset)

#: How the scoreboard normalises an indicator across regions (``stats.scoreboard``).
Method = Literal["minmax", "zscore"]
METHODS: tuple[Method, ...] = get_args(Method)

#: Which engine runs the computations (``stats.engines``).
EngineName = Literal["polars", "spark"]
ENGINE_NAMES: tuple[EngineName, ...] = get_args(EngineName)
