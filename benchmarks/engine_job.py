"""One engine job as a command, so that a benchmark times and measures the whole of it.

``python -m benchmarks.engine_job mapping --engine spark --cells C --members M --partition P
--out O`` reads industry cells from Parquet, maps, measures and rates clusters with the chosen
engine and writes the rated map to Parquet: what ``clusterhub map --engine`` does after the
reading and filling that are the same for both engines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import polars as pl

from clusterhub.stats.engines import MapInput, SparkSettings, compute_engine
from clusterhub.stats.mapping import RatingOptions, nuts_region_type


def mapping(args: argparse.Namespace) -> int:
    """Cells file -> rated cluster map file."""
    engine = compute_engine(args.engine, SparkSettings(master=args.spark_master))
    data = MapInput(
        Path(args.cells),
        pl.read_parquet(args.members),
        partition_codes=json.loads(Path(args.partition).read_text(encoding="utf-8")),
        region_type=nuts_region_type,
    )
    engine.map_clusters(data, RatingOptions()).write_parquet(args.out)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line of the jobs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=["mapping"])
    parser.add_argument("--engine", choices=["polars", "spark"], required=True)
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--cells", required=True)
    parser.add_argument("--members", required=True)
    parser.add_argument("--partition", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    return mapping(args)


if __name__ == "__main__":
    sys.exit(main())
