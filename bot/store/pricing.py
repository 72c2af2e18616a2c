"""The one price table: estimated USD per image, by model and quality, at 1024x1024.

Figures are **approximate** and only feed estimates (usage summaries, the monthly budget); the
real bill is OpenAI's, which charges GPT Image models by tokens.

| model | low | medium | high | other | source |
|---|---|---|---|---|---|
| gpt-image-1-mini | 0.005 | 0.011 | 0.036 | | platform.md ("Prices") |
| gpt-image-1 | 0.011 | 0.042 | 0.167 | | OpenAI model page (2025), approximate |
| gpt-image-1.5 | 0.009 | 0.034 | 0.133 | | approximate: gpt-image-1 less about 20% |
| gpt-image-2 | 0.011 | 0.042 | 0.167 | | approximate: assumed equal to gpt-image-1 until checked |
| dall-e-3 | | | | standard 0.040, hd 0.080 | OpenAI pricing page (2025); compat only |
| dall-e-2 | | | | standard 0.020 | OpenAI pricing page (2025); compat only |

Rules (documented in the README):

- other sizes are scaled by pixel area: ``W*H / (1024*1024)`` (1536x1024 costs 1.5x);
- ``size=auto`` is estimated as 1536x1024 and ``quality=auto`` as the model's dearest quality,
  so that a budget is never under-counted;
- a model missing from the table is priced like :data:`FALLBACK_MODEL`;
- ``PRICES_JSON`` (a JSON object ``{"model": {"quality": usd, ...}, ...}``) is merged over the
  table, quality by quality, so ``{"gpt-image-2": {"high": 0.2}}`` changes only that figure.

Costs are handled in whole micro-dollars (``int``, 1 USD = 1,000,000) so that sums and limit
checks in the database are exact.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.errors import ConfigError

MICRO_USD = 1_000_000
BASE_PIXELS = 1024 * 1024
AUTO_SIZE = "1536x1024"
FALLBACK_MODEL = "gpt-image-1"

DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "gpt-image-2": {"low": 0.011, "medium": 0.042, "high": 0.167},
    "gpt-image-1.5": {"low": 0.009, "medium": 0.034, "high": 0.133},
    "gpt-image-1": {"low": 0.011, "medium": 0.042, "high": 0.167},
    "gpt-image-1-mini": {"low": 0.005, "medium": 0.011, "high": 0.036},
    "dall-e-3": {"standard": 0.040, "hd": 0.080},
    "dall-e-2": {"standard": 0.020},
}

_WXH = re.compile(r"^(\d+)x(\d+)$")


def usd_to_micro(usd: float) -> int:
    """``usd`` dollars as whole micro-dollars (rounded half up)."""
    return math.floor(usd * MICRO_USD + 0.5)


def micro_to_usd(micro: int) -> float:
    """Whole micro-dollars as dollars."""
    return micro / MICRO_USD


def area_factor(size: str) -> float:
    """How many 1024x1024 images ``size`` (``WxH`` or ``auto``) is worth, by pixel area.
    Anything unreadable counts as 1024x1024."""
    match = _WXH.match(AUTO_SIZE if size == "auto" else size)
    if match is None:
        return 1.0
    return int(match.group(1)) * int(match.group(2)) / BASE_PIXELS


@dataclass(frozen=True)
class PriceTable:
    """USD per 1024x1024 image: ``prices[model][quality]``. Build it with :meth:`default` or
    :meth:`from_json` (for ``PRICES_JSON``)."""

    prices: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: DEFAULT_PRICES)

    @classmethod
    def default(cls) -> PriceTable:
        """The built-in table (:data:`DEFAULT_PRICES`)."""
        return cls(DEFAULT_PRICES)

    @classmethod
    def from_json(cls, text: str | None) -> PriceTable:
        """The built-in table with ``text`` (``PRICES_JSON``) merged over it; ``None`` or blank
        gives the built-in table. Raises :class:`bot.errors.ConfigError` when ``text`` is not a
        JSON object of objects of non-negative numbers."""
        if text is None or not text.strip():
            return cls.default()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError([f"PRICES_JSON is invalid: not JSON ({exc.msg})."]) from None
        merged = {model: dict(qualities) for model, qualities in DEFAULT_PRICES.items()}
        for model, qualities in _checked(data).items():
            merged.setdefault(model, {}).update(qualities)
        return cls(merged)

    def per_image_usd(self, model: str, quality: str, size: str) -> float:
        """Estimated USD for one ``size`` image of ``model`` at ``quality`` (rules above)."""
        row = self.prices.get(model) or self.prices.get(FALLBACK_MODEL) or {}
        if not row:
            return 0.0
        base = row.get(quality)
        if base is None:
            base = max(row.values())
        return base * area_factor(size)

    def estimate_micro(self, model: str, quality: str, size: str, n: int) -> int:
        """Estimated cost of ``n`` images, in micro-dollars."""
        return usd_to_micro(self.per_image_usd(model, quality, size) * n)


def _checked(data: object) -> dict[str, dict[str, float]]:
    problem = 'PRICES_JSON is invalid: expected {"model": {"quality": usd, ...}, ...}'
    if not isinstance(data, dict):
        raise ConfigError([f"{problem}."])
    checked: dict[str, dict[str, float]] = {}
    for model, qualities in data.items():
        if not isinstance(qualities, dict):
            raise ConfigError([f"{problem}; {model!r} is not an object."])
        row: dict[str, float] = {}
        for quality, usd in qualities.items():
            if isinstance(usd, bool) or not isinstance(usd, (int, float)) or usd < 0:
                raise ConfigError([f"{problem}; {model}/{quality} is not a number >= 0."])
            row[str(quality)] = float(usd)
        checked[str(model)] = row
    return checked
