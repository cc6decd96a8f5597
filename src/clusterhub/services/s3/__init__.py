"""Smart Specialisation (S3): regional strategies and their priorities coded on the Eye@RIS3
axes, thematic S3 partnerships, a coding assistant, and priorities set beside strong clusters.

Modules: ``schemas`` (DTOs), ``mapping`` (NACE → cluster categories), ``coding`` (the
assistant's proposals and the officer's confirmation), ``imports`` (CSV/XLSX, all or nothing),
``strategies`` (reading what is stored), ``compare`` (a region's priorities against its strong
clusters; partner regions), ``seed`` (the seed document's facts and synthetic demonstrations).
Method: ``docs/methodology/s3.md``.
"""
