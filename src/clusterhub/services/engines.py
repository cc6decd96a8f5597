"""The compute engine a command asked for, configured from the settings."""

from __future__ import annotations

from clusterhub.config import Settings
from clusterhub.stats.engines import Engine, SparkSettings, compute_engine


def engine_for(name: str | None, settings: Settings) -> Engine:
    """``name`` (a command's ``--engine``), else the configured default (``ENGINE``)."""
    spark = SparkSettings(
        master=settings.spark_master,
        remote=settings.spark_remote,
        config=dict(settings.spark_config),
    )
    return compute_engine(name or settings.engine, spark)
