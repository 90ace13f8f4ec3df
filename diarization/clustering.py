"""Clustering speaker embeddings: online (one window at a time) and over a whole session.

Embeddings are unit vectors, so similarity is a dot product. The online clusterer keeps
one centroid per speaker; the offline pass (after the session) sees every window at
once: spectral clustering of the similarity matrix, then a few rounds of Viterbi
re-assignment against the centroids with a penalty for switching speaker between
neighbouring windows, which removes the isolated flips that per-window decisions make.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]
Labels = NDArray[np.int64]


def unit(v: NDArray[np.floating]) -> Vectors:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.asarray(v / np.maximum(norm, 1e-9), dtype=np.float32)


class OnlineClusterer:
    """Nearest-centroid assignment; a new speaker while fewer than ``max_speakers`` exist.

    A reliable window (enough speech) whose best similarity is under
    ``new_speaker_similarity`` opens a new speaker (until ``max_speakers``); any other
    window takes the nearest speaker. After each window the centroids are refitted by a
    few k-means rounds over every reliable window so far, starting from the current
    centroids: one early mistake does not pull a centroid towards the wrong voice for
    the rest of the session. Refitting never relabels a past window; it only moves the
    centroids that label the next ones.
    """

    def __init__(
        self,
        max_speakers: int,
        new_speaker_similarity: float,
        *,
        rounds: int = 2,
        recluster_every: int = 16,
        split_similarity: float = 0.9,
        history: int = 400,
    ) -> None:
        self.max_speakers = max_speakers
        self.threshold = new_speaker_similarity
        self.rounds = rounds
        self.recluster_every = recluster_every
        self.split_similarity = split_similarity
        self._labels: list[int] = []  # the online label of each stored vector
        self.history = history
        self._centroids: list[Vectors] = []
        self._vectors: list[Vectors] = []
        self.counts: list[int] = []

    @property
    def centroids(self) -> Vectors:
        if not self._centroids:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack(self._centroids)

    def assign(self, vector: Vectors, reliable: bool = True) -> int:
        """The speaker of this window; -1 when nothing reliable has been heard yet."""
        if not self._centroids:
            if not reliable:
                return -1
            return self._open(vector)
        sims = self.centroids @ vector
        best = int(np.argmax(sims))
        if reliable and sims[best] < self.threshold and len(self._centroids) < self.max_speakers:
            return self._open(vector)
        self.counts[best] += 1
        if reliable:
            self._keep(vector, best)
            if self.max_speakers > 1 and len(self._vectors) % self.recluster_every == 0:
                self._recluster()
            else:
                self._refit()
        return best

    def _open(self, vector: Vectors) -> int:
        self._centroids.append(unit(vector))
        self.counts.append(1)
        self._keep(vector, len(self._centroids) - 1)
        return len(self._centroids) - 1

    def _keep(self, vector: Vectors, label: int) -> None:
        self._vectors.append(vector)
        self._labels.append(label)
        if len(self._vectors) > self.history:
            del self._vectors[0], self._labels[0]

    def _recluster(self) -> None:
        """Look for a voice the window-by-window test missed: cluster what was heard into
        as many speakers as expected, and accept the split when its centroids are apart."""
        data = np.stack(self._vectors)
        labels = spectral_clustering(data, self.max_speakers)
        k = int(labels.max()) + 1
        centroids = unit(np.stack([data[labels == c].mean(axis=0) for c in range(k)]))
        sims = centroids @ centroids.T
        if k < 2 or sims[~np.eye(k, dtype=bool)].max() >= self.split_similarity:
            self._refit()
            return
        mapping = match_labels(labels, np.array(self._labels, dtype=np.int64))
        known = len(self._centroids)
        new = list(self._centroids) + [np.zeros_like(self._centroids[0])] * (k - known)
        extra = known
        for c in range(k):
            target = mapping.get(c, -1)
            if target < 0 or target >= known:
                target, extra = extra, extra + 1
            new[target] = centroids[c]
        self._centroids = new[: max(known, extra)]
        self.counts += [0] * (len(self._centroids) - len(self.counts))

    def _refit(self) -> None:
        data = np.stack(self._vectors)
        centroids = self.centroids
        for _ in range(self.rounds):
            nearest = np.argmax(data @ centroids.T, axis=1)
            for c in range(len(centroids)):
                members = data[nearest == c]
                if len(members):
                    centroids[c] = unit(members.mean(axis=0))
        self._centroids = list(centroids)


def plain_clustering(vectors: Vectors, n_speakers: int) -> Labels:
    """The textbook baseline: average-linkage agglomerative clustering on cosine distance."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=np.int64)
    tree = linkage(vectors.astype(np.float64), method="average", metric="cosine")
    return np.asarray(fcluster(tree, n_speakers, criterion="maxclust") - 1, dtype=np.int64)


def spectral_clustering(vectors: Vectors, n_speakers: int, seed: int = 0) -> Labels:
    """Spectral clustering of the (non-negative) cosine-similarity graph."""
    from sklearn.cluster import SpectralClustering

    k = min(n_speakers, len(vectors))
    if k < 2:
        return np.zeros(len(vectors), dtype=np.int64)
    affinity = np.clip(vectors @ vectors.T, 0.0, 1.0)
    model = SpectralClustering(k, affinity="precomputed", random_state=seed)
    return np.asarray(model.fit_predict(affinity), dtype=np.int64)


def viterbi_smooth(
    scores: NDArray[np.floating], breaks: NDArray[np.bool_], penalty: float
) -> Labels:
    """Best label path through per-window scores, charging ``penalty`` per switch.

    ``breaks[t]`` marks a pause before window t, where switching speaker is free.
    """
    n, k = scores.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    switch = penalty * (1.0 - np.eye(k))
    best = scores[0].astype(np.float64).copy()
    back = np.zeros((n, k), dtype=np.int64)
    for t in range(1, n):
        prev = best[:, None] - (0.0 if breaks[t] else switch)
        back[t] = prev.argmax(axis=0)
        best = prev.max(axis=0) + scores[t]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(best.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def refine(
    vectors: Vectors,
    n_speakers: int,
    breaks: NDArray[np.bool_],
    *,
    penalty: float = 0.1,
    rounds: int = 3,
) -> Labels:
    """Whole-session labels: spectral clustering, then Viterbi re-assignment rounds."""
    labels = spectral_clustering(vectors, n_speakers)
    k = int(labels.max()) + 1 if len(labels) else 0
    for _ in range(rounds):
        centroids = unit(
            np.stack([vectors[labels == c].mean(axis=0) for c in range(k) if (labels == c).any()])
        )
        labels = viterbi_smooth(vectors @ centroids.T, breaks, penalty)
    return labels


def match_labels(new: Labels, old: Labels) -> dict[int, int]:
    """Map each new label to the old label it overlaps most (Hungarian), keeping ids stable."""
    from scipy.optimize import linear_sum_assignment

    n_new = int(new.max()) + 1 if len(new) else 0
    n_old = int(old.max()) + 1 if len(old) else 0
    size = max(n_new, n_old)
    overlap = np.zeros((size, size))
    np.add.at(overlap, (new, old), 1)
    rows, cols = linear_sum_assignment(-overlap)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if r < n_new}
