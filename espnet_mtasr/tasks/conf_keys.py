"""Check the keys of a nested ``<kind>_conf`` option against the chosen class.

ESPnet hands ``<kind>_conf`` to the chosen class as ``**kwargs`` only when the model is
built, so a typo (``encoder_conf: {outptu_size: 8}``) passes ``--print_config`` and then
ends training in a ``TypeError`` traceback. :func:`check_nested_conf` compares the keys with
the constructor's parameters (``inspect.signature``) up front and raises
:class:`MTASRInputError` naming the option, the key, the class, the closest valid names
and, when the key came from the ``--config`` YAML, that file and line.

The task decides which classes and confs to check (``MTASRTask.check_conf_keys``); this
module only knows constructors and YAML files.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, FrozenSet, Mapping, Optional, Sequence

import yaml

from espnet_mtasr.utils.errors import MTASRInputError


@functools.cache
def constructor_keywords(part_class: type) -> Optional[FrozenSet[str]]:
    """The keyword arguments ``part_class(...)`` accepts; ``None`` if it takes ``**kwargs``.

    A constructor with ``**kwargs`` accepts any key: the stock classes that have one
    forward it to an open-ended config (``hubert_pretrain``: fairseq overrides,
    ``JointNetwork``: activation parameters), so its keys are not checked.
    """
    params = inspect.signature(part_class.__init__).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    names = [p.name for p in params if p.kind in keyword]
    return frozenset(names[1:] if names and names[0] == "self" else names)


def qualified_name(part_class: type) -> str:
    """``espnet2.asr.encoder.conformer_encoder.ConformerEncoder``."""
    return f"{part_class.__module__}.{part_class.__qualname__}"


def yaml_key_line(path: Optional[Any], *keys: str) -> Optional[int]:
    """1-based line of the nested key ``keys`` (``"encoder_conf", "output_size"``) in the
    YAML ``path``.

    ``None`` if there is no such file, it is no YAML mapping, or the key is not set there
    (it came from the command line).
    """
    if path is None or not Path(path).is_file():
        return None
    try:
        with Path(path).open(encoding="utf-8") as f:
            node = yaml.compose(f, Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    line = None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(key):
                node, line = value_node, key_node.start_mark.line + 1
                break
        else:
            return None
    return line


@dataclass(frozen=True)
class NestedConf:
    """One ``<kind>_conf`` and the class it is handed to.

    Args:
        option: the option name without dashes (``encoder_conf``).
        conf: its value as parsed.
        part_class: the class that receives ``**conf``.
        choice: the option that picked the class (``--encoder conformer``), if any.
        derived: the constructor arguments the task passes itself (``input_size``):
            the conf may not set them.
        derived_by: who passes them, for the message.
    """

    option: str
    conf: Any
    part_class: type
    choice: Optional[str] = None
    derived: FrozenSet[str] = frozenset()
    derived_by: str = "build_model derives from the other parts"


def check_nested_conf(nested: NestedConf, config_file: Optional[Any] = None) -> None:
    """Raise :class:`MTASRInputError` if ``nested.conf`` has a key its class does not take.

    Args:
        nested: the option, its value and its class.
        config_file: the ``--config`` YAML, if any: the message names it (and the line)
            when the offending key is set there.

    Raises:
        MTASRInputError: the conf is no mapping, sets a derived argument, or has a key that
            is not a parameter of the class (with the closest parameter names).
    """
    option, conf = nested.option, nested.conf
    if conf is None:
        return
    if not isinstance(conf, Mapping):
        raise MTASRInputError(
            f"--{option} must be a mapping of {qualified_name(nested.part_class)} "
            f"arguments, not {type(conf).__name__} {conf!r}",
            **_where(config_file, option),
            fix=f"write {option}: {{name: value, ...}}",
        )
    keys = [str(k) for k in conf]
    clash = sorted(set(keys) & nested.derived)
    if clash:
        raise MTASRInputError(
            f"--{option} sets {clash}, which {nested.derived_by}",
            **_where(config_file, option, clash),
            fix=f"remove {clash} from {option}",
        )
    accepted = constructor_keywords(nested.part_class)
    if accepted is None:
        return
    unknown = [k for k in keys if k not in accepted]
    if not unknown:
        return
    valid = sorted(accepted - nested.derived)
    target = qualified_name(nested.part_class)
    if nested.choice:
        target = f"{nested.choice} ({target})"
    hints = {k: difflib.get_close_matches(k, valid, n=3) for k in unknown}
    plural = "s" if len(unknown) > 1 else ""
    message = f"--{option}: unknown key{plural} {', '.join(map(repr, unknown))} for {target}"
    suggested = [(k, " or ".join(map(repr, hints[k]))) for k in unknown if hints[k]]
    if len(unknown) == 1 and suggested:
        message += f"; did you mean {suggested[0][1]}?"
        fix = f"rename it to {hints[unknown[0]][0]!r} in {option}"
    else:
        if suggested:
            message += "; did you mean " + ", ".join(f"{s} for {k!r}" for k, s in suggested)
            message += "?"
        fix = (
            f"rename or remove {'them' if plural else 'it'} in {option}; "
            f"{nested.part_class.__name__} takes: {', '.join(valid)}"
        )
    raise MTASRInputError(message, **_where(config_file, option, unknown), fix=fix)


def _where(config_file: Optional[Any], option: str, keys: Sequence[str] = ()) -> dict:
    """``path``/``line`` of ``option`` (or the first of its ``keys``) in the YAML, if set
    there; else nothing (the command line set it)."""
    for key_path in [(option, key) for key in keys] or [(option,)]:
        line = yaml_key_line(config_file, *key_path)
        if line is not None:
            return dict(path=config_file, line=line)
    return {}
