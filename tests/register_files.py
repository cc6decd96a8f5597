"""Small registers in INSEE's published StockEtablissement layout, for the register tests."""

from __future__ import annotations

from pathlib import Path

from clusterhub.stats.registers.cells import Register

SIRENE_HEADER = (
    "siren,nic,siret,etatAdministratifEtablissement,trancheEffectifsEtablissement,"
    "anneeEffectifsEtablissement,activitePrincipaleEtablissement,"
    "nomenclatureActivitePrincipaleEtablissement,codeCommuneEtablissement,"
    "codePaysEtrangerEtablissement"
)
SIRENE_ROWS = [
    "1,1,00000000100001,A,12,2021,62.01Z,NAFRev2,75108,",  # Paris 8e: 20-49 -> 34.5
    "2,1,00000000200001,A,01,2021,62.01Z,NAFRev2,75056,",  # Paris: 1-2 -> 1.5
    "3,1,00000000300001,F,12,2021,62.01Z,NAFRev2,75056,",  # closed
    "4,1,00000000400001,A,,2021,62.02A,NAFRev2,69381,",  # Lyon 1er, no band
    "5,1,00000000500001,A,03,2021,72.2Z,NAFRev1,69123,",  # NAF rev. 1
    "6,1,00000000600001,A,NN,2021,10.71C,NAFRev2,99999,",  # not in the correspondence
    "7,1,00000000700001,A,NN,2021,10.71C,NAFRev2,,99134",  # abroad
    "8,1,00000000800001,A,53,2021,29.10Z,NAFRev2,69123,",  # 10,000+ -> 10,000
    "9,1,00000000900001,A,00,2021,62.01Z,NAFRev2,,",  # no municipality
]


def write(path: Path, lines: list[str]) -> Path:
    """``lines`` as a file, one per line."""
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sirene(tmp_path: Path, rows: list[str] = SIRENE_ROWS) -> Register:
    """A StockEtablissement CSV of ``rows`` (the sample above by default)."""
    return Register(write(tmp_path / "StockEtablissement.csv", [SIRENE_HEADER, *rows]), "sirene")
