"""Starting Spark, or connecting to it, from ``stats.engines.SparkSettings``."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

from clusterhub.stats.engines import SparkSettings

#: Defaults for a Spark started inside this process (``local[n]``): no web UI, few shuffle
#: partitions (the default 200 would make tiny tasks on a laptop), times in UTC. A cluster's
#: or Spark Connect server's own configuration is left alone.
LOCAL_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
}


def spark_session(settings: SparkSettings) -> SparkSession:
    """The session the settings describe (Spark keeps one per process, so this is cheap)."""
    builder = SparkSession.builder.appName("clusterhub")
    if settings.remote:
        builder = builder.remote(settings.remote)
    else:
        builder = builder.master(settings.master)
        if settings.master.startswith("local"):
            # Python workers (complexity runs one per year) must use this interpreter, which
            # has clusterhub; local Spark otherwise starts whatever `python3` is on the PATH
            # (it reads the variable, not spark.pyspark.python). A value set by the user wins.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            for key, value in LOCAL_DEFAULTS.items():
                builder = builder.config(key, value)
    for key, value in settings.config.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if not settings.remote:
        session.sparkContext.setLogLevel("ERROR")
    return session
