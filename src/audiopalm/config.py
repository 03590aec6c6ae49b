"""Typed configs: a dataclass is the one place for a stage's settings, their defaults and their help.

    build(CodecConfig, {"data": "d", "out": "o"}, ["steps=100"])   # a dict (YAML) and key=value overrides
    add_arguments(parser, CodecConfig)                              # --data, --steps, ... (nested: --ctc-steps)
    build(CodecConfig, load_yaml(path), args.overrides, flags(args, CodecConfig))

A field's help is its `metadata["help"]`; `metadata["min"]`, `["max"]` and `["choices"]` bound its
value; `["short"]` adds a short flag (`-o`), `["metavar"]` names the value in the help. Keys of nested dataclasses are dotted (`ctc.steps=4000`) or, as flags, joined by dashes
(`--ctc-steps 4000`); a nested config marked `flat` gives its flags no prefix (`--steps` for
`train.steps`). An unknown key, a value of the wrong type or out of range, and a missing
required key are each one AudiopalmError that names the key.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from audiopalm.errors import AudiopalmError

T = TypeVar("T")


def help_field(help: str, default: Any = dataclasses.MISSING, **bounds) -> Any:
    """`field(default=..., metadata={"help": ..., "min": ...})`; a list or dict default is copied per instance."""
    metadata = {"help": help, **bounds}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    if dataclasses.is_dataclass(default) and isinstance(default, type):
        return dataclasses.field(default_factory=default, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_config(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _optional(tp: Any) -> tuple[Any, bool]:
    """X | None -> (X, True)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _type_name(tp: Any) -> str:
    inner, optional = _optional(tp)
    name = getattr(inner, "__name__", str(inner).replace("typing.", ""))
    return f"{name} or null" if optional else name


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """`value` (from YAML, a flag or an override) as type `tp`, or one error naming `key`."""
    inner, optional = _optional(tp)
    if value is None:
        if optional:
            return None
        raise AudiopalmError(f"{key}: a value is required (a {_type_name(tp)}), not null")
    if _is_config(inner):
        if isinstance(value, inner):
            return value
        if not isinstance(value, dict):
            raise AudiopalmError(f"{key}: expected a mapping of {inner.__name__} keys, not {value!r}")
        return _build(inner, value, f"{key}.")
    origin, args = typing.get_origin(inner), typing.get_args(inner)
    wrong = AudiopalmError(f"{key}: expected a {_type_name(tp)}, not {value!r}")
    if inner is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
            return value.lower() in ("true", "yes")
        if not isinstance(value, bool):
            raise wrong
        return value
    if inner in (int, float):
        if isinstance(value, str):
            try:
                value = inner(value)
            except ValueError:
                raise wrong from None
        if isinstance(value, bool) or not isinstance(value, int if inner is int else (int, float)):
            raise wrong
        if not math.isfinite(value):
            raise AudiopalmError(f"{key}: expected a finite {_type_name(tp)}, not {value!r}")
        return inner(value)
    if inner is str:
        if not isinstance(value, (str, Path)):
            raise wrong
        return str(value)
    if origin in (list, tuple):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise wrong
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise AudiopalmError(f"{key}: expected {len(args)} values, not {len(value)}")
            return tuple(_coerce(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        item = args[0] if args else Any
        items = [v if item is Any else _coerce(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if inner is dict or origin is dict:
        if isinstance(value, str):  # a flag: --mixture "{ASR: 1, AST: 0.5}"
            import yaml

            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError:
                raise wrong from None
        if not isinstance(value, dict):
            raise wrong
        if len(args) == 2 and args[1] is not Any:
            return {k: _coerce(v, args[1], f"{key}.{k}") for k, v in value.items()}
        return dict(value)
    return value


def _check_bounds(value: Any, meta: typing.Mapping, key: str) -> None:
    if value is None:
        return
    if "choices" in meta and value not in meta["choices"]:
        raise AudiopalmError(f"{key}: {value!r} is not one of {', '.join(map(str, meta['choices']))}")
    if "min" in meta and value < meta["min"]:
        raise AudiopalmError(f"{key}: must be at least {meta['min']}, not {value}")
    if "max" in meta and value > meta["max"]:
        raise AudiopalmError(f"{key}: must be at most {meta['max']}, not {value}")


def _build(cls: type[T], values: dict, prefix: str = "") -> T:
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if unknown := [k for k in values if k not in fields]:
        raise AudiopalmError(f"unknown key {prefix}{unknown[0]}; {cls.__name__} has: {', '.join(fields)}")
    kwargs = {}
    for name, f in fields.items():
        key = f"{prefix}{name}"
        if name in values:
            kwargs[name] = _coerce(values[name], hints[name], key)
            _check_bounds(kwargs[name], f.metadata, key)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            flag = "--" + name.replace("_", "-")
            raise AudiopalmError(f"missing required key {key} (give {flag} or set it in the --config file)")
    return cls(**kwargs)


def _nest(flat: dict[str, Any]) -> dict:
    """{"ctc.steps": 4} -> {"ctc": {"steps": 4}}."""
    out: dict = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise AudiopalmError(f"{key}: {p} is not a mapping")
        node[last] = value
    return out


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def parse_overrides(items: list[str]) -> dict:
    """["steps=100", "ctc.preset=tiny"] -> nested dict; values read as YAML (100 -> int, [a, b] -> list)."""
    import yaml

    flat = {}
    for item in items:
        if "=" not in item:
            raise AudiopalmError(f"override {item!r}: write KEY=VALUE (nested keys with dots: ctc.steps=4000)")
        key, text = item.split("=", 1)
        try:
            flat[key.strip()] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            flat[key.strip()] = text
    return _nest(flat)


def load_yaml(path: str | Path | None) -> dict:
    """A YAML file of config keys -> dict ({} for None); one error line for a missing or malformed file."""
    import yaml

    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise AudiopalmError(f"config {path} not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise AudiopalmError(f"config {path} is not valid YAML: {str(e).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AudiopalmError(f"config {path}: expected a mapping of keys at the top, not {type(data).__name__}")
    return data


def build(cls: type[T], values: dict | None = None, overrides: list[str] | None = None,
          flag_values: dict | None = None, prefix: str = "") -> T:
    """`cls` from defaults < `values` (a YAML mapping) < `overrides` (KEY=VALUE) < `flag_values`, checked;
    `prefix` names where the values sit in a larger config ("train.") in errors."""
    merged = _merge(_merge(values or {}, parse_overrides(overrides or [])), flag_values or {})
    return _build(cls, merged, prefix)


# --- command-line flags ------------------------------------------------------------------------
def _leaves(cls: type, prefix: str = "", flag_prefix: str = "") -> list[tuple[str, str, Any, dataclasses.Field]]:
    """(dotted key, flag, type, field) of every non-dataclass field, nested ones included."""
    out = []
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        inner, _ = _optional(hints[f.name])
        if _is_config(inner):
            nested_flags = flag_prefix if f.metadata.get("flat") else f"{flag_prefix}{f.name}-"
            out += _leaves(inner, f"{prefix}{f.name}.", nested_flags)
        else:
            out.append((f"{prefix}{f.name}", "--" + f"{flag_prefix}{f.name}".replace("_", "-"), hints[f.name], f))
    return out


def _default_text(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        return "" if f.default is None else f" (default: {f.default})"
    if f.default_factory is not dataclasses.MISSING:
        return f" (default: {f.default_factory()})"
    return " (required)"


def add_arguments(parser: argparse.ArgumentParser, cls: type, positional: tuple[str, ...] = ()) -> None:
    """A flag per field of `cls` (nested fields: --parent-child); `positional` fields are arguments.
    Flags set only what they name (argparse.SUPPRESS), so YAML values and overrides keep the rest."""
    for key, flag, tp, f in _leaves(cls):
        inner, _ = _optional(tp)
        help_ = (f.metadata.get("help", "") + _default_text(f)).replace("%", "%%")  # argparse formats help with %
        if key in positional:
            many = typing.get_origin(inner) in (list, tuple)
            parser.add_argument(key, help=help_, nargs="+" if many else None,
                                choices=f.metadata.get("choices"), metavar=f.metadata.get("metavar"))
            continue
        kw: dict[str, Any] = {"dest": key, "default": argparse.SUPPRESS, "help": help_}
        names = [flag, *([f.metadata["short"]] if "short" in f.metadata else [])]
        if inner is bool:
            parser.add_argument(*names, action=argparse.BooleanOptionalAction, **kw)
        elif typing.get_origin(inner) in (list, tuple):
            parser.add_argument(*names, nargs="*", metavar="VALUE", **kw)
        elif "choices" in f.metadata:
            parser.add_argument(*names, choices=f.metadata["choices"], metavar=key.split(".")[-1].upper(), **kw)
        else:
            parser.add_argument(*names, metavar=f.metadata.get("metavar", key.split(".")[-1].upper()), **kw)


def add_config_file_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", dest="config_file", help="YAML file of these settings (flags override it)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                        help="settings as KEY=VALUE after the flags (nested keys with dots: ctc.steps=4000)")


def flags(args: argparse.Namespace, cls: type) -> dict:
    """The flags given on a command line, nested by their dotted keys."""
    given = {key: getattr(args, key) for key, _, _, _ in _leaves(cls) if hasattr(args, key)}
    return _nest(given)


def from_args(cls: type[T], args: argparse.Namespace) -> T:
    """`cls` from a parsed command line: --config YAML < KEY=VALUE overrides < flags."""
    return build(cls, load_yaml(getattr(args, "config_file", None)), getattr(args, "overrides", None),
                 flags(args, cls))
