"""Reading a CRM opportunity export (CSV or xlsx) into one frame of opportunities.

`read_export` recognises the usual Salesforce, HubSpot and plain column spellings, maps stages
to won/lost/open, parses dates and amounts (vectorised: 100,000 rows read in about a second),
keeps only what was knowable at `as_of`, and counts every row it cannot use by reason.
`read_roster` reads a seller roster the same way. Bad input raises `CrmError`, a
`ScenarioError` the CLI prints as one line (exit 2). The accepted format is in docs/crm.md.
"""

from __future__ import annotations

import difflib
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from sim.datafile import read_regular
from sim.scenario.errors import DataFileError, short

# The fields of an opportunity, in the order of the frame; the first six are required.
FIELDS = ("id", "owner", "created", "closed", "stage", "amount", "product", "source")
REQUIRED = FIELDS[:6]
# Column spellings by field, most specific first; matched ignoring case, spaces, underscores
# and hyphens. The first spelling present wins (`Amount` over `Close Value`), and a column
# serves one field only.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("Opportunity ID", "Opp ID", "Deal ID", "hs_object_id", "Record ID", "id",
           "Opportunity Name", "dealname", "Deal Name", "name"),
    "owner": ("Opportunity Owner", "Deal Owner", "hubspot_owner_id", "owner", "Owner Name",
              "Owner ID", "Account Executive", "Sales Agent", "Sales Rep", "Rep", "Seller",
              "Salesperson", "Assigned To"),
    "created": ("Created Date", "createdate", "Create Date", "created", "Created On",
                "Created At", "Date Created", "Engage Date", "Open Date"),
    "closed": ("Close Date", "closedate", "Closed Date", "closed", "Closed On", "Closed At",
               "Date Closed", "Actual Close Date"),
    "stage": ("Stage", "dealstage", "Deal Stage", "Stage Name", "Opportunity Stage",
              "Sales Stage", "Pipeline Stage"),
    "amount": ("Amount", "Close Value", "Deal Value", "Deal Amount", "Opportunity Amount",
               "Value", "Revenue"),
    "product": ("Product", "Product Name", "Product Family", "Product Line", "Segment"),
    "source": ("Lead Source", "Source", "Deal Source", "Opportunity Source", "Original Source",
               "Channel"),
}
ROSTER_FIELDS = ("seller", "start", "leave", "role")
ROSTER_ALIASES: dict[str, tuple[str, ...]] = {
    "seller": ("seller", "Sales Agent", "Opportunity Owner", "owner", "hubspot_owner_id",
               "Account Executive", "Sales Rep", "Rep", "Salesperson", "Employee", "name",
               "Full Name"),
    "start": ("start", "Start Date", "Hire Date", "Hired", "Hired On", "Joined", "Join Date",
              "Date Joined", "Started"),
    "leave": ("leave", "Leave Date", "End Date", "end", "Left", "Termination Date",
              "Departure Date", "Exit Date", "Last Day"),
    "role": ("role", "Title", "Job Title", "Position"),
}
# The stages read as won and lost when no --won/--lost is given (compared like column names).
DEFAULT_WON = ("Closed Won", "closedwon", "Won")
DEFAULT_LOST = ("Closed Lost", "closedlost", "Lost")
# An export of 100,000 opportunities is about 8 MB; 256 MiB or 2,000,000 rows is far beyond
# any CRM's opportunity table and keeps a wrong file (a log, a dump) from eating memory.
MAX_EXPORT_BYTES = 256 << 20
MAX_ROWS = 2_000_000
# Cells that mean "no value" in a date or amount column.
PLACEHOLDERS = ("", "-", "--", "n/a", "na", "null", "none", "nan", "nat")
DATES_EXPECTED = ("expected dates as YYYY-MM-DD (ISO, a time allowed), M/D/YYYY or epoch "
                  "milliseconds")
# Reasons a row is not used, in the order they are tested (a row counts under the first).
REASONS = ("no created date", "created after --as-of", "no id", "no owner", "no stage",
           "amount not a number", "negative amount", "won or lost without a close date",
           "close date before created date", "duplicate row", "duplicate id")
NUMBER = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?$|^-?\.\d+$")


class CrmError(DataFileError):
    """Bad input in an export or roster: ``file: where: value: expected``, one line."""


