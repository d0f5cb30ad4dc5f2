"""Learned ranking: candidates from BM25 and dense search, named features, a trained model.

See :mod:`.features` for the features, :mod:`.intent` for the question-intent classifier,
:mod:`.model` for loading and scoring, :mod:`.training` for how both are trained.
"""
