"""The ``ecomplexity`` package doing ``clusterhub complexity``'s whole job, as its user would.

``python -m benchmarks.ecomplexity_command IN.csv OUT.csv``: read the long table
``region,industry,year,value`` with pandas, ``ecomplexity()`` (RCA, Mcp, diversity, ubiquity,
proximity, density, ECI, PCI, COI, COG; ``check_logsupermodularity=False``, extra work
clusterhub does not do), write one row per region x industry x year as CSV. The seconds of
each stage, imports included, go to stderr as JSON for ``benchmarks.bench_complexity``.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import json  # noqa: E402  (imports are the first stage timed)
import sys  # noqa: E402
import warnings  # noqa: E402

import pandas as pd  # noqa: E402
from ecomplexity import ecomplexity  # noqa: E402

COLUMNS = {"time": "year", "loc": "region", "prod": "industry", "val": "value"}


def main(argv: list[str] | None = None) -> int:
    source, out = argv if argv is not None else sys.argv[1:]
    stages = {"imports": time.perf_counter() - _START}
    start = time.perf_counter()
    data = pd.read_csv(source, dtype={"region": str, "industry": str})
    stages["read"] = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ecomplexity(data, COLUMNS, verbose=False, check_logsupermodularity=False)
    stages["compute"] = time.perf_counter() - start
    start = time.perf_counter()
    result.to_csv(out, index=False)
    stages["write"] = time.perf_counter() - start
    print(json.dumps(stages), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