@dataclass(frozen=True)
class Export:
    """The usable opportunities of an export as knowable at `as_of`, and how they were read.

    `opportunities` has one row per usable opportunity, columns `id`, `owner` (str),
    `created` (datetime64[ns] date), `closed` (datetime64[ns], NaT while open at `as_of`),
    `outcome` ("won", "lost" or "open" at `as_of`), `amount` (float, NaN when unknown),
    `product`, `source` (str, "" when absent) and `stage` (the raw stage)."""

    opportunities: pd.DataFrame
    as_of: pd.Timestamp
    rejected: dict[str, int] = field(default_factory=dict)
    column_map: dict[str, str] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _norm(name: object) -> str:
    """A column or stage name compared ignoring case, spaces, underscores and hyphens."""
    return re.sub(r"[\s_\-]+", "", str(name)).casefold()


def _listing(names: Iterable[object], limit: int = 12) -> str:
    names = list(names)
    shown = ", ".join(repr(short(n, 30)) for n in names[:limit])
    return shown + (f" (+{len(names) - limit} more)" if len(names) > limit else "")


def _did_you_mean(value: str, candidates: Iterable[str]) -> str:
    candidates = list(candidates)
    by_norm = {_norm(c): c for c in candidates}
    close = difflib.get_close_matches(_norm(value), list(by_norm), n=1, cutoff=0.6)
    return f"; did you mean {short(by_norm[close[0]], 30)!r}?" if close else ""


