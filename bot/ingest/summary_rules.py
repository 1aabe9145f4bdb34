"""Which sentences may stand in a summary: boilerplate, captions and bylines are left out, and
a sentence that leans on the one before it ("But …", "Але …") never opens one. Pure rules,
no I/O; :mod:`bot.ingest.summaries` applies them.
"""

from __future__ import annotations

import re
from typing import Final

from sumy.utils import normalize_language

__all__ = [
    "APOSTROPHES",
    "DEFAULT_LANGUAGE",
    "OPENING_MARKS",
    "WORD_RE",
    "is_boilerplate",
    "prose_lines",
    "starts_dangling",
]

#: An ISO 639-1 code; sumy language names ("english") are accepted wherever codes are.
DEFAULT_LANGUAGE: Final = "en"
# The boilerplate patterns below apply only to sentences this short.
_BOILERPLATE_MAX_WORDS: Final = 12

# A word is either a dotted initialism ("U.S." gives "U.S", "e.g." gives "e.g") or a run of
# letters or digits, which may contain apostrophes ("doesn't", "l'État"). Hyphens split words,
# so "Georgian-based" gives two words. \w is Unicode-aware for str patterns. The [^\W_] class
# removes the underscore from \w, and [^\W\d_] also removes digits, leaving letters.
WORD_RE: Final = re.compile(r"[^\W\d_](?:\.[^\W\d_])+|[^\W_]+(?:['’ʼ][^\W_]+)*")
# Typographic apostrophes become ASCII ones. That way "Russia’s" matches the stop-word lists
# and the stemmer's rule for possessives.
APOSTROPHES: Final = str.maketrans({"’": "'", "ʼ": "'"})

