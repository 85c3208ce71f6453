"""Signatures in the style of sacrebleu's ``BLEUSignature``: ``key:value|key:value|...``.

Printed under every table so a number can be traced to how it was computed.
"""

from __future__ import annotations

from .. import __version__


def signature(**fields) -> str:
    """``k1:v1|k2:v2|...|slt-nb:<version>`` in the given order (None values are left out)."""
    parts = [f"{k.replace('_', '-')}:{v}" for k, v in fields.items() if v is not None]
    parts.append(f"slt-nb:{__version__}")
    return "|".join(parts)
