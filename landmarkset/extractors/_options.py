"""Declarative backend options, validated with messages that name the option."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..errors import OptionError

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass(frozen=True)
class Option:
    """One backend option: its type, default, allowed values and a one-line description.

    ``provenance=False`` declares an option that cannot change the landmarks (where weights are looked
    up, whether they may be downloaded): a stored track made with another value is still reused.
    """

    kind: type
    default: Any
    doc: str
    low: Optional[float] = None
    high: Optional[float] = None
    choices: Optional[tuple] = None
    allow_none: bool = False
    provenance: bool = True

    def describe(self) -> str:
        """Human-readable constraint, e.g. "an int >= 0" or "one of 'hog', 'cnn'"."""
        if self.choices:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        else:
            article = "an" if self.kind.__name__[0] in "aeiou" else "a"
            text = f"{article} {self.kind.__name__}"
            if self.low is not None and self.high is not None:
                text += f" in [{self.low}, {self.high}]"
            elif self.low is not None:
                text += f" >= {self.low}"
            elif self.high is not None:
                text += f" <= {self.high}"
        return text + (" or None" if self.allow_none else "")

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this option's type, or raise ValueError."""
        if value is None:
            if self.allow_none:
                return None
            raise ValueError
        if isinstance(value, str) and self.kind is not str:
            value = _parse_text(value, self.kind)
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError
        elif self.kind is int:
            if isinstance(value, bool) or not float(value).is_integer():
                raise ValueError
            value = int(value)
        elif self.kind is float:
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
        elif not isinstance(value, self.kind):
            raise ValueError
        if self.choices is not None and value not in self.choices:
            raise ValueError
        if self.low is not None and value < self.low:
            raise ValueError
        if self.high is not None and value > self.high:
            raise ValueError
        return value


def _parse_text(text: str, kind: type) -> Any:
    """Parse a command-line string such as "true", "2" or "0.5"."""
    lowered = text.strip().lower()
    if kind is bool:
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError
    if lowered in {"none", "null"}:
        return None
    return float(lowered) if kind in (int, float) else text


def validate_options(owner: str, spec: dict[str, Option], given: dict[str, Any]) -> dict[str, Any]:
    """Merge ``given`` over the defaults in ``spec``; raise OptionError naming any bad option.

    ``owner`` names who takes the options, e.g. "the dlib backend".
    """
    unknown = sorted(set(given) - set(spec))
    if unknown:
        valid = ", ".join(sorted(spec)) or "(none)"
        raise OptionError(f"Unknown option {unknown[0]!r} for {owner}. Valid options: {valid}.")
    options = {name: option.default for name, option in spec.items()}
    for name, value in given.items():
        option = spec[name]
        try:
            options[name] = option.coerce(value)
        except (ValueError, TypeError):
            raise OptionError(
                f"The {name!r} option of {owner} must be {option.describe()}. Got {value!r} instead."
            ) from None
    return options


def provenance_exempt_options(extractor: Any) -> tuple[str, ...]:
    """Names of the options ``extractor`` declares as unable to change its output (see :class:`Option`)."""
    spec = getattr(extractor, "option_spec", None) or {}
    return tuple(sorted(name for name, option in spec.items() if not option.provenance))


def parse_option_pairs(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Turn ["key=value", ...] from the command line into a dict of strings."""
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"Options are given as KEY=VALUE, e.g. -O upsample=1. Got {pair!r} instead.")
        options[key.strip().replace("-", "_")] = value.strip()
    return options
