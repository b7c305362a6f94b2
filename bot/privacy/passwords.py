"""Passwords in what members type (rule R1: the bot never takes, stores or forwards one).

`find_passwords` gives the span of every password in a message; `hide_passwords` puts
`MARKER` in their place. Two ways to tell a password, on whitespace-separated tokens:

1. After a cue. A word that announces a password ("password", "Passwort", "mot de passe",
   "contraseña", "pw"...) or says one was typed ("ho provato con", "I tried", "ich habe
   ... versucht", "j'ai essayé", "probé con"...) is followed, within a few words, by the
   token. Filler words in between are passed over ("la mia nuova password è", "my old
   password was", "mein Passwort lautet", "le mot de passe, c'est"); a short bridge too,
   when a verb follows ("la password del mio account è ..."). The first other token
   decides: after a password noun a weak password counts ("gatto123", "hunter2", a
   quoted word, a number after "è" or ":"); after "I tried" it needs letters and digits
   or a symbol and must not be a model, a serial or a date ("I tried the RF24-70mm").
   An ordinary word ends the search: "ho dimenticato la password", "password: reset",
   "the password link expired", "mein Passwort ist falsch".

2. On its own. A token of 8-64 characters mixing three of lower case, upper case, digits
   and symbols ("2024Summer!", "R2d2Pass!x", "Xk9$mq2LzQ") is a password unless it has a
   shape members use for other things: an e-mail, a link, a hashtag or mention, a file
   name, words glued by punctuation with no digit ("Grazie!Perfetto", "Foto&Video"), or
   chunks that each hold at most two kinds joined by - / . ' _ ("Rheinland-Pfalz",
   "dell'EOS-R5", "Cps-2026-000123", "12-Mar-2024"). A chunk with all three kinds passes
   only as a reference: a camera or lens model ("RF24-105mmF4L", "R5mkII", "5DMarkIV"), a
   product and version ("Windows11", "Lightroom6"), a date ("12Mar2024"), a price
   ("1.299,00Euro") or a label and number ("Serial#4521009876"). - / . , ' _ : ; ° join
   chunks; ! # $ % & * + = ? @ and the like are a password's symbols; an emoji is neither
   ("Perfetto👍👍"), and a ! or ? at the end counts only after letters and digits.

A span is the token without surrounding quotes, brackets and markdown (* _ ~) and without a
trailing . , ; : (a trailing ! or ? stays: it may be the password's last character). A
marker already in the text is never read as a password.

It runs on every message, so everything is precompiled and linear, with no nested
quantifier that can backtrack: the cues are one regular expression searched in the
lower-cased text (it jumps from word start to word start), the words after a cue are read
a few at a time, and only tokens of 8+ characters are looked at on their own.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import NamedTuple

__all__ = ["MARKER", "find_passwords", "hide_passwords", "looks_like_password"]

MARKER = "[password removed]"

MIN_LENGTH, MAX_LENGTH = 8, 64  # a password on its own
CUED_MIN_LENGTH = 4  # after "password": "la password è 1234"
TRIED_MIN_LENGTH = 6  # after "I tried": "ho provato con juve97"
WINDOW = 7  # tokens looked at after a cue
CONFIRM_WINDOW = 3  # "ich habe es mit X [als Passwort] versucht"

# -- characters ------------------------------------------------------------------------------
QUOTES = "\"'“”‘’«»„‚‹›`"
EMPHASIS = "*_~"  # markdown at a word's edges: "*bold*", "**Gatto#2024**", "_Emma_"
OPENING = QUOTES + "([{<¿¡"
CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
TRAILING = ".,;:…"  # sentence punctuation, never part of a span's end
MARKS = "!?"  # kept in a span, but not what makes a token a password
JOINERS = "-‐‑–—'’‘`./\\,:;_°º·"  # join the chunks of a word, a code, a date or a model
STRONG = re.compile(r"[!#$%&()*+<=>?@\[\]^{|}~€£¥§]")  # a password's symbols (not emoji)
DIGIT = re.compile(r"\d")
CHUNKS = re.compile("[" + re.escape(JOINERS) + "]+")
RUN = re.compile(r"\d+|[^\W\d_]+|[^\w\s]|_")  # digits, letters, one other character
CAMEL = re.compile(r"(?<=[a-zß-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ])")  # "mmF" -> "mm", "F"
INNER_CAPITAL = re.compile(r"[a-zß-öø-ÿ][A-ZÀ-ÖØ-Þ]")  # "GattoNero"
YEAR = re.compile(r"(?:19|20)\d\d")
TOKEN = re.compile(r"\S+")
LONG_TOKEN = re.compile(rf"\S{{{MIN_LENGTH},}}")  # from a token's start: shorter ones fail

# -- shapes that are not passwords ------------------------------------------------------------
_EMAIL = r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
_LINK = r"(?:[a-z][a-z0-9+.-]*://|www\.)\S*|(?:[\w-]+\.)+[a-z]{2,24}(?:[/:?#]\S*)?"
ADDRESS = re.compile(f"{_EMAIL}|{_LINK}", re.IGNORECASE)  # an e-mail or a link
FILE = re.compile(
    r"[^\s/\\]+\.(?:jpe?g|png|gif|heic|heif|tiff?|cr[23w]|dng|raw|arw|nef|pdf|mp4|mov|avi"
    r"|zip|rar|txt|docx?|xlsx?|csv|log|xml|json)",
    re.IGNORECASE,
)  # "IMG_1234.jpg"
TAG = re.compile(
    r"[#@][^\W_][\w.]*(?:\|[^\s|]*)?"  # "#CanonEOSR5", "@mario.rossi82", Slack's "<@U0ANNA|anna>"
    r"|!\w+(?:\^\w+)?(?:\|\S*)?"  # Slack's "<!here>", "<!subteam^S1|@team>"
    r"|/\w+(?:@\w+)?"  # a bot command: "/start@CPSBot"
)
# Plain words glued by punctuation, no digit: a missing space ("Grazie!Perfetto").
GLUED_WORDS = re.compile(r"[¿¡]?[^\W\d_]+(?:(?:[&+.,;:/]|[!?¿¡]+)[^\W\d_]+)+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BRANDS = ("canon", "nikon", "sony", "fujifilm", "fuji", "leica", "sigma", "tamron", "lumix")
SERIES = _words(
    "ef efs efm rf rfs r rp m d g c sx xf xa xc xl tse mpe powershot powershotg powershotsx"
    " ixus z x xt xs xe xh xpro gfx a ilce sel fe af afs nikkor dc hf legria selphy pixma"
)
PRODUCTS = _words(
    "windows win android ios ipados macos osx iphone ipad ipadpro macbook macbookpro"
    " macbookair imac galaxy galaxys pixel lightroom photoshop firmware fw version versione"
    " versión ver bluetooth wifi usb usbc hdmi office chrome firefox safari edge opera"
    " eosutility eoswebcamutility dpp cameraconnect ubuntu linux speedlite speedlight sd sdxc"
    " sdhc microsd microsdxc cfexpress cfast sandisk lexar"
)
MODEL_WORDS = _words(
    "mm mk mkii mkiii mkiv mark ii iii iv v l is usm stm nano do macro pz vcm f x d n s c r"
    " ds ti hs pro plus max mini ultra lite se a e k t p g m w h z dx rp xs sx fs ltd wr lm"
    " ois vr oss gm art dc os hsm ex rt gb tb mb mp fps hz mah wh"
)
LABELS = _words(
    "s n sn serial seriale serie série seriennummer seriennr nr no nº num numero número"
    " numéro nummer id art artikel ord order ordine ordre commande pedido bestellung"
    " bestellnr inv invoice fattura ft fa fv facture factura rechnung re rif ref ticket case"
    " caso pratica fall dossier cps old new tel fax cod codice code código codigo prot rma"
    " pos cap plz matricola tessera socio member membership mitglied adhérent kunde kundennr"
    " client cliente customer"
)
DATE_WORDS = _words(
    "jan january gen gennaio januar janvier enero ene feb february febbraio februar février"
    " fév fev febrero mar march marzo märz maerz mars apr april aprile avril abril abr may"
    " maggio mag mai mayo jun june giugno giu juni juin junio jul july luglio lug juli"
    " juillet juil julio aug august agosto ago août aout sep sept september settembre set"
    " septembre septiembre oct october ottobre ott oktober okt octobre octubre nov november"
    " novembre noviembre dec december dicembre dic dezember dez décembre déc diciembre"
    " st nd rd th er am pm h uhr hrs"
)
CURRENCIES = _words("eur euro euros usd gbp chf sek nok dkk pln jpy dollar dollars pound pounds")
PER = _words("mese month monat mois mes anno year jahr an año mo yr pz stück cad each")  # "€/mese"
CURRENCY_SIGNS = frozenset("€$£¥")
ID_MARKS = frozenset("-/.#°º:")
MODEL_MARKS = frozenset("-/.,_")
DATE_MARKS = frozenset("-/.,:")

# -- cues -------------------------------------------------------------------------------------
# Each kind is a list of alternatives, each starting with a letter. Subjects ("ho", "I",
# "ich", "j'ai", "he") are left out: only what follows the cue counts.
CUES: dict[str, tuple[str, ...]] = {
    # a word for the password itself: a weak password counts after it
    "noun": (
        r"password",
        r"passwd",
        r"passcode",
        r"pword",
        r"pwd",
        r"psw",
        r"pw",
        r"passwort",
        r"kennwort",
        r"mdp",
        r"mot\s+de\s+passe",
        r"mot-de-passe",
        r"mot\s+de\s+pass",
        r"contraseña",
        r"contrasena",
        r"clave\s+de\s+acceso",
        r"parola\s+d['’]ordine",
        r"chiave\s+d['’]accesso",
        r"pass(?=\s*[:=])",  # "pass: greenfield7", not "boarding pass"
    ),
    # also "keyword" ("palabra clave: fotografía"): no bare word after ":"
    "keyword": (r"clave", r"parola\s+chiave"),
    # it was typed: the token needs a password's shape
    "tried": (
        r"riprovato",
        r"provato",
        r"messo",
        r"usato",
        r"inserito",
        r"scritto",
        r"digitato",
        r"immesso",
        r"tentato",
        r"accedere\s+con",
        r"entrare\s+con",
        r"accedo\s+con",
        r"entro\s+con",
        r"loggarmi\s+con",
        r"tried",
        r"used",
        r"entered",
        r"typed",
        r"put\s+in",
        r"login\s+with",
        r"log(?:ged|ging)?\s+in\s+with",
        r"sign(?:ed|ing)?\s+in\s+with",
        r"versucht\s+mit",
        r"probiert\s+mit",
        r"essayé",
        r"essaye",
        r"tapé",
        r"utilisé",
        r"entré",
        r"saisi",
        r"rentré",
        r"j['’]ai\s+mis",
        r"j['’]ai\s+tape",
        r"me\s+connect(?:er|e)\s+avec",
        r"se\s+connecter\s+avec",
        r"connexion\s+avec",
        r"probado",
        r"intentado",
        r"puesto",
        r"usado",
        r"escrito",
        r"metido",
        r"probé",
        r"intenté",
        r"usé",
        r"puse",
        r"escribí",
        r"metí",
        r"entrar\s+con",
        r"acceder\s+con",
        r"accedí\s+con",
        r"iniciar\s+sesi[óo]n\s+con",
    ),
    # German puts the verb last: "ich habe es mit X versucht" (the verb must follow)
    "had": (r"habe", r"hab", r"hatte", r"hab['’]s", r"habs"),
}
_CUE_START = r"[\s\"'“‘«(\[¿¡]"  # a cue starts a word: not "/password/", "bypass"
_CUE_END = r"(?=[\s:=,;.!?)\"'»”’…]|$)"


def _by_first_letter(alternatives: Iterable[str]) -> str:
    """ "pw|psw|mdp" as "p(?:w|sw)|m(?:dp)": the engine tries one group per word start."""
    groups: dict[str, list[str]] = {}
    for alternative in alternatives:
        groups.setdefault(alternative[0], []).append(alternative[1:])
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())


# Searched in " " + the lower-cased text (or the text itself when lower() lengthens it): the
# match starts with the character before the cue, which the engine finds by a quick scan.
_ALL_CUES = _by_first_letter(alternative for kind in CUES.values() for alternative in kind)
CUE = re.compile(f"{_CUE_START}(?:{_ALL_CUES}){_CUE_END}")
CUE_ANY_CASE = re.compile(CUE.pattern, re.IGNORECASE)
CUE_KINDS = [
    (kind, re.compile(f"(?:{'|'.join(cues)}){_CUE_END}", re.IGNORECASE))
    for kind, cues in CUES.items()
]
TRIED_KINDS = frozenset({"tried", "had"})
CONFIRM = _words(
    "versucht probiert ausprobiert eingegeben eingetippt verwendet benutzt genommen gesetzt"
    " gewählt geschrieben getippt"
)
LINKERS = _words(
    "è e e' é es est ist is was were war era était etait fue sarebbe wäre waere would be"
    " should lautet lautete heißt heisst c'est c’est cest ser sea → -> = : - – — in to a à"
    " en auf zu como come as als devenu diventata became 's ’s"
)
FILLERS = _words(
    "la il lo l le les the my mia mio mie miei tua your mein meine meinen mon ma mes mi mis"
    " su sus nuova nuovo new neue neues neuen neu nouveau nouvel nouvelle nuevo nueva"
    " vecchia vecchio old alte altes alten ancien ancienne vieja viejo antigua antiguo"
    " current attuale actual actuel actuelle aktuelle aktuelles aktuell temporanea"
    " temporaneo temporary temp temporäre temporäres provisoire provisional temporal che que"
    " qui that which con with mit avec anche also too auch aussi también tambien pure già"
    " already schon bereits déjà ya sempre stata stato always still been immer noch toujours"
    " été siempre sido sigue siendo ancora again wieder encore it es das der die den dem el"
    " los las un una uno an ein eine einen just only solo nur seulement sólo simply einfach"
    " nochmal mal dann then poi puis luego ecco here voilà voila aquí"
)
BRIDGES = _words(
    "per del della dello dei di da for of on für von vom bei beim zum zur des de du pour sur para"
)
ELIDED_BRIDGE = re.compile(r"(?:dell|dall|nell|sull|d)['’]\w+", re.IGNORECASE)
CONJUNCTIONS = _words("e ed o oppure and or und oder et ou y")
STOP = _words(
    "non not nicht kein keine pas ne no nope dimenticata dimenticato scaduta scaduto"
    " sbagliata sbagliato errata errato bloccata bloccato persa smarrita reset resettare"
    " reimpostare cambiare cambio recupero recuperare aiuto problema problemi errore"
    " funziona forgotten forgot expired wrong incorrect invalid locked lost change changed"
    " help problem issue error missing required vergessen falsch abgelaufen gesperrt"
    " ungültig zurücksetzen ändern hilfe fehler oubliée oublié oublie expiré expirée"
    " incorrecte perdu perdue bloqué bloquée réinitialiser changer aide erreur problème"
    " olvidada olvidado olvidé caducada caducado incorrecta incorrecto bloqueada perdida"
    " restablecer cambiar ayuda link enlace lien email mail e-mail how wie comment cómo cosa"
    " what quoi qué perché why warum pourquoi por porque password passwort kennwort"
    " contraseña"
)


@dataclass(slots=True)
class _Scan:
    """Where a cue's search stands: what was passed over since the cue."""

    kind: str
    linked: bool = False  # a verb or ":" was passed ("è", "is", "ist", "est", "es", ":")
    colon: bool = False  # the last thing passed was ":" or "=" ("password: hunter2")
    bridge: bool = False  # in "del mio account", waiting for the verb