def parse_columns(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """`"owner=Rep,created=CreatedDate"` (the --columns text) or a mapping -> {field: column}."""
    example = "expected --columns FIELD=COLUMN,..., e.g. --columns owner=Rep,created=CreatedDate"
    if text is None:
        return {}
    if isinstance(text, Mapping):
        pairs = [(str(k).strip(), str(v).strip()) for k, v in text.items()]
    else:
        pairs = []
        for item in str(text).split(","):
            if not item.strip():
                continue
            if "=" not in item:
                raise CrmError("simrev", "--columns", item.strip(), f"no '='; {example}")
            key, _, value = item.partition("=")
            pairs.append((key.strip(), value.strip()))
        if not pairs:
            raise CrmError("simrev", "--columns", str(text), f"no mapping; {example}")
    mapping: dict[str, str] = {}
    for key, value in pairs:
        if key.casefold() not in FIELDS:
            raise CrmError("simrev", "--columns", key, "not a field; expected one of "
                           f"{', '.join(FIELDS)}{_did_you_mean(key, FIELDS)}")
        if not value:
            raise CrmError("simrev", "--columns", f"{key}=", f"no column named; {example}")
        if key.casefold() in mapping:
            raise CrmError("simrev", "--columns", key, "a field mapped twice; expected each "
                           "field at most once")
        mapping[key.casefold()] = value
    return mapping


def parse_stages(text: str | Iterable[str] | None, option: str = "--won") -> list[str] | None:
    """`"Closed Won,Signed"` (the --won/--lost text) or a list -> stage names; None stays None."""
    if text is None:
        return None
    words = [w.strip() for w in (text.split(",") if isinstance(text, str) else text)]
    if not words or not all(words):
        raise CrmError("simrev", option, ",".join(words), f"an empty stage name; expected "
                       f"{option} STAGE[,STAGE]")
    return words


def _open_table(path: str | os.PathLike[str], what: str) -> tuple[pd.DataFrame, str, list[str]]:
    """The first sheet (xlsx) or the table (CSV) as text cells ("" when empty), its label,
    and notes. Everything that is not a readable regular CSV or xlsx file is a `CrmError`."""
    file = os.fspath(path)
    expected = f"expected {what} (CSV or xlsx)"

    def fail(why: str) -> CrmError:
        return CrmError(file, "", None, f"{why}; {expected}")

    head = read_regular(file, fail, MAX_EXPORT_BYTES, head=1 << 16)
    notes: list[str] = []
    if head.startswith(b"PK\x03\x04"):
        try:
            table = pd.read_excel(file, sheet_name=0, dtype=str, keep_default_na=False,
                                  header=0, engine="openpyxl", nrows=MAX_ROWS + 1)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
            raise fail(f"not a readable xlsx workbook ({type(exc).__name__})") from None
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        raise fail("an old Excel .xls workbook; save it as .xlsx or CSV")
    elif b"\x00" in head:
        raise fail("binary contents, not CSV text")
    else:
        first = head.splitlines()[0].decode("utf-8", "replace")
        sep = max((",", ";", "\t"), key=first.count)
        table = None
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                table = pd.read_csv(file, dtype=str, keep_default_na=False, sep=sep,
                                    encoding=encoding, nrows=MAX_ROWS + 1, engine="c")
                break
            except UnicodeDecodeError:
                continue
            except pd.errors.EmptyDataError:
                raise fail("the file is empty") from None
            except pd.errors.ParserError as exc:
                line = re.search(r"line (\d+)", str(exc))
                row = f"row {line.group(1)}" if line else "a row"
                raise fail(f"{row} has more fields than the header row") from None
        if table is None:
            raise fail("neither UTF-8 nor Windows-1252 text")
        if encoding == "cp1252":
            notes.append("read as Windows-1252 text (the file is not UTF-8)")
    table.columns = [str(c).strip() for c in table.columns]
    if len(table) > MAX_ROWS:
        raise fail(f"more than {MAX_ROWS:,} rows, over the cap")
    if table.empty:
        raise fail("a header row and no data rows")
    return table.fillna(""), file, notes


def _match_columns(table: pd.DataFrame, file: str, aliases: Mapping[str, tuple[str, ...]],
                   required: tuple[str, ...], overrides: Mapping[str, str],
                   option: str | None = "--columns") -> dict[str, str]:
    """{field: column}: `overrides` first (exact name, else the one equal ignoring case and
    spaces), then the first alias present among the columns not yet taken."""
    columns = list(table.columns)
    norms: dict[str, str] = {}
    for column in columns:
        norms.setdefault(_norm(column), column)
    found = f"columns found: {_listing(columns)}"
    chosen: dict[str, str] = {}
    for name, column in overrides.items():
        if name not in aliases:
            raise CrmError(file, "--columns", name, f"not a field of this file; expected one "
                           f"of {', '.join(aliases)}")
        match = column if column in columns else norms.get(_norm(column))
        if match is None:
            raise CrmError(file, f"--columns {name}", column, f"no such column; {found}"
                           f"{_did_you_mean(column, columns)}")
        if match in chosen.values():
            raise CrmError(file, f"--columns {name}", column, "a column mapped to two fields; "
                           "expected each column for one field")
        chosen[name] = match
    for name, spellings in aliases.items():
        if name in chosen:
            continue
        for spelling in spellings:
            column = norms.get(_norm(spelling))
            if column is not None and column not in chosen.values():
                chosen[name] = column
                break
    missing = [name for name in required if name not in chosen]
    if missing:
        first = missing[0]
        spellings = [_norm(a) for a in aliases[first]]
        free = [c for c in columns if c not in chosen.values()]
        score = {c: max(difflib.SequenceMatcher(None, _norm(c), a).ratio() for a in spellings)
                 for c in free}
        best = max(score, key=score.__getitem__, default=None)
        hint = ""
        if best is not None and score[best] >= 0.6:
            hint = (f"; did you mean {option} {first}={short(best, 30)}?" if option
                    else f"; did you mean {short(best, 30)!r}?")
        what = "" if option else "a seller roster with "  # an export's fields have --columns
        raise CrmError(file, ", ".join(missing), None,
                       f"no column for {' and '.join(missing)}; {found}{hint}; expected "
                       f"{what}a column named like {_listing(aliases[first][:4])}"
                       + (f" or {option} {first}=COLUMN" if option else ""))
    return chosen


def _cells(table: pd.DataFrame, chosen: Mapping[str, str], name: str) -> pd.Series:
    """The column of `name`, stripped text ("" when the field has no column)."""
    if name not in chosen:
        return pd.Series("", index=table.index, dtype=str)
    return table[chosen[name]].astype(str).str.strip()


def _blank(text: pd.Series) -> pd.Series:
    """True where a date or amount cell holds no value ("", "N/A", "null", "-", ...)."""
    return text.str.casefold().isin(PLACEHOLDERS)


def _iso(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    return parsed.dt.tz_convert(None)


def _us(values: pd.Series, year: str) -> pd.Series:
    day = values.str.extract(r"^(\d{1,2}/\d{1,2}/\d+)(?:[ T].*)?$", expand=False)
    return pd.to_datetime(day, format=f"%m/%d/{year}", errors="coerce")


def _epoch_ms(values: pd.Series) -> pd.Series:
    digits = values.where(values.str.fullmatch(r"\d{11,14}(?:\.0*)?"))
    return pd.to_datetime(pd.to_numeric(digits, errors="coerce"), unit="ms", errors="coerce")


DATE_PARSERS: tuple[Callable[[pd.Series], pd.Series], ...] = (
    _iso, lambda v: _us(v, "%Y"), lambda v: _us(v, "%y"), _epoch_ms)


def _dates(text: pd.Series, column: str, file: str) -> pd.Series:
    """Days (datetime64[ns], times dropped; offsets read in UTC), NaT where blank. A column
    in which some value fits no format is a `CrmError` naming its first bad row."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    present = ~_blank(text)
    values = text[present]
    if values.empty:
        return out
    # A column holds few distinct dates: parse each once (a tenth of the time on 100k rows).
    codes, distinct = pd.factorize(values)
    values = pd.Series(distinct, dtype=str)
    fewest: tuple[int, pd.Series] | None = None
    looks_us = bool(re.match(r"\d{1,2}/", values.iloc[0]))
    parsers = DATE_PARSERS[1:3] + DATE_PARSERS[:1] + DATE_PARSERS[3:] if looks_us \
        else DATE_PARSERS
    for parse in parsers:
        parsed = parse(values)
        bad = parsed.isna()
        if not bad.any():
            days = parsed.dt.normalize().astype("datetime64[ns]").to_numpy()
            out[present] = days[codes]
            return out
        if fewest is None or int(bad.sum()) < fewest[0]:
            fewest = (int(bad.sum()), bad)
    assert fewest is not None
    first = int(np.flatnonzero(fewest[1].to_numpy()[codes])[0])  # the first bad row
    row = int(np.flatnonzero(present.to_numpy())[first])
    raise CrmError(file, f"column {short(column, 40)!r}, row {row + 2}", text.iloc[row],
                   DATES_EXPECTED)


def _amounts(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(amounts, not-a-number mask): `$1,200.50`, `1200`, `EUR 300`, `(50)` read as numbers,
    blanks as NaN; anything else NaN with its mask set."""
    blank = _blank(text)
    paren = text.str.startswith("(") & text.str.endswith(")")
    cleaned = (text.where(~paren, "-" + text.str.slice(1, -1))
               .str.replace("[$€£¥₹\\s\u00a0\u202f]", "", regex=True)
               .str.replace(r"^[A-Za-z]{3}|[A-Za-z]{3}$", "", regex=True))
    good = cleaned.str.fullmatch(NUMBER.pattern).fillna(False).astype(bool) & ~blank
    numbers = pd.to_numeric(cleaned.where(good).str.replace(",", "", regex=False),
                            errors="coerce").astype(float)
    return numbers, ~blank & ~good


def parse_as_of(value: object, file: str) -> pd.Timestamp:
    """`--as-of` as a date (YYYY-MM-DD, or a date object); a `CrmError` otherwise."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return pd.Timestamp(value.strip())
        except ValueError:
            pass
    elif isinstance(value, date | datetime | pd.Timestamp) and not pd.isna(value):
        return pd.Timestamp(value).normalize().tz_localize(None) \
            if pd.Timestamp(value).tzinfo is None else \
            pd.Timestamp(value).tz_convert(None).normalize()
    raise CrmError(file, "--as-of", value if isinstance(value, str) else str(value),
                   "expected a date YYYY-MM-DD")


def _stage_map(stage: pd.Series, won: list[str] | None, lost: list[str] | None, file: str,
               column: str, notes: list[str]) -> dict[str, str]:
    """{raw stage: won/lost/open} for every stage in the file."""
    found = [s for s in pd.unique(stage) if s != ""]
    listing = f"stages found in column {short(column, 30)!r}: {_listing(found)}"
    outcome = dict.fromkeys(found, "open")
    for kind, words, defaults in (("won", won, DEFAULT_WON), ("lost", lost, DEFAULT_LOST)):
        if words is None:
            wanted = {_norm(d) for d in defaults}
            hits = [s for s in found if _norm(s) in wanted]
            if not hits:
                raise CrmError(file, f"--{kind}", None, f"no stage recognised as {kind}; "
                               f"{listing}; expected --{kind} STAGE[,STAGE]")
            notes.append(f"stages read as {kind} by default: {_listing(hits)} (--{kind} "
                         "names them)")
        else:
            hits = []
            for word in words:
                match = [s for s in found if s.casefold() == word.casefold()]
                if not match:
                    raise CrmError(file, f"--{kind}", word, f"matches no stage; {listing}"
                                   f"{_did_you_mean(word, found)}")
                hits += match
        for s in hits:
            if outcome[s] != "open" and outcome[s] != kind:
                raise CrmError(file, f"--{kind}", s, "a stage both won and lost; expected "
                               "each stage in --won or --lost, not both")
            outcome[s] = kind
    return outcome


def read_export(path: str | os.PathLike[str], *, as_of: object | None,
                columns: str | Mapping[str, str] | None = None,
                won: str | Iterable[str] | None = None,
                lost: str | Iterable[str] | None = None) -> Export:
    """The usable opportunities of a CRM export as knowable at `as_of` (see `Export`).

    `columns` maps fields to columns (`"owner=Rep,created=CreatedDate"` or a dict); `won` and
    `lost` name the closed stages (case-insensitive, exact; default Closed Won/Won and
    Closed Lost/Lost). `as_of=None` reads the whole export: the cut is its last created or
    close date (how a backtest reads what happened). Rows that cannot be used are counted in
    `Export.rejected`; a file that cannot be read or understood raises `CrmError`."""
    overrides = parse_columns(columns)
    won_words, lost_words = parse_stages(won, "--won"), parse_stages(lost, "--lost")
    table, file, notes = _open_table(path, "a CRM opportunity export")
    cut = parse_as_of(as_of, file) if as_of is not None else None
    chosen = _match_columns(table, file, ALIASES, REQUIRED, overrides)
    text = {name: _cells(table, chosen, name) for name in FIELDS}
    created = _dates(text["created"], chosen["created"], file)
    closed = _dates(text["closed"], chosen["closed"], file)
    amount, not_number = _amounts(text["amount"])
    stages = _stage_map(text["stage"], won_words, lost_words, file, chosen["stage"], notes)
    outcome = text["stage"].map(stages).fillna("").astype(str)
    decided = outcome.isin(["won", "lost"])

    if cut is None:  # the whole export: cut at its last date
        cut = max(created.max(), closed[decided].max()) if decided.any() else created.max()
    elif created.notna().any():
        first = created.min()
        last = max(created.max(), closed[decided].max()) if decided.any() else created.max()
        span = f"expected a date from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
        if cut < first:
            raise CrmError(file, "--as-of", f"{cut:%Y-%m-%d}", "before the first created date "
                           f"in the export ({first:%Y-%m-%d}); {span}")
        if cut > last:
            raise CrmError(file, "--as-of", f"{cut:%Y-%m-%d}", "after the export's last "
                           f"created or close date ({last:%Y-%m-%d}); {span}")

    tests = (created.isna(), created > cut, text["id"] == "", text["owner"] == "",
             text["stage"] == "", not_number, amount < 0, decided & closed.isna(),
             decided & (closed < created))
    code = np.zeros(len(table), dtype=np.int8)
    for k, mask in enumerate(tests, start=1):
        code[(code == 0) & mask.to_numpy(dtype=bool)] = k
    keys = pd.DataFrame(text)
    alive = code == 0
    copies = keys[alive].duplicated(keep="first").to_numpy()
    code[np.flatnonzero(alive)[copies]] = len(tests) + 1
    alive = code == 0
    clash = keys["id"][alive].duplicated(keep=False).to_numpy()
    code[np.flatnonzero(alive)[clash]] = len(tests) + 2
    counts = np.bincount(code, minlength=len(REASONS) + 1)
    rejected = {reason: int(counts[k]) for k, reason in enumerate(REASONS, start=1)
                if counts[k]}
    keep = code == 0
    if not keep.any():
        why = ", ".join(f"{n:,} {r}" for r, n in rejected.items())
        raise CrmError(file, "", None, f"no usable opportunities ({why}); expected rows with "
                       "an id, owner, created date on or before --as-of and a stage")

    frame = pd.DataFrame({
        "id": text["id"], "owner": text["owner"], "created": created,
        "closed": closed.where(decided), "outcome": outcome, "amount": amount,
        "product": text["product"], "source": text["source"],
        "stage": text["stage"]})[keep].reset_index(drop=True)
    frame, known = knowable_at(frame, cut)
    notes += known
    ignored = keep & ~decided.to_numpy() & closed.notna().to_numpy()
    if ignored.any():
        notes.append(f"close dates of {int(ignored.sum()):,} open-stage opportunities ignored "
                     "(an open opportunity's close date is an expected date)")
    unsized = (frame["outcome"] == "won") & frame["amount"].isna()
    if unsized.any():
        notes.append(f"{int(unsized.sum()):,} won opportunities have no amount: kept as wins "
                     "of unknown size")
    absent = [name for name in ("product", "source") if name not in chosen]
    if absent:
        notes.append(f"no column for {' or '.join(absent)}: left empty")
    return Export(frame, cut, rejected, dict(chosen), stages, notes)


def month_after(as_of: object) -> pd.Timestamp:
    """The first day of the month after a cut: where a scenario fitted at it starts (and
    a backtest's first forecast quarter)."""
    return (pd.Timestamp(as_of).to_period("M") + 1).to_timestamp()


CUT_NOTES = ("after --as-of are open at the cut", "with an amount of 0: amount unknown")


def knowable_at(frame: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.DataFrame, list[str]]:
    """The opportunities (rows created by `as_of`) as the CRM showed them at `as_of`, and
    notes saying what changed: a decision after it is open again (closed NaT, its stage
    kept), and an amount of 0 on a deal open then is unknown (NaN) — exports put 0 on lost
    deals (a loss after the cut would carry a "known" 0) and on deals nobody sized yet."""
    later = frame["outcome"].isin(["won", "lost"]) & (frame["closed"] > as_of)
    outcome = frame["outcome"].where(~later, "open")
    zero = (outcome == "open") & (frame["amount"] == 0)
    frame = frame.assign(outcome=outcome, closed=frame["closed"].where(~later),
                         amount=frame["amount"].mask(zero))
    notes = []
    if later.any():
        notes.append(f"{int(later.sum()):,} opportunities won or lost {CUT_NOTES[0]}")
    if zero.any():
        notes.append(f"{int(zero.sum()):,} opportunities open at the cut {CUT_NOTES[1]} "
                     "(drawn from the deal size if won)")
    return frame, notes


def read_roster(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A seller roster (CSV or xlsx) -> columns `seller` (str), `start`, `leave`
    (datetime64[ns]; leave NaT while still there) and `role` (str, "" when absent).

    A roster is kept by hand and small, so a bad row is an error naming it, not a count:
    a row without a seller or start date, a leave before the start, a seller listed twice."""
    table, file, _ = _open_table(path, "a seller roster")
    chosen = _match_columns(table, file, ROSTER_ALIASES, ("seller", "start"), {}, None)
    text = {name: _cells(table, chosen, name) for name in ROSTER_FIELDS}
    start = _dates(text["start"], chosen["start"], file)
    leave = (_dates(text["leave"], chosen["leave"], file) if "leave" in chosen
             else pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]"))
    seller = text["seller"]
    checks = (
        (seller == "", "seller", "no seller; expected a name on every row"),
        (start.isna(), "start", "no start date; expected the date each seller started"),
        (leave < start, "leave", "a leave date before the start date; expected leave on or "
         "after start"),
        (seller.duplicated() & (seller != ""), "seller", "a seller listed twice; expected one "
         "row per seller"),
    )
    for mask, name, why in checks:
        if mask.any():
            row = int(mask.to_numpy().argmax())
            raise CrmError(file, f"column {short(chosen[name], 40)!r}, row {row + 2}",
                           text[name].iloc[row], why)
    return pd.DataFrame({"seller": text["seller"], "start": start, "leave": leave,
                         "role": text["role"]}).reset_index(drop=True)


__all__ = ["ALIASES", "CrmError", "Export", "MAX_EXPORT_BYTES", "MAX_ROWS", "REASONS",
           "knowable_at", "month_after", "parse_as_of",
           "parse_columns", "parse_stages", "read_export", "read_roster"]
