"""Imagine's OpenAI image client, written on httpx (see :mod:`bot.openai.client`)."""

from bot.openai.backends import (
    EditInputs,
    GeneratedImage,
    Generation,
    ImageBackend,
    ImagesBackend,
    ResponsesBackend,
    user_hash,
)
from bot.openai.client import OpenAIClient, error_from_response

__all__ = [
    "EditInputs",
    "GeneratedImage",
    "Generation",
    "ImageBackend",
    "ImagesBackend",
    "OpenAIClient",
    "ResponsesBackend",
    "error_from_response",
    "user_hash",
]
