"""The sentence splitter (bot.sentences): sentence ends, abbreviations, quotes; segment."""

from __future__ import annotations

import threading

import pytest

from bot import sentences
from bot.sentences import segment, sentence_ends, split_sentences


def test_split_sentences_at_final_punctuation() -> None:
    """Full stops, question and exclamation marks and ellipses end sentences."""
    text = "Ports reopened. Will ships come? They did! Then… Silence."
    assert split_sentences(text) == [
        "Ports reopened.", "Will ships come?", "They did!", "Then…", "Silence.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Smith arrived.",
        "Mr. and Mrs. Jones left.",
        "Some goods, e.g. grain, moved.",
        "That is, i.e. Odesa, the port.",
        "The U.S. Navy watched.",
        "J. Smith wrote it.",
        "It cost approx. two billion.",
        "Talks start Jan. 5 in Geneva.",
    ],
)
def test_abbreviations_and_initials_do_not_end_a_sentence(text: str) -> None:
    """A full stop after an abbreviation or an initial is not a sentence end."""
    assert split_sentences(text) == [text]


def test_a_lower_case_next_word_continues_the_sentence() -> None:
    """A full stop followed by a lower-case word is taken as part of the sentence."""
    assert split_sentences("Grain, oil etc. and more came. Then it ended.") == [
        "Grain, oil etc. and more came.", "Then it ended.",
    ]


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    """Quotes and brackets right after the punctuation belong to the sentence they close."""
    text = "He said “It is over.” Nobody agreed. (They waited.) 'Why?' she asked."
    assert split_sentences(text) == [
        "He said “It is over.”", "Nobody agreed.", "(They waited.)", "'Why?' she asked.",
    ]


def test_sentence_ends_are_offsets_after_the_punctuation() -> None:
    """sentence_ends gives the offset just past each sentence's punctuation and quotes."""
    text = 'One. "Two?" Three'
    assert sentence_ends(text) == [4, 11]
    assert [text[:end] for end in sentence_ends(text)] == ["One.", 'One. "Two?"']


def test_sentence_ends_counts_the_end_of_the_text() -> None:
    """Punctuation at the very end of the text is a sentence end too."""
    assert sentence_ends("It ended.") == [9]
    assert sentence_ends("No end") == []


def test_sentence_ends_within_a_window() -> None:
    """Only ends in (start, end] are found; the character after `end` may confirm one."""
    text = "A one. B two. C three. D four."
    assert sentence_ends(text, 7, 22) == [13, 22]
    assert sentence_ends(text, 0, 12) == [6]
    assert sentence_ends(text, 6, 6) == []


def test_split_sentences_of_blank_text_is_empty() -> None:
    """Whitespace-only text has no sentences; trailing text without punctuation is one."""
    assert split_sentences("  \n ") == []
    assert split_sentences("First. and then nothing") == ["First. and then nothing"]
    assert split_sentences("First. Second without end") == ["First.", "Second without end"]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "Mr. Putin met U.S. officials. Talks ended.\nBreaking news\n\n  Prices\u00a0rose.",
            "en",
            ["Mr. Putin met U.S. officials.", "Talks ended.", "Breaking news", "Prices rose."],
        ),
        ("Dr. Smith arrived. He spoke.", "xx", ["Dr. Smith arrived.", "He spoke."]),
    ],
)
def test_segment_by_pysbd_rules_with_line_breaks_as_ends(
    text: str, language: str, expected: list[str]
) -> None:
    """segment uses pysbd's rules (English for a code pysbd lacks); line breaks end sentences."""
    assert segment(text, language) == expected


def test_segment_falls_back_to_the_project_splitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where pysbd raises, a line is split by split_sentences (abbreviations included)."""

    class Exploding:
        def segment(self, text: str) -> list[str]:
            raise IndexError("pysbd failed")

    monkeypatch.setattr(sentences, "_segmenter", lambda code: (Exploding(), threading.Lock()))
    text = "Dr. Smith arrived. “Nothing changed,” he said.\nSecond line."
    assert segment(text) == [*split_sentences(text.splitlines()[0]), "Second line."]
    assert segment(text) == ["Dr. Smith arrived.", "“Nothing changed,” he said.", "Second line."]
