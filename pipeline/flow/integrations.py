"""IntegrationTypes: a ConnectorType bound to a source, a target and a mapping, found in ``mappings/``.

Adding a mapping file adds an integration; nothing else is registered by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path

from pipeline.errors import ConfigError, UnknownNameError
from pipeline.mapping import Mapper, MappingSpec, load_mappings
from pipeline.systems import System, build_system


class Integration:
    """One integration at run time: its spec, its compiled mapping and its two systems.

    Built once per process; the systems are built on first use, from their connections'
    environment variables.
    """

    def __init__(self, spec: MappingSpec, environ: Mapping[str, str]) -> None:
        self.spec = spec
        self.name = spec.name
        self.mapper = Mapper(spec)
        self._environ = environ

    @cached_property
    def source(self) -> System:
        return build_system(self.spec.source.system, self.spec.source.connection, self._environ)

    @cached_property
    def target(self) -> System:
        return build_system(self.spec.target.system, self.spec.target.connection, self._environ)

    def configuration_problem(self) -> str | None:
        """Why this integration cannot run here (its connections' variables), or None when it can.

        Building a system reads and checks its variables but sends nothing, so this is cheap. The
        systems built here are thrown away: the integration's own are built where they are used (a
        worker's thread), not wherever this question is asked (a worker's boot, a scheduler).
        """
        problems = []
        for end in ("source", "target"):
            if end in self.__dict__:
                continue  # built already, so configured
            ref = getattr(self.spec, end)
            try:
                build_system(ref.system, ref.connection, self._environ)
            except ConfigError as error:
                problems.append(str(error))
        return " ".join(dict.fromkeys(problems)) or None

    def require_configured(self) -> None:
        """Raise one ConfigError before any work when a connection is not configured.

        Otherwise a run would extract every record and fail each one at load with the same error.
        """
        problem = self.configuration_problem()
        if problem:
            raise ConfigError(f"Integration {self.name!r} is not configured: {problem}")


def discover(mappings_dir: Path, environ: Mapping[str, str]) -> dict[str, Integration]:
    """Every integration of a mappings directory; raises MappingErrors naming every invalid file."""
    return {name: Integration(spec, environ) for name, spec in load_mappings(mappings_dir).items()}


def get_integration(integrations: Mapping[str, Integration], name: str) -> Integration:
    try:
        return integrations[name]
    except KeyError:
        raise UnknownNameError("integration", name, integrations) from None


def configuration_problems(integrations: Mapping[str, Integration]) -> dict[str, str]:
    """Integration name -> why it cannot run with this process's environment, for those that cannot."""
    found = {name: integration.configuration_problem() for name, integration in sorted(integrations.items())}
    return {name: problem for name, problem in found.items() if problem}