# Sentences that are navigation or promotion, not content. Each pattern must match the whole
# sentence, and the sentence must have at most _BOILERPLATE_MAX_WORDS words. So "Read the full
# report here." is dropped, but a longer sentence that starts with "Read" is kept.
_BOILERPLATE_RE: Final = re.compile(
    r"""^(?:
        (?:read|see|watch|listen\ to)\s+(?:the\s+)?(?:full|whole|complete|original)\b.*
      | (?:read|see)\s+(?:more|also)\b.*
      | (?:click|tap)\s+here\b.*
      | more\s+(?:on|about)\s+(?:this|the)\s+(?:topic|story|subject|issue)\b.*
      | related(?:\s+(?:articles?|stories|coverage|content))?\s*[:.…]*
      | (?:subscribe|sign\ up)\b.*\b(?:newsletter|updates|channel)\b.*
      | continue\ reading\b.*
      | (?:advertisement|share\ this|share\ on\ \w+|skip\ (?:to|past)\b.*)[.:…]*
      | (?:published|updated|last\ updated|posted|first\ published)\b.*
      | (?:читайте|дивіться)\s+(?:також|більше|повністю|нас)\b.*
      | (?:більше|детальніше)\s+(?:новин|про\ це|на\ тему)\b.*
      | (?:реклама|поділитися)[.:…]*
      | (?:оновлено|опубліковано)\b.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# Promotion for another format or channel, dropped whatever its length: "In this video we
# look at …" is 28 words long and still says nothing about the news.
_PROMOTION_RE: Final = re.compile(
    r"""^(?:
        in\ (?:this|today['’]s|the)\ (?:video|episode|podcast|clip|explainer\ video)\b
      | (?:watch|listen)(?:\ (?:the|our|now|here))*\s*[:—–-]
      | (?:watch|listen\ to)\ (?:the|our)\ (?:video|podcast|episode|documentary)\b
      | (?:sign\ up|subscribe)\b.*\b(?:newsletter|podcast|channel|updates|inbox)\b
      | (?:get|receive)\ (?:our|the)\b.*\b(?:newsletter|emails?|podcast|app)\b
      | (?:additional\ )?(?:reporting|writing|editing)\ by\b
      | our\ standards:
      | follow\ (?:us|our)\b.*\b(?:on|at)\b
      | (?:support|donate\ to)\ (?:our|independent|us)\b
      | the\ post\ .+\ appeared\ first\ on\b
      | this\ (?:article|story)\ (?:was|is|first\ appeared|originally)\b.*\b(?:published|appeared)\b
      | please\ (?:turn\ on|enable)\ javascript\b
      | (?:у|в)\ (?:цьому|нашому|новому)\ (?:відео|випуску|подкасті|сюжеті)\b
      | дивіться\ (?:відео|сюжет)\b
      | (?:підписуйтеся|підписуйтесь|підпишіться|стежте\ за\ нами|слідкуйте\ за\ нами
          |підтримайте\ (?:нас|редакцію|незалежн)|долучайтеся\ до|приєднуйтеся\ до)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Lines that are not prose: image captions with a credit, bylines, bare photo credits. They
# are dropped as whole lines, before the text is split into sentences, because a caption
# ("Rescuers search the rubble in Dnipro. Photo: Reuters") holds a sentence of its own.
_NOT_PROSE_LINE_MAX_WORDS: Final = 40
_NOT_PROSE_LINE_RE: Final = re.compile(
    r"""(?:
        ^(?:by|від|автор(?:ка|и)?|текст|фото|photo(?:graph)?s?|image|picture|credit|
            illustration|ілюстрація|джерело\ фото|video|відео)\s*[:|—–]
      | \b(?:photo(?:graph)?|фото|image|credit)\s*:\s*\S
      | (?:getty\ images|via\ getty|shutterstock|afp\ photo|ap\ photo|/\s*(?:afp|ap|epa|reuters|
            efe|anadolu|ukrinform|укрінформ|уніан)\b)
      | ^(?:ілюстративне|архівне)\ фото\b
      | ^фото\ (?:з\ відкритих\ джерел|ілюстративне|:\ )
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# A byline: "By Jane Doe", "By Jane Doe and John Roe in Kyiv". Case-sensitive, so that
# "By then it was over." stays prose.
_BYLINE_RE: Final = re.compile(r"^(?:By|BY)\s+(?:[A-Z][\w'’.-]*\s+){0,3}[A-Z][\w'’.-]*"
                               r"(?:\s*(?:,|\band\b|&|\bin\b).*)?$")
_BYLINE_MAX_WORDS: Final = 12

# Words that make a sentence lean on the one before it ("But since then, …", "It calls on
# …"). Such a sentence never opens a summary, and appears in one only after its predecessor.
# Keys are sumy language names; the words are matched lower-cased, as the sentence's first
# one to four words.
_DANGLING_STARTS: Final[dict[str, frozenset[str]]] = {
    "english": frozenset({
        "and", "but", "or", "nor", "so", "yet", "however", "also", "moreover", "furthermore",
        "meanwhile", "still", "instead", "nevertheless", "nonetheless", "therefore", "thus",
        "hence", "besides", "otherwise", "then", "indeed", "likewise", "similarly",
        "consequently", "accordingly", "additionally", "it", "its", "it's", "this", "that",
        "these", "those", "they", "them", "their", "he", "she", "his", "her", "such", "both",
        "in addition", "as a result", "on the other hand", "at the same time", "that said",
        "even so", "the latter", "the former", "by contrast", "in contrast", "for his part",
        "for her part", "for their part", "in turn",
    }),
    "ukrainian": frozenset({
        "але", "однак", "проте", "втім", "та", "і", "й", "а", "також", "тому", "отже", "тож",
        "натомість", "водночас", "зокрема", "це", "цей", "ця", "ці", "цього", "цим", "цієї",
        "цих", "він", "вона", "воно", "вони", "його", "її", "їх", "їхній", "їхня", "їхні",
        "такий", "така", "таке", "такі", "там", "тоді", "крім того", "до того ж", "при цьому",
        "у свою чергу", "з іншого боку", "в той же час", "у той же час",
    }),
    "russian": frozenset({
        "но", "однако", "и", "а", "также", "это", "он", "она", "оно", "они", "его", "её",
        "ее", "их", "поэтому", "тем не менее", "кроме того", "при этом",
    }),
}
# "This week …", "Цього року …": a demonstrative before a time word points at the calendar, not
# at the previous sentence.
_TIME_WORDS: Final = frozenset({
    "week", "weekend", "year", "month", "morning", "afternoon", "evening", "spring", "summer",
    "autumn", "fall", "winter", "time", "season", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "тижня", "року", "місяця", "ранку", "вечора", "разу",
    "весни", "осені", "зими", "літа", "тиждень", "рік", "місяць", "ранок", "вечір", "весна",
    "осінь", "зима", "літо", "неділі", "понеділка", "вівторка", "середи", "четверга",
    "пʼятниці", "п'ятниці", "суботи",
})
_DEMONSTRATIVES: Final = frozenset({"this", "that", "these", "цього", "цієї", "цей", "ця", "це"})

OPENING_MARKS: Final = "\"'“‘«„([—–- "


def is_boilerplate(sentence: str, word_count: int) -> bool:
    """Navigation or promotion, not content (see _BOILERPLATE_RE and _PROMOTION_RE)."""
    if _PROMOTION_RE.match(sentence) is not None:
        return True
    return word_count <= _BOILERPLATE_MAX_WORDS and _BOILERPLATE_RE.match(sentence) is not None


def _is_not_prose_line(line: str) -> bool:
    """A caption with a credit, a byline or a bare credit line (see _NOT_PROSE_LINE_RE)."""
    words = len(line.split())
    if words <= _BYLINE_MAX_WORDS and _BYLINE_RE.match(line) is not None:
        return True
    return words <= _NOT_PROSE_LINE_MAX_WORDS and _NOT_PROSE_LINE_RE.search(line) is not None


def prose_lines(text: str) -> str:
    """``text`` without the lines that are captions, credits or bylines."""
    return "\n".join(line for line in text.splitlines() if not _is_not_prose_line(line.strip()))


def starts_dangling(sentence: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Whether ``sentence`` opens with a word that leans on the sentence before it.

    "But since then, …", "It calls on …", "However, …", "Але …", "Це рішення …" do;
    "This week the talks resumed." and "Цього року …" do not (a time word follows).
    ``language`` is an ISO code or sumy language name; English words count in every language,
    as news in any language quotes English.
    """
    words = [w.lower() for w in WORD_RE.findall(sentence.lstrip(OPENING_MARKS)[:80])]
    if not words:
        return False
    words = [w.translate(APOSTROPHES) for w in words]
    starts = _DANGLING_STARTS.get(normalize_language(language), frozenset())
    starts = starts | _DANGLING_STARTS["english"]
    if words[0] in _DEMONSTRATIVES and len(words) > 1 and words[1] in _TIME_WORDS:
        return False
    return any(" ".join(words[:count]) in starts for count in range(1, 5))
