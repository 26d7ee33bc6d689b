"""Randomness without a seed: scikit-learn estimators without ``random_state``, numpy's global generator
never seeded, and generators created without a seed.

Names are resolved through the file's (or notebook's) imports, so ``np.random.rand``,
``from numpy.random import rand`` and ``sklearn.ensemble.RandomForestClassifier`` are all recognised,
and a class of the same name from elsewhere is not.
"""

from __future__ import annotations

import ast

from core.codeaudit.model import Chunk, Finding, resolve

#: scikit-learn callables whose result depends on ``random_state``
SKLEARN_RANDOM = frozenset({
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor", "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor", "AdaBoostClassifier", "AdaBoostRegressor", "BaggingClassifier",
    "BaggingRegressor", "IsolationForest", "RandomTreesEmbedding", "DecisionTreeClassifier", "DecisionTreeRegressor",
    "ExtraTreeClassifier", "ExtraTreeRegressor", "MLPClassifier", "MLPRegressor", "SGDClassifier", "SGDRegressor",
    "Perceptron", "PassiveAggressiveClassifier", "KMeans", "MiniBatchKMeans", "BisectingKMeans", "TSNE",
    "GaussianMixture", "BayesianGaussianMixture", "NMF", "LatentDirichletAllocation", "TruncatedSVD",
    "RandomizedSearchCV", "train_test_split", "ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit",
    "make_classification", "make_regression", "make_blobs", "make_moons", "make_circles", "shuffle", "resample",
    "SpectralClustering", "RBFSampler", "Nystroem", "SelectFromModel", "permutation_importance",
})
#: splitters that are random only with ``shuffle=True``
SKLEARN_SHUFFLED = frozenset({"KFold", "StratifiedKFold", "RepeatedKFold", "RepeatedStratifiedKFold"})
#: numpy's legacy global-generator functions
NUMPY_GLOBAL = frozenset({
    "rand", "randn", "randint", "random", "random_sample", "ranf", "sample", "choice", "shuffle", "permutation",
    "normal", "uniform", "binomial", "poisson", "exponential", "beta", "gamma", "lognormal", "multivariate_normal",
    "standard_normal", "random_integers", "bytes", "dirichlet", "geometric", "laplace", "logistic", "multinomial",
})
STDLIB_GLOBAL = frozenset({"random", "randint", "choice", "choices", "shuffle", "sample", "uniform", "gauss",
                           "randrange", "normalvariate"})

SEED_SUGGESTION = "seed it once (np.random.default_rng(SEED)) and pass the generator or random_state=SEED along"


def _keyword(call: ast.Call, name: str):
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def _has_kwargs(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords)


def _is_none(node) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def _seeded(calls: list[tuple[Chunk, ast.Call, str]], name: str) -> bool:
    return any(full == name and (c.args or c.keywords) and not (c.args and _is_none(c.args[0]))
               for _chunk, c, full in calls)


def check(chunks: list[Chunk], path: str, aliases: dict[str, str]) -> list[Finding]:
    """Findings over a whole file or notebook (a seed in one cell covers the cells after it)."""
    calls = []
    for chunk in chunks:
        for node in chunk.nodes:
            if isinstance(node, ast.Call):
                full = resolve(node.func, aliases)
                if full:
                    calls.append((chunk, node, full))
    numpy_seeded = _seeded(calls, "numpy.random.seed")
    stdlib_seeded = _seeded(calls, "random.seed")
    out = []
    for chunk, call, full in calls:
        last = full.rsplit(".", 1)[-1]
        message = None
        if full.startswith("sklearn.") and not _has_kwargs(call):
            state = _keyword(call, "random_state")
            if last in SKLEARN_RANDOM and _is_none(state):
                message = f"{last}() without random_state: results change from run to run"
            elif last in SKLEARN_SHUFFLED and _is_none(state):
                shuffle = _keyword(call, "shuffle")
                if isinstance(shuffle, ast.Constant) and shuffle.value is True:
                    message = f"{last}(shuffle=True) without random_state: the folds change from run to run"
        elif full in ("numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator",
                      "random.Random") and (not call.args or _is_none(call.args[0])) \
                and _is_none(_keyword(call, "seed")) and not call.keywords:
            message = f"{last}() without a seed: a fresh, unrepeatable stream on every run"
        elif full.startswith("numpy.random.") and full.count(".") == 2 and last in NUMPY_GLOBAL \
                and not numpy_seeded:
            message = f"np.random.{last}() on numpy's global generator, which is never seeded"
        elif full.startswith("random.") and full.count(".") == 1 and last in STDLIB_GLOBAL and not stdlib_seeded:
            message = f"random.{last}() on Python's global generator, which is never seeded"
        if message:
            out.append(Finding(path, chunk.cell, call.lineno, "unseeded_random", "medium", message, SEED_SUGGESTION))
    return out
