"""The observatory engine on Apache Spark (optional extra ``spark``).

The formulas are the Polars engine's own (``stats.dialect``); this package holds only what
Spark spells differently: its dialect, the session, Arrow conversion and the relational
skeleton (joins and group-bys) around the formulas. Importing it imports pyspark, so only
``stats.engines`` does, and only when the Spark engine is asked for.
"""
