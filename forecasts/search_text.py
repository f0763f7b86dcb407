"""How text becomes searchable words: one definition for Python, SQLite and PostgreSQL.

SQLite's FTS5 ``unicode61 remove_diacritics 2`` tokenizer is the reference:
a word is a run of letters and digits; case is folded (``Σ``, ``σ`` and ``ς``
are one letter) and diacritics are removed from Latin letters only (``é`` is
``e``; Cyrillic ``й`` stays ``й``). :func:`words` does the same in Python, and
:data:`CASE_FOLDS` / :data:`DIACRITIC_FOLDS` are what the PostgreSQL functions
in the search migration translate with, so the three agree (a property test
checks it). Scripts written without spaces (Chinese, Japanese, Thai…) have no
words to split on, so a term in them matches as a substring instead
(:func:`is_substring_term`), as SQLite's ``trigram`` tokenizer does.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

WORD = re.compile(r"[^\W_]+")  # a run of letters and digits: one word, as FTS5's unicode61 sees it

# Code point ranges whose letters have a case or a diacritic worth folding.
_FOLDED_RANGES = ((0x00C0, 0x024F), (0x0370, 0x03FF), (0x0400, 0x052F), (0x1E00, 0x1FFF))

# Written without spaces between words: CJK ideographs, kana, Thai, Lao, Khmer, Myanmar.
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0x3040, 0x30FF),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),
    (0x20000, 0x2FFFF),
)


def _case_fold(char: str) -> str:
    folded = char.casefold()
    return folded if len(folded) == 1 else char.lower()


def _strip_latin_diacritic(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char)
    marks = decomposed[1:]
    if decomposed[0] < "\x80" and marks and all(unicodedata.category(m) == "Mn" for m in marks):
        return decomposed[0]
    return char


@cache
def _tables() -> tuple[dict[int, str], dict[int, str]]:
    """(case folds after ``lower()``, diacritic folds after those), as ``str.translate`` tables."""
    case: dict[int, str] = {}
    diacritics: dict[int, str] = {}
    for start, end in _FOLDED_RANGES:
        for code in range(start, end + 1):
            lowered = chr(code).lower()
            if len(lowered) != 1:
                continue
            folded = _case_fold(lowered)
            if folded != lowered:
                case[ord(lowered)] = folded
            bare = _strip_latin_diacritic(folded)
            if bare != folded:
                diacritics[ord(folded)] = bare
    return case, diacritics


# Python and ICU lower "İ" to "i" plus a combining dot, which would split the word; SQLite folds it to "i".
DOTTED_CAPITAL_I = ("İ", "i")


def fold_case(text: str) -> str:
    """Case folded as SQLite folds it (what substring terms compare)."""
    return text.replace(*DOTTED_CAPITAL_I).lower().translate(_tables()[0])


def fold(text: str) -> str:
    """Case folded and Latin diacritics removed (what word terms compare)."""
    return fold_case(text).translate(_tables()[1])


def words(text: str) -> list[str]:
    """The words of ``text`` as the search index sees them."""
    return WORD.findall(fold(text))


def is_substring_term(text: str) -> bool:
    """True when ``text`` has characters of a script written without spaces."""
    return any(start <= ord(char) <= end for char in text for start, end in _UNSPACED_RANGES)


def fold_pairs(table: dict[int, str]) -> tuple[str, str]:
    """A translate table as the two strings SQL's ``translate(text, from, to)`` takes."""
    keys = sorted(table)
    return "".join(chr(k) for k in keys), "".join(table[k] for k in keys)


def case_folds() -> tuple[str, str]:
    return fold_pairs(_tables()[0])


def diacritic_folds() -> tuple[str, str]:
    return fold_pairs(_tables()[1])
