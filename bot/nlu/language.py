"""Which of our languages a message is in, for members whose language is not known yet."""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

SUPPORTED = ("it", "en", "de", "fr", "es")


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(SUPPORTED))
    return identifier


def detect_language(text: str, threshold: float = 0.9) -> str | None:
    """An ISO 639-1 code when the text says enough ("ciao" alone does not); otherwise None."""
    letters = sum(c.isalpha() for c in text)
    if letters < 6:
        return None
    language, probability = _identifier().classify(text)
    return str(language) if probability >= threshold else None