class _Token(NamedTuple):
    """A token as a span: quotes, brackets, markdown and a trailing . , ; : left out."""

    start: int
    end: int
    text: str
    word: str  # to look up: "È:" -> "è", "password," -> "password"
    quoted: bool
    colon: bool  # it ends with ":" or "=" ("è:", ":")
    ends_sentence: bool


# -- the API ----------------------------------------------------------------------------------
def find_passwords(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every password in `text`, in order, not overlapping."""
    if not text:
        return []
    scan = text.replace(MARKER, " " * len(MARKER)) if MARKER in text else text
    cued = _apart(sorted(set(_cued_spans(scan))))
    starts = [start for start, _end in cued]
    alone = [span for span in _standalone_spans(scan) if not _overlaps(span, cued, starts)]
    return sorted(cued + alone)


def hide_passwords(text: str) -> tuple[str, bool]:
    """`text` with every password replaced by MARKER, and whether there was one."""
    spans = find_passwords(text)
    for start, end in reversed(spans):
        text = text[:start] + MARKER + text[end:]
    return text, bool(spans)


def looks_like_password(text: str) -> bool:
    return bool(find_passwords(text))


# -- after a cue -------------------------------------------------------------------------------
def _cued_spans(text: str) -> Iterator[tuple[int, int]]:
    tokens: dict[int, _Token] = {}  # made once, though the words after cues overlap
    for end, kind in _cues(text):
        yield from _after_cue(text, end, kind, tokens)


def _cues(text: str) -> Iterator[tuple[int, str]]:
    """Where each cue ends, and its kind."""
    lowered = text.lower()
    search, subject = (CUE, lowered) if len(lowered) == len(text) else (CUE_ANY_CASE, text)
    subject = " " + subject  # subject[i + 1] is text[i]
    for cue in search.finditer(subject):
        start = cue.start() + 1
        kind = next(k for k, pattern in CUE_KINDS if pattern.match(subject, start))
        yield cue.end() - 1, kind


def _after_cue(
    text: str, pos: int, kind: str, made: dict[int, _Token]
) -> Iterator[tuple[int, int]]:
    """The password that follows a cue of `kind` ending at `pos`, if the next words give one."""
    state = _Scan(kind)
    tokens = _tokens_after(text, pos, state, made)
    for token in islice(tokens, WINDOW):
        if _passed_over(token, state):
            if token.ends_sentence:
                return
            continue
        if not _qualifies(token, state):
            return
        if kind == "had":  # "ich habe ... X" needs "versucht" after it
            ahead = list(islice(tokens, CONFIRM_WINDOW))
            if not any(t.word in CONFIRM for t in ahead):
                return
            tokens = chain(ahead, tokens)
        yield token.start, token.end
        yield from _after_conjunction(tokens, state)
        return


def _tokens_after(text: str, pos: int, state: _Scan, made: dict[int, _Token]) -> Iterator[_Token]:
    """The tokens after a cue; first what is glued to it ("password:hunter2", "password,")."""
    glued = TOKEN.match(text, pos)
    if glued:
        after = glued.group().lstrip(":=")
        if after != glued.group():
            state.linked = state.colon = True
        elif after[:2] in {"'s", "’s"}:
            state.linked, after = True, after[2:]
        elif after.strip(QUOTES + ","):
            return  # "password?", "password." : the sentence ends with the cue
        if after.strip(QUOTES + ","):
            yield _token(text, glued.end() - len(after), glued.end())
        pos = glued.end()
    for match in TOKEN.finditer(text, pos):
        start = match.start()
        token = made.get(start)
        if token is None:
            token = made[start] = _token(text, start, match.end())
        yield token


def _passed_over(token: _Token, state: _Scan) -> bool:
    """Whether a word between the cue and the password is passed over, noting what it says."""
    word = token.word
    if word in LINKERS or not word:
        state.linked, state.bridge, state.colon = True, False, token.colon
        return True
    passed = word in FILLERS or state.bridge
    if state.kind not in TRIED_KINDS and not state.linked and _bridges(word):
        passed = state.bridge = True
    if passed:
        state.colon = False
    return passed


def _bridges(word: str) -> bool:
    """ "per", "of", "für", "de", "dell'account": a bridge to a verb ("... del sito è X")."""
    return word in BRIDGES or bool(ELIDED_BRIDGE.fullmatch(word))


def _qualifies(token: _Token, state: _Scan) -> bool:
    """Whether the first word after a cue (and its fillers) is the password."""
    if len(token.text) > MAX_LENGTH or token.word in STOP:
        return False
    judged = _judged(token.text)
    if not judged or ADDRESS.fullmatch(judged):
        return False
    if state.kind in TRIED_KINDS:
        return _typed(judged, marked=judged != token.text)
    return _named(judged, token, state)


def _typed(judged: str, marked: bool) -> bool:
    """After "I tried": lower case with a digit or a symbol, and not a model, a serial, a
    date or a code ("I tried the RF24-70mm", "ho inserito CPS-2026-000123", "ho usato
    SCONTO20")."""
    lower = judged != judged.upper()
    digit = bool(DIGIT.search(judged))
    symbol = bool(STRONG.search(judged)) or (marked and digit)
    return (
        len(judged) >= TRIED_MIN_LENGTH
        and lower
        and (digit or symbol)
        and not _known_shape(judged, cued=True)
    )


def _named(judged: str, token: _Token, state: _Scan) -> bool:
    """After "password": a weak password counts ("gatto123", "hunter2", a quoted word, a
    number after "è" or ":", a word right after ":"), an ordinary word does not."""
    if len(judged) < CUED_MIN_LENGTH:
        return False
    if not (state.linked or token.quoted) and _known_shape(judged, cued=True):
        return False  # "password RF24-70mm": a model, not what was typed
    letters_and_digits = _has_letter(judged) and bool(DIGIT.search(judged))
    if letters_and_digits or STRONG.search(judged) or token.quoted:
        return True
    if INNER_CAPITAL.search(judged):
        return True  # "GattoNero"
    if judged.isdigit():
        return state.linked and not YEAR.fullmatch(judged)  # not "ist 2019 abgelaufen"
    return state.colon and state.kind != "keyword" and judged.isalpha()  # "password: gattonero"


def _after_conjunction(tokens: Iterator[_Token], state: _Scan) -> Iterator[tuple[int, int]]:
    """ "ho provato con gatto123 e con gatto1234": the passwords that follow an "and"."""
    joined = False
    for token in islice(tokens, WINDOW):
        if not joined:
            if token.word not in CONJUNCTIONS:
                return
            joined = True
        elif token.word not in FILLERS:
            if not _qualifies(token, state):
                return
            yield token.start, token.end
            joined = False


# -- on its own --------------------------------------------------------------------------------
def _standalone_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in LONG_TOKEN.finditer(text):
        start, end, _quoted = _bounds(text, match.start(), match.end())
        if _stands_out(text[start:end]):
            yield start, end


def _stands_out(token: str) -> bool:
    """Three kinds of characters in 8-64, and not a shape members use for other things."""
    if not MIN_LENGTH <= len(token) <= MAX_LENGTH or token.isalpha() or token.isdigit():
        return False
    judged = _judged(token)
    return _kinds(judged, marked=judged != token) >= 3 and not _known_shape(judged)


def _kinds(token: str, marked: bool = False) -> int:
    """How many of lower case, upper case, digits, symbols; a trailing ! or ? counts as a
    symbol only after letters and digits ("gatto123!", not "Fantastico!")."""
    lower, upper = token != token.upper(), token != token.lower()
    digit = bool(DIGIT.search(token))
    symbol = bool(STRONG.search(token)) or (marked and digit and (lower or upper))
    return lower + upper + digit + symbol


def _known_shape(token: str, cued: bool = False) -> bool:
    """A shape that is not a password although it mixes kinds of characters. After a cue
    only addresses, files and references count ("I tried the RF24-70mm")."""
    if ADDRESS.fullmatch(token) or FILE.fullmatch(token):
        return True
    if cued:
        return _reference(token)
    if TAG.fullmatch(token):
        return True
    if STRONG.search(token):
        if DIGIT.search(token):
            return _reference(token)
        return bool(GLUED_WORDS.fullmatch(token))
    if not CHUNKS.search(token):
        return _reference(token)  # one chunk, with three kinds: "Windows11", "5DMarkIV"
    return all(_kinds(chunk) <= 2 or _reference(chunk) for chunk in CHUNKS.split(token) if chunk)


def _reference(token: str) -> bool:
    """A model, a product version, a date, a price or a labelled number, read as runs of
    digits, letters and marks: "RF24-105mmF4L", "Windows11", "12Mar2024", "Serial#4521"."""
    runs = RUN.findall(token)
    first = next((i for i, run in enumerate(runs) if run.isdigit()), None)
    if first is None:
        return False
    head = [w.lower() for run in runs[:first] if run.isalpha() for w in CAMEL.split(run)]
    tail = [w.lower() for run in runs[first:] if run.isalpha() for w in CAMEL.split(run)]
    marks = {run for run in runs if not run.isalnum()}
    return (
        _model(head, tail, marks)
        or _labelled(head, tail, marks)
        or _dated(head + tail, marks)
        or _priced(head + tail, marks)
    )


def _model(head: list[str], tail: list[str], marks: set[str]) -> bool:
    series = "".join(head)
    for brand in BRANDS:
        series = series.removeprefix(brand)
    series = series.removeprefix("eos")
    known = not series or series in SERIES or series in PRODUCTS
    return known and marks <= MODEL_MARKS and all(word in MODEL_WORDS for word in tail)


def _labelled(head: list[str], tail: list[str], marks: set[str]) -> bool:
    return bool(head) and all(w in LABELS for w in head + tail) and marks <= ID_MARKS


def _dated(words: list[str], marks: set[str]) -> bool:
    return bool(words) and all(w in DATE_WORDS for w in words) and marks <= DATE_MARKS


def _priced(words: list[str], marks: set[str]) -> bool:
    signs = marks & CURRENCY_SIGNS
    money = bool(signs) or any(w in CURRENCIES for w in words)
    priced = all(w in CURRENCIES or w in PER for w in words)
    return money and priced and marks - signs <= {".", ",", "'", "/"}


# -- tokens ------------------------------------------------------------------------------------
def _token(text: str, start: int, end: int) -> _Token:
    raw = text[start:end]
    if raw[0].isalnum() and raw[-1].isalnum():  # the usual word: nothing around it
        return _Token(start, end, raw, raw.lower(), False, False, False)
    start, end, quoted = _bounds(text, start, end)
    word = text[start:end].strip(QUOTES + MARKS + "()[]").lower()
    colon = raw.endswith((":", "="))
    ends_sentence = raw.rstrip(QUOTES + ")]")[-1:] in {".", "?", "!", ";", "…"}
    return _Token(start, end, text[start:end], word, quoted, colon, ends_sentence)


def _bounds(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """A token's span without surrounding quotes, brackets and markdown or a trailing
    . , ; : — and whether it was quoted."""
    if text[start].isalnum() and text[end - 1].isalnum():
        return start, end, False
    quoted, bounds = False, None
    while bounds != (start, end):
        bounds = start, end
        while start < end and text[start] in OPENING:
            quoted = quoted or text[start] in QUOTES
            start += 1
        while end > start and _closes(text, start, end):
            end -= 1
        while start < end and text[start] in EMPHASIS:  # "*bold words*" spans tokens
            start += 1
        while end > start and text[end - 1] in EMPHASIS:
            end -= 1
    return start, end, quoted


def _closes(text: str, start: int, end: int) -> bool:
    """Whether the token's last character closes it: . , ; : a quote, or a bracket it did
    not open ("(Summer2024!)" but not "Pass(1)")."""
    last = text[end - 1]
    if last in CLOSERS:
        return CLOSERS[last] not in text[start : end - 1]
    return last in TRAILING or last in QUOTES


def _judged(token: str) -> str:
    """The token without what may close a sentence: "Fantastico!", "Thanks!!😊"."""
    end = len(token)
    while end and (token[end - 1] in MARKS or _decoration(token[end - 1])):
        end -= 1
    return token[:end]


def _decoration(char: str) -> bool:
    """An emoji or another sign that is neither a letter, a digit, a joiner nor a symbol."""
    return not char.isalnum() and char not in JOINERS and not STRONG.match(char)


def _has_letter(token: str) -> bool:
    return any(c.isalpha() for c in token)


def _apart(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans without the ones that overlap an earlier one."""
    kept: list[tuple[int, int]] = []
    for start, end in spans:
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]], starts: list[int]) -> bool:
    """Whether `span` overlaps one of `spans` (sorted, apart; `starts` their starts)."""
    before = bisect_left(starts, span[1])  # the spans that start before `span` ends
    return before > 0 and spans[before - 1][1] > span[0]
