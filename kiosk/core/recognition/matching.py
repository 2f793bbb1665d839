"""Matching embeddings against enrolled templates: vectorised nearest-template search.

Distances are L2 between unit vectors (0 = identical, 2 = opposite), computed as
``sqrt(2 - 2 * a.b)`` with one matrix product, so identify over 100k templates is one
(n, 128) x (128, N) product. Each person may have several templates; the nearest wins and
its id is recorded in the Match.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kiosk.core.base.errors import ModelMismatchError, UnknownPersonError
from kiosk.core.base.types import Match, Person


def l2_distances(probes: np.ndarray, templates: np.ndarray) -> np.ndarray:
    """(n, d) x (N, d) unit vectors -> (n, N) float32 L2 distances."""
    similarity = probes @ templates.T
    return np.sqrt(np.clip(2.0 - 2.0 * similarity, 0.0, 4.0)).astype(np.float32)


@dataclass(frozen=True)
class Gallery:
    """Enrolled templates of one model, immutable (rebuild after an enrolment)."""

    embeddings: np.ndarray  # (N, d) float32 unit vectors
    template_ids: np.ndarray  # (N,) int64
    person_ids: np.ndarray  # (N,) int64
    names: dict[int, str] = field(default_factory=dict)
    employee_ids: dict[int, str | None] = field(default_factory=dict)
    model_id: str = ""
    people: dict[int, Person] = field(default_factory=dict)  # status and dates, by person id

    def __len__(self) -> int:
        return len(self.template_ids)

    @classmethod
    def from_arrays(cls, embeddings, template_ids, person_ids, names, employee_ids=None, model_id="",
                    people=None):
        emb = np.asarray(embeddings, np.float32)
        emb = np.ascontiguousarray(emb.reshape(len(template_ids), emb.shape[-1] if emb.size else 0))
        return cls(emb, np.asarray(template_ids, np.int64), np.asarray(person_ids, np.int64),
                   dict(names), dict(employee_ids or {}), model_id, dict(people or {}))

    def _check_dim(self, probes: np.ndarray) -> None:
        if len(self) and probes.shape[-1] != self.embeddings.shape[1]:
            raise ModelMismatchError(
                f"probe embeddings have {probes.shape[-1]} dimensions, the gallery {self.embeddings.shape[1]}")

    def _match(self, index: int, distance: float, threshold: float) -> Match:
        person_id = int(self.person_ids[index])
        return Match(person_id, self.names.get(person_id), self.employee_ids.get(person_id),
                     int(self.template_ids[index]), float(distance), threshold, bool(distance <= threshold))

    def identify(self, probes: np.ndarray, threshold: float) -> list[Match]:
        """Open-set 1:N: the nearest template for each (n, d) probe; ``accepted`` False means
        "not in the database". Empty gallery -> a rejected Match with no name per probe."""
        probes = np.atleast_2d(np.asarray(probes, np.float32))
        if not len(self):
            return [Match(None, None, None, None, float("inf"), threshold, False) for _ in probes]
        self._check_dim(probes)
        # For unit vectors the nearest template is the most similar one: one matrix product
        # and an argmax, with the square root taken only for the winners.
        similarity = probes @ self.embeddings.T
        nearest = similarity.argmax(axis=1)
        best = similarity[np.arange(len(probes)), nearest]
        distances = np.sqrt(np.clip(2.0 - 2.0 * best, 0.0, 4.0))
        return [self._match(int(i), float(d), threshold) for i, d in zip(nearest, distances)]

    def has_person(self, person_id: int) -> bool:
        """Whether the person has at least one template here (for the model in use)."""
        return bool(len(self)) and bool((self.person_ids == person_id).any())

    def verify(self, probe: np.ndarray, person_id: int, threshold: float) -> Match:
        """1:1 against the claimed person's own templates only (nearest of them)."""
        rows = np.flatnonzero(self.person_ids == person_id)
        if not len(rows):
            raise UnknownPersonError(f"{self.names.get(person_id, person_id)} has no enrolled face for this model")
        probe = np.asarray(probe, np.float32).reshape(1, -1)
        self._check_dim(probe)
        distances = l2_distances(probe, self.embeddings[rows])[0]
        best = int(distances.argmin())
        return self._match(int(rows[best]), distances[best], threshold)
