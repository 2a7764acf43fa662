"""The catalog cannot go stale silently: every current text model the installed genai-prices lists
for a covered provider is priced by the catalog, or listed in ``pricing/_known_differences.toml``
as deliberately excluded, with a reason.

genai-prices is pinned in pyproject.toml (``genai-prices>=0.2.3,<0.3``); bumping the pin and
running this test is the update routine (docs/pricing.md, "Checking the catalog").

Which models count as text models is decided from genai-prices' own data by
``costpanel.pricing.diff.is_text_model``: both an input and an output price per 1M tokens, no price
for an audio / image / video / per-hour / per-page / per-character unit, and no non-text product
word (embed, image, tts, audio, realtime, transcribe, whisper, voice, moderation, ocr, live) in the
id — some image and speech models are priced per text token only, so the prices alone would let
them through. Deprecated models (genai-prices' ``deprecated`` flag) are not required.
"""

from __future__ import annotations

import pytest

from costpanel.pricing import Catalog
from costpanel.pricing.diff import genai_prices_models, is_text_model, load_known_differences

pytest.importorskip("genai_prices", reason="genai-prices is a dependency (pip install -e .)")


def test_every_current_genai_prices_text_model_is_priced_or_deliberately_excluded(catalog: Catalog) -> None:
    excluded = {model for (model, field) in load_known_differences() if field == "model"}
    unpriced = sorted(
        f"{m.provider}: {m.id}" for m in genai_prices_models()
        if m.current and m.text and m.id not in excluded
        and not any(catalog.match(name) for name in m.names)
    )
    assert not unpriced, (
        "genai-prices lists current text models the catalog does not price: add them to "
        "pricing/<provider>.toml, or list them in pricing/_known_differences.toml (field = \"model\") "
        "with the reason they are out of scope:\n  " + "\n  ".join(unpriced)
    )


def test_exclusions_name_models_genai_prices_lists_and_the_catalog_does_not_price(catalog: Catalog) -> None:
    # A stale exclusion would hide a model that is priced now (or a typo that excludes nothing).
    theirs = {m.id: m for m in genai_prices_models()}
    for (model, field), reason in load_known_differences().items():
        if field != "model" or model in catalog.models:
            continue  # our own model that the sources do not list
        if model not in theirs and "LiteLLM" in reason:
            continue  # a LiteLLM-only row (`pricing diff --litellm`), not a genai-prices exclusion
        assert model in theirs, f"{model}: excluded in _known_differences.toml but genai-prices has no such model"
        assert not any(catalog.match(n) for n in theirs[model].names), f"{model} is priced now: remove its exclusion"
        assert "to add" not in reason.lower(), f"{model}: a missing model is added, not excluded"


@pytest.mark.parametrize(("model_id", "keys", "text"), [
    ("gpt-6.1-sol", {"input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "web_searches_kcount"}, True),
    ("sonar-deep-research", {"input_mtok", "output_mtok", "output_citation_mtok", "output_reasoning_mtok"}, True),
    ("text-embedding-3-small", {"input_mtok"}, False),  # no output price
    ("tts-1", {"input_mchars"}, False),
    ("whisper-1", {"audio_hours", "input_audio_hours"}, False),
    ("moderation", set(), False),
    ("gpt-realtime", {"input_mtok", "output_mtok", "input_audio_mtok", "output_audio_mtok"}, False),
    ("gemini-nano-banana-2.1", {"input_mtok", "output_mtok", "output_image_mtok"}, False),
    ("gpt-5-image", {"input_mtok", "output_mtok", "cache_read_mtok"}, False),  # text prices only: the name
    ("gpt-4o-mini-tts", {"input_mtok", "output_mtok"}, False),
    ("mistral-embed", {"input_mtok", "output_mtok"}, False),
    ("gemini-live-2.5-flash", {"input_mtok", "output_mtok"}, False),
])
def test_text_models_are_told_apart_by_genai_prices_data(model_id: str, keys: set[str], text: bool) -> None:
    assert is_text_model(model_id, keys) is text
