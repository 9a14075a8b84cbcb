"""Equal as data, and of the same kind: the one comparison of YAML values nb-release makes.

`true` is not `1`, `1` is not `1.0`, a date is not its string; NaN equals NaN; a mapping's key
order is presentation, not data. Kinds, not Python types, are compared, because ruamel.yaml and
PyYAML give the same data as different classes (ScalarFloat and float, CommentedSeq and list).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from typing import Any


def kind(value: Any) -> str:
    """The kind of a YAML value: bool, int, float, str, null, list, map, date, datetime, or the
    class name of anything else."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: a bool is an int to Python
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, datetime.datetime):  # before date: a datetime is a date to Python
        return "datetime"
    if isinstance(value, datetime.date):
        return "date"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return "list"
    return type(value).__name__


def same_data(a: Any, b: Any) -> bool:
    """Equal as data and of the same kind, all the way down."""
    kind_a = kind(a)
    if kind_a != kind(b):
        return False
    if kind_a == "map":
        return a.keys() == b.keys() and all(same_data(a[key], b[key]) for key in a)
    if kind_a == "list":
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b, strict=True))
    if kind_a == "float" and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)
