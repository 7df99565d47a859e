#!/usr/bin/python3
"""Tagged Russian news-style sentences built from @faker-js/faker's name, place and company lists.

Input: the JSON written by ``faker_ru.mjs`` (persons with sex/first/middle/last, cities, countries,
regions, companies). Output: ``ner_data.Sentence`` objects (and optionally CoNLL / plain text), so
the augmentation goes through exactly the same tokenization and labeling as factRuEval.

Russian inflects names, and factRuEval's entities are mostly in oblique cases ("Юрия Лужкова",
"в Москве"), so the fillers are declined by a small rule set (first names, patronymics, -ов/-ин/-ский
surnames, cities and countries by their ending, "... область / край / Республика ..." regions).
A name that the rules cannot decline safely is not used in an oblique case (another one is drawn),
so the sentences stay grammatical rather than merely tagged. Annotation follows factRuEval: quotes
around a company name are outside the entity, a legal form before it ("ОАО « X") is inside, job
titles ("глава", "губернатор") are outside.

Usage: ner_augment.py FAKER_JSON --count 500 [--seed 13] [--conll out.conll] [--text out.txt]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ner_data import Sentence, Word, to_conll  # noqa: E402

CASES = ("nom", "gen", "dat", "acc", "ins", "prep")
HUSHING = set("жшчщц")
VELAR_OR_HUSHING = set("гкхжшчщ")
VOWELS = set("аеёиоуыэюя")

# ----------------------------------------------------------------------------------------------
# Declension (returns None when the rules do not cover the word)
# ----------------------------------------------------------------------------------------------


def _fem_a(word: str, case: str) -> str | None:
    """Nouns in -а / -я / -ия (Марина, Илья, Мария, Москва)."""
    if word.endswith("ия"):
        stem = word[:-2]
        return {"nom": word, "gen": stem + "ии", "dat": stem + "ии", "acc": stem + "ию", "ins": stem + "ией", "prep": stem + "ии"}[case]
    if word.endswith("я"):
        stem = word[:-1]
        return {"nom": word, "gen": stem + "и", "dat": stem + "е", "acc": stem + "ю", "ins": stem + "ей", "prep": stem + "е"}[case]
    if word.endswith("а"):
        stem = word[:-1]
        gen = stem + ("и" if stem[-1:] in VELAR_OR_HUSHING else "ы")
        ins = stem + ("ей" if stem[-1:] in HUSHING else "ой")
        return {"nom": word, "gen": gen, "dat": stem + "е", "acc": stem + "у", "ins": ins, "prep": stem + "е"}[case]
    return None


def _masc_consonant(word: str, case: str, animate: bool) -> str | None:
    """Masculine nouns: hard consonant, -й, -ий, -ь (Иван, Андрей, Василий, Игорь, Барнаул)."""
    last = word[-1:]
    if word.endswith("ий"):
        stem = word[:-1]
        forms = {"gen": stem + "я", "dat": stem + "ю", "ins": stem + "ем", "prep": stem + "и"}
    elif last in ("й", "ь"):
        stem = word[:-1]
        forms = {"gen": stem + "я", "dat": stem + "ю", "ins": stem + "ем", "prep": stem + "е"}
    elif last.isalpha() and last not in VOWELS:
        forms = {"gen": word + "а", "dat": word + "у", "ins": word + ("ем" if last in HUSHING else "ом"), "prep": word + "е"}
    else:
        return None
    forms["nom"] = word
    forms["acc"] = forms["gen"] if animate else word
    return forms[case]


def first_name(name: str, sex: str, case: str) -> str | None:
    if case == "nom":
        return name
    if name[-1:] in ("а", "я"):
        return _fem_a(name, case)
    if sex == "female":
        return None  # Любовь, Нинель, ...: leave them to nominative slots
    return _masc_consonant(name, case, animate=True)


def middle_name(name: str, sex: str, case: str) -> str | None:
    if case == "nom":
        return name
    if sex == "male" and name.endswith("ич"):
        return _masc_consonant(name, case, animate=True)
    if sex == "female" and name.endswith("на"):
        return _fem_a(name, case)
    return None


def last_name(name: str, sex: str, case: str) -> str | None:
    if case == "nom":
        return name
    if sex == "male":
        if re.search(r"(ов|ев|ёв|ин|ын)$", name):
            return {"gen": name + "а", "dat": name + "у", "acc": name + "а", "ins": name + "ым", "prep": name + "е"}[case]
        if re.search(r"(ский|цкий)$", name):
            stem = name[:-2]
            return {"gen": stem + "ого", "dat": stem + "ому", "acc": stem + "ого", "ins": stem + "им", "prep": stem + "ом"}[case]
        if re.search(r"(ой|ый)$", name):
            stem = name[:-2]
            return {"gen": stem + "ого", "dat": stem + "ому", "acc": stem + "ого", "ins": stem + "ым", "prep": stem + "ом"}[case]
        return None
    if re.search(r"(ова|ева|ёва|ина|ына)$", name):
        stem = name[:-1]
        return {"gen": stem + "ой", "dat": stem + "ой", "acc": stem + "у", "ins": stem + "ой", "prep": stem + "ой"}[case]
    if re.search(r"(ская|цкая|ая)$", name):
        stem = name[:-2]
        return {"gen": stem + "ой", "dat": stem + "ой", "acc": stem + "ую", "ins": stem + "ой", "prep": stem + "ой"}[case]
    return None


def place(name: str, case: str) -> str | None:
    """One-word city or country names by their ending; None where a fleeting vowel or a plural
    (Египет -> Египта, Химки) would make the rule wrong."""
    if case == "nom":
        return name
    if " " in name or "-" in name or not name[-1:].isalpha():
        return None
    if re.search(r"(ая|яя|ий|ый|ой|ое|ее)$", name):
        return None  # adjectival names (Павловская, Кировский) decline as adjectives
    if name[-1:] in ("а", "я"):
        return _fem_a(name, case)
    if re.search(r"(ет|ец|ок|ек|ь|ы|и|о|е|у|ю|э)$", name):
        return None
    return _masc_consonant(name, case, animate=False)


ADJ_FEM = {"gen": "ой", "dat": "ой", "acc": "ую", "ins": "ой", "prep": "ой"}
ADJ_MASC = {"gen": "ого", "dat": "ому", "acc": None, "ins": "им", "prep": "ом"}


def region(name: str, case: str) -> str | None:
    """"Томская область", "Камчатский край", "Республика Алтай", "Чувашская Республика"."""
    if case == "nom":
        return name
    words = name.split()
    if len(words) == 2 and words[1] == "область" and words[0].endswith("ая"):
        tail = {"gen": "области", "dat": "области", "acc": "область", "ins": "областью", "prep": "области"}[case]
        return f"{words[0][:-2]}{ADJ_FEM[case]} {tail}"
    if len(words) == 2 and words[1] == "Республика" and words[0].endswith("ая"):
        return f"{words[0][:-2]}{ADJ_FEM[case]} {_fem_a('Республика', case)}"
    if len(words) == 2 and words[1] == "край" and words[0].endswith("ий"):
        if case == "acc":
            return name
        tail = {"gen": "края", "dat": "краю", "ins": "краем", "prep": "крае"}[case]
        adj = words[0][:-2] + ("им" if case == "ins" else ADJ_MASC[case])
        return f"{adj} {tail}"
    if len(words) >= 2 and words[0] == "Республика":
        return " ".join([_fem_a("Республика", case), *words[1:]])
    return None


# ----------------------------------------------------------------------------------------------
# Templates
# ----------------------------------------------------------------------------------------------

# Slots: {P1.fl:gen} first+last, {P1.last:dat}, {P1.fml:nom} first+middle+last, {P1.fm:ins} first+middle,
# {P1.ini} initial + surname (nominative), {CITY:prep}, {COUNTRY:gen}, {REGION:prep}, {ORG} legal form +
# quoted name, {BRAND} quoted name only. {g:заявил|заявила} agrees with P1's sex.
TEMPLATES = [
    "{P1.fl:nom} {g:заявил|заявила} журналистам , что {BRAND} не будет участвовать в тендере .",
    "По словам {P1.fl:gen} , ситуация в {CITY:prep} остается сложной .",
    "Глава {ORG} {P1.fl:nom} {g:провел|провела} встречу с губернатором {REGION:gen} {P2.fl:ins} .",
    "В {CITY:prep} прошла встреча {P1.last:gen} и {P2.last:gen} .",
    "{COUNTRY:nom} и {COUNTRY:nom} подписали соглашение о сотрудничестве .",
    "Об этом {g:сообщил|сообщила} пресс-секретарь {ORG} {P1.fml:nom} .",
    "{P1.fl:nom} {g:родился|родилась} в {CITY:prep} в 1975 году .",
    "Представители {ORG} открыли новый офис в {CITY:prep} .",
    "Акции {ORG} за неделю выросли на 5 % .",
    "{P1.fl:nom} , генеральный директор {ORG} , {g:отказался|отказалась} от комментариев .",
    "Делегация {COUNTRY:gen} прибыла в {CITY:acc} во вторник .",
    "Губернатор {REGION:gen} {P1.fl:nom} {g:посетил|посетила} {CITY:acc} .",
    "Премьер-министр {COUNTRY:gen} {P1.fl:nom} {g:прибыл|прибыла} с визитом в {COUNTRY:acc} .",
    "Суд {CITY:gen} приговорил {P1.fl:acc} к трем годам условно .",
    "« Мы не планируем сокращений » , – {g:сказал|сказала} {P1.fl:nom} .",
    "{P1.ini} , {CITY:nom}",
    "Как {g:рассказал|рассказала} {P1.fml:nom} , переговоры с {BRAND} продолжатся .",
    "Контракт с {ORG} подписан на пять лет .",
    "{P1.fm:nom} , вы {g:согласились|согласились} бы переехать в {CITY:acc} ?",
    "В {REGION:prep} открылся филиал {ORG} .",
    "Встреча {P1.last:gen} с президентом {COUNTRY:gen} состоится в пятницу .",
    "Жители {CITY:gen} выступили против строительства завода .",
    "Благодаря {P1.fl:dat} проект удалось завершить в срок .",
    "С {P1.fl:ins} мы познакомились в {CITY:prep} .",
    "Министр иностранных дел {COUNTRY:gen} {P1.fl:nom} {g:отметил|отметила} , что власти {COUNTRY:gen} заинтересованы в инвестициях .",
    "{BRAND} объявила о слиянии с {ORG} .",
    "Экспорт из {COUNTRY:gen} в {COUNTRY:acc} вырос вдвое .",
    "Напомним , что ранее {P1.last:nom} {g:возглавлял|возглавляла} {ORG} .",
    "Мэр {CITY:gen} {P1.fl:nom} {g:поздравил|поздравила} ветеранов .",
    "Письмо {P1.fl:dat} подписали более ста жителей {REGION:gen} .",
    "{P1.last:nom} и {P2.last:nom} встретились в {CITY:prep} .",
    "Сотрудники {ORG} из {CITY:gen} провели забастовку .",
]

SLOT = re.compile(r"\{([^{}]+)\}")
TOKEN = re.compile(r"\w+(?:[-.]\w+)*\.?|[^\w\s]", re.UNICODE)


def _tokens(text: str) -> list[str]:
    """factRuEval-like tokens: hyphenated words stay whole, punctuation apart."""
    return TOKEN.findall(text)


def _drop_parenthetical(name: str) -> str:
    """"Красногорск (Моск.)" -> "Красногорск", "Гваделупа (не признана)" -> "Гваделупа"."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip()


