"""The plugin declaration: the ``@plugin`` decorator, typed parameters and needs.

A plugin is a function ``f(trial, ctx, *, <parameters>) -> Result``. The
decorator attaches a :class:`PluginSpec` to it and checks the declaration at
import time, so a malformed plugin is reported by discovery with its source
instead of failing later in a batch.

Parameters are keyword-only with defaults, typed ``bool``, ``int``, ``float``,
``str`` or ``Literal[...]``, optionally ``Annotated[..., Param(...)]`` for
limits, unit and help text. Needs name what the trial must contain:

``landmark:<name>``      an anatomical landmark (see gaitlab.core.landmarks)
``forceplates``          at least one force plate with samples
``markers``              at least one marker trajectory
``events:<label>``       a trial event with that label (``Foot Strike``)
``subject:<field>``      a subject field that is set (``mass_kg``)
``result:<plugin>``      another plugin's result (status ok): orders the pipeline

Alternatives are separated by ``|``: ``"forceplates|landmark:l_heel"``.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

from gaitlab.core.errors import PluginError
from gaitlab.core.landmarks import LANDMARKS
from gaitlab.core.results import MetricSpec, SeriesSpec

__all__ = [
    "NEED_KINDS",
    "Need",
    "Param",
    "ParamSpec",
    "PluginError",
    "PluginSpec",
    "plugin",
    "resolve_parameters",
]

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+([.+-].*)?$")
NEED_KINDS = ("landmark", "forceplates", "markers", "events", "subject", "result")
_SCALAR_TYPES = (bool, int, float, str)
_T = TypeVar("_T")
_Output = TypeVar("_Output", SeriesSpec, MetricSpec)


@dataclass(frozen=True)
class Param:
    """Limits, unit and help of a plugin parameter (use inside ``Annotated``).

    Attributes
    ----------
    min, max : float or None
        Inclusive limits for numbers.
    unit : str
        Unit of the value (``"N"``, ``"Hz"``, ``"%"``).
    doc : str
        One-line help shown in the GUI and ``gaitlab plugins show``.
    label : str
        Name shown in the app's pipeline form (``"Cut-off frequency"``); the
        parameter's name when empty.
    """

    min: float | None = None
    max: float | None = None
    unit: str = ""
    doc: str = ""
    label: str = ""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a plugin, read from its signature.

    Attributes
    ----------
    name : str
        Keyword name.
    type : type
        ``bool``, ``int``, ``float`` or ``str``.
    default : bool, int, float or str
        Default value.
    choices : tuple
        Allowed values for ``Literal`` parameters (empty otherwise).
    min, max : float or None
        Inclusive limits.
    unit, doc : str
        Unit and one-line help.
    label : str
        Display name (``Param(label=...)``), empty for the name.
    """

    name: str
    type: type
    default: Any
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    unit: str = ""
    doc: str = ""
    label: str = ""

    @property
    def display_label(self) -> str:
        """Return the name to show: ``label``, or the parameter name."""
        return self.label or self.name

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise PluginError."""
        if self.type is bool:
            if not isinstance(value, bool):
                raise PluginError(f"parameter {self.name!r} must be true or false")
            converted: Any = value
        elif self.type in (int, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PluginError(f"parameter {self.name!r} must be a number")
            if self.type is int and float(value) != int(value):
                raise PluginError(f"parameter {self.name!r} must be a whole number")
            converted = self.type(value)
            if self.min is not None and converted < self.min:
                raise PluginError(
                    f"parameter {self.name!r} = {converted} is below its minimum "
                    f"{self.min} {self.unit}".rstrip()
                )
            if self.max is not None and converted > self.max:
                raise PluginError(
                    f"parameter {self.name!r} = {converted} is above its maximum "
                    f"{self.max} {self.unit}".rstrip()
                )
        else:
            if not isinstance(value, str):
                raise PluginError(f"parameter {self.name!r} must be text")
            converted = value
        if self.choices and converted not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            raise PluginError(
                f"parameter {self.name!r} = {converted!r} is not one of: {allowed}"
            )
        return converted


@dataclass(frozen=True)
class Need:
    """One declared need; satisfied when any alternative is present.

    Attributes
    ----------
    alternatives : tuple of (kind, name)
        ``("landmark", "c7")``, ``("forceplates", "")``, ``("result", "gait_events")``.
    text : str
        The declaration as written.
    """

    alternatives: tuple[tuple[str, str], ...]
    text: str

    @classmethod
    def parse(cls, text: str) -> Need:
        """Parse ``"kind:name|kind:name"``; raise PluginError on a bad kind."""
        alternatives = []
        for part in text.split("|"):
            kind, _, name = part.strip().partition(":")
            if kind not in NEED_KINDS:
                raise PluginError(
                    f"need {text!r}: unknown kind {kind!r}; kinds are "
                    + ", ".join(NEED_KINDS)
                )
            if kind in ("forceplates", "markers") and name:
                raise PluginError(f"need {text!r}: {kind} takes no name")
            if kind not in ("forceplates", "markers") and not name:
                raise PluginError(f"need {text!r}: {kind} needs a name ({kind}:NAME)")
            alternatives.append((kind, name.strip()))
        return cls(tuple(alternatives), text)

    @property
    def results(self) -> tuple[str, ...]:
        """Plugin names this need refers to."""
        return tuple(name for kind, name in self.alternatives if kind == "result")


@dataclass(frozen=True)
class PluginSpec:
    """Everything the runner, the CLI and the GUI know about one plugin.

    Attributes
    ----------
    name, version, title, category, description : str
        Identity and help (``description`` is the function's docstring).
    func : callable
        The plugin function.
    params : tuple of ParamSpec
        Parameters in signature order.
    needs : tuple of Need
        Required inputs, checked before the call.
    optional : tuple of str
        Plugin results used when present (they only order the pipeline).
    series, metrics : tuple
        Declared outputs (:class:`SeriesSpec`, :class:`MetricSpec`).
    produces_events : bool
        True when the plugin returns gait events.
    source : str
        Where it was loaded from (set by discovery).
    """

    name: str
    version: str
    title: str
    category: str
    description: str
    func: Callable[..., Any]
    params: tuple[ParamSpec, ...]
    needs: tuple[Need, ...]
    optional: tuple[str, ...]
    series: tuple[SeriesSpec, ...]
    metrics: tuple[MetricSpec, ...]
    produces_events: bool = False
    source: str = ""
    module_file: str = field(default="", compare=False)

    @property
    def upstream(self) -> tuple[str, ...]:
        """Plugins whose results this one reads (required and optional)."""
        required = tuple(n for need in self.needs for n in need.results)
        return tuple(dict.fromkeys(required + self.optional))

    @property
    def defaults(self) -> dict[str, Any]:
        """Default parameter values by name."""
        return {p.name: p.default for p in self.params}

    def metric(self, name: str) -> MetricSpec:
        """Return the declaration of one metric."""
        for spec in self.metrics:
            if spec.name == name:
                return spec
        raise KeyError(f"plugin {self.name!r} declares no metric {name!r}")

    def to_json(self) -> dict[str, Any]:
        """Return the declaration as JSON-compatible data (everything but ``func``).

        Discovery reads user plugins in a separate process and rebuilds their
        specs with :meth:`from_json`, so gaitlab itself never runs their code.
        """
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "category": self.category,
            "description": self.description,
            "params": [
                {**dataclasses.asdict(p), "type": p.type.__name__} for p in self.params
            ],
            "needs": [n.text for n in self.needs],
            "optional": list(self.optional),
            "series": [dataclasses.asdict(s) for s in self.series],
            "metrics": [dataclasses.asdict(m) for m in self.metrics],
            "produces_events": self.produces_events,
            "source": self.source,
            "module_file": self.module_file,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], func: Callable[..., Any]) -> PluginSpec:
        """Rebuild a spec written by :meth:`to_json`, calling ``func``."""
        types = {t.__name__: t for t in _SCALAR_TYPES}
        return cls(
            name=_check_name("plugin name", data["name"]),
            version=_check_version(data["name"], data["version"]),
            title=str(data["title"]),
            category=str(data["category"]),
            description=str(data["description"]),
            func=func,
            params=tuple(
                ParamSpec(**{**_tuples(p), "type": types[p["type"]]})
                for p in data["params"]
            ),
            needs=tuple(Need.parse(text) for text in data["needs"]),
            optional=tuple(str(n) for n in data["optional"]),
            series=tuple(SeriesSpec(**_tuples(s)) for s in data["series"]),
            metrics=tuple(MetricSpec(**_tuples(m)) for m in data["metrics"]),
            produces_events=bool(data["produces_events"]),
            source=str(data["source"]),
            module_file=str(data["module_file"]),
        )


def _tuples(data: Mapping[str, Any]) -> dict[str, Any]:
    """JSON lists back to the tuples the declarations hold."""

    def convert(value: Any) -> Any:
        if isinstance(value, list):
            return tuple(convert(v) for v in value)
        return value

    return {key: convert(value) for key, value in data.items()}


def resolve_parameters(spec: PluginSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overridden by ``values``, each checked; raise PluginError if wrong.

    Unknown names are refused with the list of the plugin's parameters.
    """
    known = {p.name: p for p in spec.params}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise PluginError(
            f"plugin {spec.name!r} has no parameter {', '.join(unknown)}; its "
            f"parameters are: {', '.join(known) or '(none)'}"
        )
    return {
        name: param.check(values[name]) if name in values else param.default
        for name, param in known.items()
    }


def plugin(
    *,
    name: str,
    version: str,
    title: str = "",
    category: str = "Analysis",
    needs: Iterable[str] = (),
    optional: Iterable[str] = (),
    series: Iterable[SeriesSpec] = (),
    metrics: Iterable[MetricSpec] = (),
    produces_events: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a function as a gaitlab analysis plugin.

    Parameters
    ----------
    name : str
        Unique identifier, ``^[a-z][a-z0-9_]*$`` (third parties: prefix it).
    version : str
        Semantic version; raise the major number when outputs change meaning.
    title, category : str
        Display name and group in the GUI.
    needs : iterable of str
        Required inputs (module docstring of :mod:`gaitlab.pipeline.spec`).
    optional : iterable of str
        ``result:<plugin>`` entries used when present.
    series, metrics : iterable
        The :class:`SeriesSpec` and :class:`MetricSpec` the plugin produces.
    produces_events : bool
        True if the plugin returns gait events.

    Returns
    -------
    decorator : callable
        Attaches the :class:`PluginSpec` as ``func.__gaitlab_plugin__`` and
        returns the function unchanged.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        problems: list[str] = []

        def checked(check: Callable[..., _T], *args: Any, fallback: _T) -> _T:
            try:
                return check(*args)
            except PluginError as error:
                problems.append(str(error).removeprefix(f"plugin {name!r}: "))
                return fallback

        spec = PluginSpec(
            name=checked(_check_name, "plugin name", name, fallback=str(name)),
            version=checked(_check_version, name, version, fallback=str(version)),
            title=title or str(name).replace("_", " ").capitalize(),
            category=category,
            description=inspect.cleandoc(func.__doc__ or ""),
            func=func,
            params=_read_parameters(name, func, problems),
            needs=tuple(
                need
                for need in (
                    checked(_parse_need, text, fallback=None) for text in needs
                )
                if need is not None
            ),
            optional=tuple(
                checked(_optional_result, name, text, fallback="") for text in optional
            ),
            series=checked(
                _check_outputs, name, "series", tuple(series), SeriesSpec, fallback=()
            ),
            metrics=checked(
                _check_outputs, name, "metric", tuple(metrics), MetricSpec, fallback=()
            ),
            produces_events=produces_events,
            module_file=inspect.getsourcefile(func) or "",
        )
        if problems:
            raise PluginError(
                f"plugin {name!r}: {len(problems)} "
                f"problem{'s' if len(problems) > 1 else ''} in its declaration:\n  - "
                + "\n  - ".join(problems)
            )
        # functions take attributes, but Callable does not declare this one
        func.__gaitlab_plugin__ = spec  # type: ignore[attr-defined]
        return func

    return decorate


def _parse_need(text: str) -> Need:
    """Parse a need and check the landmark names it names (closest match offered)."""
    need = Need.parse(text)
    for kind, target in need.alternatives:
        if kind == "landmark" and target not in LANDMARKS:
            close = difflib.get_close_matches(target, list(LANDMARKS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise PluginError(f"need {text!r}: no landmark {target!r}{hint}")
    return need


def _check_name(what: str, name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise PluginError(
            f"{what} {name!r} must be lowercase letters, digits and _ "
            "starting with a letter"
        )
    return name


def _check_version(name: str, version: str) -> str:
    if not isinstance(version, str) or not VERSION_PATTERN.match(version):
        raise PluginError(
            f"plugin {name!r}: version {version!r} is not MAJOR.MINOR.PATCH"
        )
    return version


def _optional_result(name: str, text: str) -> str:
    kind, _, target = text.partition(":")
    if kind != "result" or not target:
        raise PluginError(
            f"plugin {name!r}: optional input {text!r} must be 'result:<plugin>'"
        )
    return target


def _check_outputs(
    name: str, what: str, outputs: tuple[Any, ...], kind: type[_Output]
) -> tuple[_Output, ...]:
    """Return ``outputs`` if each is a ``kind`` with a valid name, declared once."""
    seen: set[str] = set()
    for output in outputs:
        if not isinstance(output, kind):
            raise PluginError(
                f"plugin {name!r}: {what} declarations must be {kind.__name__}, "
                f"got {output!r}"
            )
        _check_name(f"plugin {name!r}: {what} name", output.name)
        if output.name in seen:
            raise PluginError(f"plugin {name!r}: {what} {output.name!r} declared twice")
        seen.add(output.name)
    return outputs


def _read_parameters(
    name: str, func: Callable[..., Any], problems: list[str]
) -> tuple[ParamSpec, ...]:
    """Parameters from the signature ``(trial, ctx, *, ...)``.

    Each problem (a wrong signature, an untyped or undefaulted parameter) is
    appended to ``problems``, so a declaration's mistakes are reported at once.
    """
    signature = inspect.signature(func)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except (NameError, TypeError, AttributeError) as error:  # e.g. an undefined name
        problems.append(f"its type hints cannot be read ({error})")
        hints = {}
    parameters = list(signature.parameters.values())
    positional = [
        p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(positional) != 2:
        problems.append("the signature must be (trial, ctx, *, <parameters>)")
    specs = []
    for p in parameters:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            problems.append("*args and **kwargs are not allowed")
            continue
        if p.kind != p.KEYWORD_ONLY:
            continue
        if p.default is p.empty:
            problems.append(f"parameter {p.name!r} needs a default value")
            continue
        try:
            specs.append(_param_spec(name, p.name, hints.get(p.name), p.default))
        except PluginError as error:
            problems.append(str(error).removeprefix(f"plugin {name!r}: "))
    return tuple(specs)


def _param_spec(plugin_name: str, name: str, hint: Any, default: Any) -> ParamSpec:
    extra = Param()
    if get_origin(hint) is Annotated:
        hint, *metadata = get_args(hint)
        extra = next((m for m in metadata if isinstance(m, Param)), extra)
    choices: tuple[Any, ...] = ()
    if get_origin(hint) is Literal:
        choices = get_args(hint)
        kinds = {type(c) for c in choices}
        if len(kinds) != 1 or next(iter(kinds)) not in _SCALAR_TYPES:
            raise PluginError(
                f"plugin {plugin_name!r}: parameter {name!r}: Literal choices must "
                "all be of one type (bool, int, float or str)"
            )
        hint = next(iter(kinds))
    if hint is None:
        raise PluginError(
            f"plugin {plugin_name!r}: parameter {name!r} has no type: annotate it "
            "bool, int, float, str or Literal[...] (choices), e.g. "
            f"`{name}: float = {default!r}`"
        )
    if hint not in _SCALAR_TYPES:
        raise PluginError(
            f"plugin {plugin_name!r}: parameter {name!r} must be typed bool, int, "
            f"float, str or Literal[...], got {hint!r}"
        )
    spec = ParamSpec(
        name,
        hint,
        default,
        choices,
        extra.min,
        extra.max,
        extra.unit,
        extra.doc,
        extra.label,
    )
    try:
        spec.check(default)
    except PluginError as error:
        raise PluginError(f"plugin {plugin_name!r}: default: {error}") from None
    return spec
