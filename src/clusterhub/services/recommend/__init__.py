"""Partner recommendations: who to work with next, and why.

``collaborations`` (the input), ``graph`` (link-prediction scores), ``features`` (candidates
and pair features), ``ranker`` (the learned model), ``recommender`` (fit and recommend),
``reasons`` (explanations as data), ``baselines`` and ``evaluation`` (the temporal benchmark).
"""