class Filler:
    def __init__(self, data: dict, rng: random.Random):
        self.rng = rng
        self.persons = data["persons"]
        self.cities = sorted({_drop_parenthetical(c) for c in data["cities"]})
        self.countries = sorted({_drop_parenthetical(c) for c in data["countries"]})
        self.regions = sorted({r for r in data["regions"] if not r.startswith("г.")})
        self.companies = sorted({_drop_parenthetical(c) for c in data["companies"]})

    def _draw(self, pool, make, tries: int = 50):
        for _ in range(tries):
            out = make(self.rng.choice(pool))
            if out is not None:
                return out
        raise RuntimeError("no declinable filler found")

    def person(self, p: dict, form: str, case: str) -> tuple[list[str], str] | None:
        sex = p["sex"]
        if form == "ini":
            return [p["first"][0] + ".", p["last"]], "PER"
        parts = {
            "fl": [first_name(p["first"], sex, case), last_name(p["last"], sex, case)],
            "last": [last_name(p["last"], sex, case)],
            "fml": [first_name(p["first"], sex, case), middle_name(p["middle"], sex, case), last_name(p["last"], sex, case)],
            "fm": [first_name(p["first"], sex, case), middle_name(p["middle"], sex, case)],
        }[form]
        if any(x is None for x in parts):
            return None
        return _tokens(" ".join(parts)), "PER"

    def slot(self, name: str, people: dict) -> tuple[list[str], str | None]:
        """Words and label of one slot (label None for plain words)."""
        key, _, case = name.partition(":")
        if key.startswith("P"):
            pid, form = key.split(".")
            if pid not in people:
                people[pid] = self._draw(self.persons, lambda p: p if self.person(p, form, case or "nom") else None)
            out = self.person(people[pid], form, case or "nom")
            if out is None:  # the same person in another case: undeclinable there
                raise LookupError(name)
            return out
        if key == "CITY":
            return self._draw(self.cities, lambda c: _tokens(place(c, case) or "") or None), "LOC"
        if key == "COUNTRY":
            return self._draw(self.countries, lambda c: _tokens(place(c, case) or "") or None), "LOC"
        if key == "REGION":
            return self._draw(self.regions, lambda r: _tokens(region(r, case) or "") or None), "LOC"
        if key in ("ORG", "BRAND"):
            company = self.rng.choice(self.companies)
            form, _, brand = company.partition(" ")
            if key == "BRAND" or not brand:
                return ["«", *_tokens(brand or form), "»"], "ORG-QUOTED"
            return [form, "«", *_tokens(brand), "»"], "ORG-FORM"
        raise KeyError(name)

    def sentence(self, template: str) -> tuple[list[str], list[str]]:
        people: dict = {}
        # Draw the slots first: a verb may agree with a person named after it.
        slots = {m.start(): self.slot(m.group(1), people) for m in SLOT.finditer(template) if not m.group(1).startswith("g:")}
        words: list[str] = []
        tags: list[str] = []
        pos = 0
        for m in SLOT.finditer(template):
            for w in _tokens(template[pos : m.start()]):
                words.append(w)
                tags.append("O")
            pos = m.end()
            body = m.group(1)
            if body.startswith("g:"):
                male, female = body[2:].split("|")
                sex = people.get("P1", {}).get("sex", "male")
                words.append(male if sex == "male" else female)
                tags.append("O")
                continue
            slot_words, label = slots[m.start()]
            if label == "ORG-QUOTED":  # « X » : the quotes stay outside the entity
                inner = slot_words[1:-1]
                words += slot_words
                tags += ["O"] + ["B-ORG"] + ["I-ORG"] * (len(inner) - 1) + ["O"]
            elif label == "ORG-FORM":  # ОАО « X » : entity up to the closing quote
                words += slot_words
                tags += ["B-ORG"] + ["I-ORG"] * (len(slot_words) - 2) + ["O"]
            else:
                words += slot_words
                tags += ["B-" + label] + ["I-" + label] * (len(slot_words) - 1)
        for w in _tokens(template[pos:]):
            words.append(w)
            tags.append("O")
        return words, tags


