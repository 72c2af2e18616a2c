"""The one price table: estimated USD per image, by model and quality, at 1024x1024, and the
token prices of the models OpenAI bills by tokens without a confirmed per-image table.

Figures are **approximate** and only feed estimates (usage summaries, the monthly budget, the
``imagine_estimated_spend_usd`` metric); the real bill is OpenAI's, which charges GPT Image
models by tokens.

| model | low | medium | high | other | source |
|---|---|---|---|---|---|
| gpt-image-1-mini | 0.005 | 0.011 | 0.036 | | platform.md ("Prices") |
| gpt-image-1 | 0.011 | 0.042 | 0.167 | | OpenAI model page (2025), approximate |
| gpt-image-1.5 | 0.009 | 0.034 | 0.133 | | platform.md ("Prices") |
| dall-e-3 | | | | standard 0.040, hd 0.080 | OpenAI pricing page (2025); compat only |
| dall-e-2 | | | | standard 0.020 | OpenAI pricing page (2025); compat only |

Token prices (:data:`DEFAULT_TOKEN_PRICES`, USD per 1M tokens):

| model | input | image output | source |
|---|---|---|---|
| gpt-image-2 | 5.00 | 30.00 | **unconfirmed**, see below |

The gpt-image-2 token prices are third-party listings of OpenAI's pricing page (xairouter.com
and robotsatlas.com model pages, 2026); platform.md found no per-image table on OpenAI's own
pages. At 1024x1024 they give about $0.008 / $0.032 / $0.125 (low / medium / high).

Rules (documented in the README):

- a model with token prices is estimated from the answer's ``usage`` once the images are made
  (``input_tokens`` at the input price, ``output_tokens`` at the image output price), and
  before the call (reservations) from the image output tokens of its quality,
  :data:`IMAGE_OUTPUT_TOKENS` for 1024x1024 (platform.md), scaled by pixel area;
- other sizes are scaled by pixel area: ``W*H / (1024*1024)`` (1536x1024 costs 1.5x);
- ``size=auto`` is estimated as 1536x1024 and ``quality=auto`` as the model's dearest quality,
  so that a budget is never under-counted;
- a dated snapshot (``gpt-image-2-2026-04-21``) is priced as its model; a model missing from
  both tables is priced like :data:`FALLBACK_MODEL`;
- ``PRICES_JSON`` (a JSON object ``{"model": {"quality": usd, ...}, ...}``) is merged over the
  table, quality by quality, so ``{"gpt-image-2": {"high": 0.2}}`` changes only that figure; a
  per-image figure given there wins over the token estimate. The keys
  ``input_usd_per_1m_tokens`` and ``output_usd_per_1m_tokens`` set a model's token prices.

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
INPUT_KEY = "input_usd_per_1m_tokens"
OUTPUT_KEY = "output_usd_per_1m_tokens"
TOKEN_KEYS = (INPUT_KEY, OUTPUT_KEY)

# Image output tokens of one 1024x1024 image by quality (platform.md, "Prices").
IMAGE_OUTPUT_TOKENS: dict[str, int] = {"low": 272, "medium": 1056, "high": 4160}

DEFAULT_TOKEN_PRICES: dict[str, dict[str, float]] = {
    "gpt-image-2": {INPUT_KEY: 5.00, OUTPUT_KEY: 30.00},  # unconfirmed; see the module docstring
}

DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "gpt-image-1.5": {"low": 0.009, "medium": 0.034, "high": 0.133},
    "gpt-image-1": {"low": 0.011, "medium": 0.042, "high": 0.167},
    "gpt-image-1-mini": {"low": 0.005, "medium": 0.011, "high": 0.036},
    "dall-e-3": {"standard": 0.040, "hd": 0.080},
    "dall-e-2": {"standard": 0.020},
}

_WXH = re.compile(r"^(\d+)x(\d+)$")
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


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
    """USD per 1024x1024 image, ``prices[model][quality]``, and USD per 1M tokens,
    ``token_prices[model]`` (keys :data:`INPUT_KEY`, :data:`OUTPUT_KEY`). Build it with
    :meth:`default` or :meth:`from_json` (for ``PRICES_JSON``)."""

    prices: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: DEFAULT_PRICES)
    token_prices: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: DEFAULT_TOKEN_PRICES
    )

    @classmethod
    def default(cls) -> PriceTable:
        """The built-in tables (:data:`DEFAULT_PRICES`, :data:`DEFAULT_TOKEN_PRICES`)."""
        return cls(DEFAULT_PRICES, DEFAULT_TOKEN_PRICES)

    @classmethod
    def from_json(cls, text: str | None) -> PriceTable:
        """The built-in tables with ``text`` (``PRICES_JSON``) merged over them; ``None`` or
        blank gives the built-in tables. Raises :class:`bot.errors.ConfigError` when ``text`` is
        not a JSON object of objects of non-negative numbers."""
        if text is None or not text.strip():
            return cls.default()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError([f"PRICES_JSON is invalid: not JSON ({exc.msg})."]) from None
        merged = {model: dict(qualities) for model, qualities in DEFAULT_PRICES.items()}
        tokens = {model: dict(row) for model, row in DEFAULT_TOKEN_PRICES.items()}
        for model, row in _checked(data).items():
            per_image = {k: v for k, v in row.items() if k not in TOKEN_KEYS}
            per_token = {k: v for k, v in row.items() if k in TOKEN_KEYS}
            if per_image:
                merged.setdefault(model, {}).update(per_image)
            if per_token:
                tokens.setdefault(model, {INPUT_KEY: 0.0, OUTPUT_KEY: 0.0}).update(per_token)
        return cls(merged, tokens)

    def _model(self, model: str) -> str:
        if model in self.prices or model in self.token_prices:
            return model
        base = _SNAPSHOT.sub("", model)
        if base in self.prices or base in self.token_prices:
            return base
        return FALLBACK_MODEL

    def _per_token(self, model: str, quality: str) -> Mapping[str, float] | None:
        """The token prices when ``model`` at ``quality`` is estimated by tokens (no per-image
        figure given for that quality)."""
        tokens = self.token_prices.get(model)
        if tokens is None or quality in self.prices.get(model, {}):
            return None
        return tokens

    def per_image_usd(self, model: str, quality: str, size: str) -> float:
        """Estimated USD for one ``size`` image of ``model`` at ``quality``, before it is made
        (rules above)."""
        model = self._model(model)
        tokens = self._per_token(model, quality)
        if tokens is not None:
            count = IMAGE_OUTPUT_TOKENS.get(quality, max(IMAGE_OUTPUT_TOKENS.values()))
            return count * area_factor(size) * tokens.get(OUTPUT_KEY, 0.0) / 1_000_000
        row = self.prices.get(model) or self.prices.get(FALLBACK_MODEL) or {}
        if not row:
            return 0.0
        base = row.get(quality)
        if base is None:
            base = max(row.values())
        return base * area_factor(size)

    def estimate_micro(self, model: str, quality: str, size: str, n: int) -> int:
        """Estimated cost of ``n`` images before they are made, in micro-dollars."""
        return usd_to_micro(self.per_image_usd(model, quality, size) * n)

    def generation_micro(
        self,
        model: str,
        quality: str,
        size: str,
        images: int,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
    ) -> int:
        """Estimated cost of ``images`` images once made, in micro-dollars: from the answer's
        token ``usage`` for a model with token prices (when it reported output tokens), else
        as :meth:`estimate_micro`. No images cost nothing."""
        if images <= 0:
            return 0
        tokens = self._per_token(self._model(model), quality)
        if tokens is None or output_tokens <= 0:
            return self.estimate_micro(model, quality, size, images)
        per_1m = input_tokens * tokens.get(INPUT_KEY, 0.0)
        per_1m += output_tokens * tokens.get(OUTPUT_KEY, 0.0)
        return usd_to_micro(per_1m / 1_000_000)

    def priced_by_tokens(self, model: str) -> bool:
        """True when ``model`` has token prices (its costs come from ``usage``)."""
        return self._model(model) in self.token_prices


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
