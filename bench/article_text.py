"""Searchable text for benchmark articles: titles, summaries and bodies drawn from a vocabulary.

A story is about a few subjects: each article draws ``SUBJECTS`` of its language's common
words (rank r weighted 1 / (r + 5), so the first few are in about half the articles of that
language and the last in about 2 %) and writes its title, summary and body from them and from
function words ("the", "of", "і", "на"…, about 40 % of the words). Now and then a sentence
gets one rare word instead, so that each rare word is in a few dozen articles. The text is not
grammatical; what matters to a search index is which words occur, how often, and how long the
documents are. Words hold no apostrophes (both indexes split at them). The misspelling
``goverment`` is in neither list: a query holding it matches no article until any of its
words will do.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

_ENGLISH_COMMON = """
    government energy prices war minister election city water market budget court police
    climate school health report inflation president talks power country people year week
    plan law council trade bank rate price workers strike vote parliament party leader
    military army ceasefire border refugees aid grid electricity gas oil fuel winter heating
    hospital doctors patients vaccine virus research scientists study data university students
    teachers housing rent mortgage transport rail train bus airport flights road traffic
    weather storm flood drought fire heat temperature emissions carbon coal solar wind nuclear
    reactor factory jobs wages unemployment economy growth recession debt taxes spending
    pension reform ministry agency regulator company shares investors profits exports imports
    sanctions tariffs negotiations agreement deal summit treaty security attack drones missiles
    defence troops soldiers front village region province capital mayor residents protest
    rights justice prison judge lawyers trial verdict investigation corruption scandal
    inquiry media journalists newspaper broadcast internet phone technology software security
    hackers privacy football match season team championship culture museum festival film
    music books history science space satellite launch
"""

_ENGLISH_FUNCTION = """
    the of and to in a is that for on with as was at by from has have it are be this said
    after will not more than over about new
"""

_ENGLISH_RARE = """
    hydrofoil aqueduct sinkhole monsoon glacier avalanche tsunami wildfire smelter refinery
    turbine pipeline substation transformer blackout rationing hyperinflation devaluation
    bankruptcy insolvency moratorium referendum impeachment filibuster coalition abdication
    extradition amnesty tribunal ombudsman whistleblower espionage sabotage blockade embargo
    armistice demilitarised minefield shelling evacuation quarantine epidemic cholera measles
    antibiotic transplant archaeologists manuscript cathedral monastery observatory telescope
    asteroid comet eclipse meteorite volcano earthquake aftershock landslide permafrost
"""

_UKRAINIAN_COMMON = """
    уряд енергетика ціни війна міністр вибори місто вода ринок бюджет суд поліція клімат
    школа медицина звіт інфляція президент переговори влада країна люди рік тиждень план
    закон рада торгівля банк ставка працівники страйк голосування парламент партія лідер
    армія припинення кордон біженці допомога мережа електроенергія газ нафта пальне зима
    опалення лікарня лікарі пацієнти вакцина вірус дослідження науковці дані університет
    студенти вчителі житло оренда іпотека транспорт залізниця потяг автобус аеропорт рейси
    дорога погода буря повінь посуха пожежа спека температура викиди вугілля сонячна вітрова
    атомна реактор завод робота зарплати безробіття економіка зростання рецесія борг податки
    видатки пенсія реформа міністерство агентство регулятор компанія акції інвестори прибуток
    експорт імпорт санкції мита угода саміт договір безпека атака дрони ракети оборона війська
    солдати фронт село область столиця мер мешканці протест права правосуддя тюрма суддя
    адвокати процес вирок розслідування корупція скандал медіа журналісти газета інтернет
    телефон технології енергосистема підстанція генерація відключення графік
"""

_UKRAINIAN_FUNCTION = """
    і в на з що до не за як це від про та у але після його було буде ще більше
"""

_UKRAINIAN_RARE = """
    гідроелектростанція акведук карст мусон льодовик лавина цунамі суховій металургія
    нафтопереробка турбіна трубопровід трансформатор знеструмлення дефолт девальвація
    банкрутство мораторій референдум імпічмент коаліція екстрадиція амністія трибунал
    омбудсман викривач шпигунство диверсія блокада ембарго демаркація розмінування обстріли
    евакуація карантин епідемія холера кір антибіотики трансплантація археологи рукопис
    собор монастир обсерваторія телескоп астероїд комета затемнення метеорит вулкан
    землетрус зсув
"""


@dataclass(frozen=True)
class Vocabulary:
    """The words of one language: common ones weighted by rank, function words, rare ones."""

    common: tuple[str, ...]
    cumulative: tuple[float, ...]
    function: tuple[str, ...]
    rare: tuple[str, ...]
    rare_share: float  # chance that a sentence gets one rare word

    @classmethod
    def of(cls, common: str, function: str, rare: str, rare_share: float) -> Vocabulary:
        words = tuple(dict.fromkeys(common.split()))  # in rank order, duplicates dropped
        weights = itertools.accumulate(1 / (rank + 5) for rank in range(len(words)))
        return cls(words, tuple(weights), tuple(function.split()),
                   tuple(dict.fromkeys(rare.split())), rare_share)

    def subjects(self, rng: random.Random) -> list[str]:
        """The common words one article is written from."""
        return rng.choices(self.common, cum_weights=self.cumulative, k=SUBJECTS)

    def sentence(self, rng: random.Random, subjects: list[str], count: int) -> str:
        """``count`` words: subjects and function words, now and then one rare word."""
        words = [rng.choice(self.function) if rng.random() < 0.4 else rng.choice(subjects)
                 for _ in range(count)]
        if rng.random() < self.rare_share:
            words[rng.randrange(count)] = rng.choice(self.rare)
        return " ".join(words).capitalize()


SUBJECTS = 12
TITLE_WORDS = 8
SUMMARY_SENTENCES = 3
SENTENCE_WORDS = 12
BODY_SENTENCES = 12

# English stories are 9 in 10 of the articles, Ukrainian versions 1 in 10: the rare-word
# chances give each rare word a few dozen articles in either language at 100,000 articles.
ENGLISH = Vocabulary.of(_ENGLISH_COMMON, _ENGLISH_FUNCTION, _ENGLISH_RARE, rare_share=0.002)
UKRAINIAN = Vocabulary.of(_UKRAINIAN_COMMON, _UKRAINIAN_FUNCTION, _UKRAINIAN_RARE,
                          rare_share=0.012)


@dataclass(frozen=True)
class ArticleText:
    """The searchable fields of one article."""

    title: str
    summary: str
    body: str


def article_text(rng: random.Random, vocabulary: Vocabulary) -> ArticleText:
    """A title, a summary of a few sentences and a body of about 150 words."""
    subjects = vocabulary.subjects(rng)
    title = vocabulary.sentence(rng, subjects, TITLE_WORDS)
    summary = " ".join(vocabulary.sentence(rng, subjects, SENTENCE_WORDS) + "."
                       for _ in range(SUMMARY_SENTENCES))
    body = " ".join(vocabulary.sentence(rng, subjects, SENTENCE_WORDS) + "."
                    for _ in range(BODY_SENTENCES))
    return ArticleText(title, summary, body)