def generate(data: dict, count: int, seed: int = 13) -> list[Sentence]:
    rng = random.Random(seed)
    filler = Filler(data, rng)
    out: list[Sentence] = []
    while len(out) < count:
        template = TEMPLATES[len(out) % len(TEMPLATES)]
        try:
            words, tags = filler.sentence(template)
        except LookupError:
            continue
        text = " ".join(words)
        offsets, at = [], 0
        for w in words:
            offsets.append(Word(w, at, at + len(w)))
            at += len(w) + 1
        out.append(Sentence(f"augment-{len(out)}", offsets, tags, text, 0))
    return out


def load_faker(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("faker_json")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--conll")
    ap.add_argument("--text", help="plain text, one sentence a line (input for build_wordpiece_vocab.py --extra)")
    args = ap.parse_args()
    sentences = generate(load_faker(args.faker_json), args.count, args.seed)
    if args.conll:
        with open(args.conll, "w", encoding="utf-8", newline="\n") as f:
            f.write(to_conll(sentences))
    if args.text:
        with open(args.text, "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(s.text + "\n" for s in sentences))
    if not args.conll and not args.text:
        for s in sentences[: len(TEMPLATES)]:
            print(" ".join(w.text + ("/" + t if t != "O" else "") for w, t in zip(s.words, s.tags)))


if __name__ == "__main__":
    main()
