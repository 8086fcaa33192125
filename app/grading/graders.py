"""The graders an app uses: built once each, by name, the default one warmed up at start."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from app.config import Settings
from app.grading.base import Grader, GradingQuestion, UnknownGraderError, prepare
from app.grading.references import with_references
from app.grading.registry import GraderFactory, create_grader, grader_factories, grader_names


class GraderPool:
    """Graders by name for one app (built-ins plus any it was given), each built on first use.

    Each is wrapped in a ReferenceGrader: several reference answers and graded examples.
    """

    def __init__(
        self, settings: Settings, extra: Mapping[str, GraderFactory] | None = None
    ) -> None:
        self.settings = settings
        self.factories = grader_factories(extra)
        self.default_name = settings.grader
        self._graders: dict[str, Grader] = {}
        self._lock = threading.Lock()
        # A typo in GRADER stops the start here, rather than failing every answer later.
        if self.default_name not in self.names():
            raise UnknownGraderError(self.default_name, self.names())

    def get(self, name: str | None = None) -> Grader:
        """The grader called `name` (default: the GRADER setting); UnknownGraderError if none."""
        name = name or self.default_name
        with self._lock:
            grader = self._graders.get(name)
            if grader is None:
                # Every grader gets several references and graded examples the same way.
                built = create_grader(name, self.settings, self.factories)
                grader = self._graders[name] = with_references(built, self.settings)
            return grader

    def names(self) -> list[str]:
        """Names a request may choose from."""
        return grader_names(self.factories)

    def warm_up(self) -> None:
        """Build the default grader; building it starts its model load in the background."""
        self.get()

    def prepare(self, questions: Sequence[GradingQuestion], name: str | None = None) -> int:
        """Let the grader called `name` (default: GRADER) prepare `questions` ahead of their
        first answers; how many it had not prepared before."""
        return prepare(self.get(name), questions)

    def readiness(self) -> dict[str, object]:
        """What /healthz says about grading."""
        with self._lock:
            grader = self._graders.get(self.default_name)
        ready = grader is not None and grader.is_ready()
        return {"name": self.default_name, "ready": ready}
