"""Reading CRM exports (sim/crm.py): spellings, mappings, stages, censoring at --as-of,
rejected rows counted by reason, and one pinned line for each bad input."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.crm as crm
from sim.crm import CrmError, parse_columns, parse_stages, read_export, read_roster
from sim.scenario.errors import ScenarioError

SALESFORCE = """\
Opportunity ID,Opportunity Owner,Created Date,Close Date,Stage,Amount,Product,Lead Source
006A,Ann,2017-01-05,2017-02-01,Closed Won,"$1,200.50",Pro,Web
006B,Bob,2017-01-07,2017-05-30,Negotiation,,Basic,
006C,Ann,2017-01-09,2017-03-15,Closed Lost,300,Pro,Partner
"""


AS_OF = "2017-03-15"  # the last close date in SALESFORCE and its sister exports


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def message(path: Path, **kwargs: object) -> str:
    kwargs.setdefault("as_of", AS_OF)
    with pytest.raises(CrmError) as caught:
        read_export(path, **kwargs)
    assert "\n" not in str(caught.value)
    return str(caught.value)


# --- the frame ------------------------------------------------------------------------------

def test_frame_has_the_agreed_columns_and_types(tmp_path) -> None:
    export = read_export(write(tmp_path, SALESFORCE), as_of=AS_OF)
    frame = export.opportunities
    assert list(frame.columns) == ["id", "owner", "created", "closed", "outcome", "amount",
                                   "product", "source", "stage"]
    assert str(frame["created"].dtype) == "datetime64[ns]"
    assert str(frame["closed"].dtype) == "datetime64[ns]"
    assert frame["amount"].dtype == np.float64
    assert frame["id"].tolist() == ["006A", "006B", "006C"]
    assert frame["outcome"].tolist() == ["won", "open", "lost"]
    assert frame["amount"].iloc[0] == 1200.5 and np.isnan(frame["amount"].iloc[1])
    assert frame["source"].tolist() == ["Web", "", "Partner"]
    assert frame["closed"].iloc[0] == pd.Timestamp("2017-02-01")
    assert pd.isna(frame["closed"].iloc[1])  # an open stage's close date is only expected
    assert export.as_of == pd.Timestamp(AS_OF)
    assert export.rejected == {}
    assert export.stages == {"Closed Won": "won", "Negotiation": "open", "Closed Lost": "lost"}
    assert any("by default" in note for note in export.notes)
    assert any("close dates of 1 open-stage" in note for note in export.notes)
    assert isinstance(CrmError("f", "", None, "x"), ScenarioError)  # the CLI's one line, exit 2


# --- spelling families ----------------------------------------------------------------------

HUBSPOT = """hs_object_id,dealname,hubspot_owner_id,createdate,closedate,dealstage,amount,pipeline
101,Acme renewal,9001,1483574400000,2017-02-01T15:30:00Z,closedwon,1200,default
102,Beta new,9002,1483747200000,,appointmentscheduled,,default
103,Gamma,9001,1483920000000,2017-03-15T09:00:00.000Z,closedlost,300,default
"""
PLAIN = """id,owner,created,closed,stage,amount,segment,source
1,ann,01/05/2017,02/01/2017,won,1200,smb,web
2,bob,01/07/2017,,open,,mid,
3,ann,01/09/2017,03/15/2017,lost,300,smb,web
"""
SALES_AGENT = """\
opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value
X1,Ann,GTX Pro,Acme,Won,2017-01-05,2017-02-01,1200
X2,Bob,MG Special,Beta,Engaging,2017-01-07,,
X3,Ann,GTX Pro,Gamma,Lost,2017-01-09,2017-03-15,0
"""


@pytest.mark.parametrize(("text", "expected"), [
    (SALESFORCE, {"id": "Opportunity ID", "owner": "Opportunity Owner",
                  "created": "Created Date", "closed": "Close Date", "stage": "Stage",
                  "amount": "Amount", "product": "Product", "source": "Lead Source"}),
    (HUBSPOT, {"id": "hs_object_id", "owner": "hubspot_owner_id", "created": "createdate",
               "closed": "closedate", "stage": "dealstage", "amount": "amount"}),
    (PLAIN, {"id": "id", "owner": "owner", "created": "created", "closed": "closed",
             "stage": "stage", "amount": "amount", "product": "segment", "source": "source"}),
    (SALES_AGENT, {"id": "opportunity_id", "owner": "sales_agent", "created": "engage_date",
                   "closed": "close_date", "stage": "deal_stage", "amount": "close_value",
                   "product": "product"}),
], ids=["salesforce", "hubspot", "plain", "sales-agent"])
def test_each_spelling_family_is_recognised(tmp_path, text, expected) -> None:
    export = read_export(write(tmp_path, text), as_of=AS_OF)
    assert export.column_map == expected
    frame = export.opportunities
    assert frame["outcome"].tolist() == ["won", "open", "lost"]
    assert frame["created"].tolist() == [pd.Timestamp(d) for d in
                                         ("2017-01-05", "2017-01-07", "2017-01-09")]
    assert frame["closed"].iloc[0] == pd.Timestamp("2017-02-01")  # times of day dropped
    assert int(frame["amount"].iloc[0]) == 1200


def test_names_match_ignoring_case_spaces_and_underscores(tmp_path) -> None:
    text = SALESFORCE.replace("Opportunity ID", "OPPORTUNITY_ID").replace(
        "Created Date", " created  date").replace("Close Date", "close-date")
    export = read_export(write(tmp_path, text), as_of=AS_OF)
    assert export.column_map["id"] == "OPPORTUNITY_ID"
    assert export.column_map["created"] == "created  date"  # header cells are stripped
    assert export.column_map["closed"] == "close-date"


def test_an_xlsx_export_is_read_with_its_date_cells(tmp_path) -> None:
    frame = pd.DataFrame({
        "Opportunity ID": ["A", "B"], "Account Executive": ["Ann", "Bob"],
        "Created Date": [pd.Timestamp("2017-01-05 10:00"), pd.Timestamp("2017-01-07")],
        "Close Date": [pd.Timestamp("2017-02-01"), None], "Deal Stage": ["Closed Won", "Demo"],
        "Amount": [1200.5, None], "Lost Reason": ["", ""]})
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="Opportunities")
        frame.head(0).to_excel(writer, index=False, sheet_name="Other")
    export = read_export(path, as_of="2017-02-01", won="Closed Won", lost="Demo")
    assert export.column_map["owner"] == "Account Executive"
    assert export.column_map["stage"] == "Deal Stage"
    got = export.opportunities
    assert got["created"].tolist() == [pd.Timestamp("2017-01-05")]  # 10:00 dropped
    assert got["amount"].iloc[0] == 1200.5
    # Demo is read as lost here, and a lost row without a close date is rejected
    assert export.rejected == {"won or lost without a close date": 1}


def test_semicolons_and_windows_1252_text_are_read(tmp_path) -> None:
    text = SALESFORCE.replace(",", ";").replace('"$1;200.50"', "1200 €").replace("Ann", "Anné")
    export = read_export(write(tmp_path, text, encoding="cp1252"), as_of=AS_OF)
    assert export.opportunities["owner"].iloc[0] == "Anné"
    assert any("Windows-1252" in note for note in export.notes)


def test_the_first_spelling_present_wins_and_a_column_serves_one_field(tmp_path) -> None:
    text = ("Deal ID,Deal Name,Owner,Created,Closed,Stage,Close Value,Amount\n"
            "7,Acme,Ann,2017-01-05,2017-02-01,Won,5,1200\n"
            "8,Beta,Ann,2017-01-06,2017-02-01,Lost,5,100\n")
    export = read_export(write(tmp_path, text), as_of="2017-02-01")
    assert export.column_map["id"] == "Deal ID"
    assert export.column_map["amount"] == "Amount"


# --- --columns ------------------------------------------------------------------------------

ODD = """Ref,Rep,Opened,Shut,Phase,Value EUR,Line
1,Ann,2017-01-05,2017-02-01,Closed Won,1200,Pro
2,Bob,2017-01-07,,Qualify,,Basic
3,Ann,2017-01-09,2017-03-15,Closed Lost,300,Pro
"""


def test_columns_maps_other_spellings_from_text_or_a_dict(tmp_path) -> None:
    path = write(tmp_path, ODD)
    text = "id=Ref, owner=Rep,created=Opened,closed=Shut,stage=Phase,amount=value eur"
    export = read_export(path, as_of=AS_OF, columns=text)
    assert export.column_map == {"id": "Ref", "owner": "Rep", "created": "Opened",
                                 "closed": "Shut", "stage": "Phase", "amount": "Value EUR"}
    assert export.opportunities["amount"].iloc[2] == 300.0
    mapping = dict(parse_columns(text), product="Line")
    assert read_export(path, as_of=AS_OF, columns=mapping).opportunities[
        "product"].tolist() == ["Pro", "Basic", "Pro"]


def test_columns_override_beats_a_recognised_spelling(tmp_path) -> None:
    text = SALESFORCE.replace("Lead Source", "Campaign")
    export = read_export(write(tmp_path, text), as_of=AS_OF, columns="source=Campaign")
    assert export.column_map["source"] == "Campaign"


@pytest.mark.parametrize(("text", "expected"), [
    ("owner", "simrev: --columns: 'owner': no '='; expected --columns FIELD=COLUMN,..., e.g. "
              "--columns owner=Rep,created=CreatedDate"),
    ("ownr=Rep", "simrev: --columns: 'ownr': not a field; expected one of id, owner, created, "
                 "closed, stage, amount, product, source; did you mean 'owner'?"),
    ("owner=", "simrev: --columns: 'owner=': no column named; expected --columns "
               "FIELD=COLUMN,..., e.g. --columns owner=Rep,created=CreatedDate"),
    ("owner=A,owner=B", "simrev: --columns: 'owner': a field mapped twice; expected each field "
                        "at most once"),
])
def test_bad_columns_text_is_one_line(text, expected) -> None:
    with pytest.raises(CrmError) as caught:
        parse_columns(text)
    assert str(caught.value) == expected


def test_columns_naming_a_column_not_in_the_file(tmp_path) -> None:
    path = write(tmp_path, ODD)
    assert message(path, columns="owner=Reps") == (
        f"{path}: --columns owner: 'Reps': no such column; columns found: 'Ref', 'Rep', "
        "'Opened', 'Shut', 'Phase', 'Value EUR', 'Line'; did you mean 'Rep'?")


# --- stages ---------------------------------------------------------------------------------

STAGES = """id,owner,created,closed,stage,amount
1,Ann,2017-01-05,2017-03-15,Signed,1200
2,Bob,2017-01-07,2017-02-03,Dead,
3,Ann,2017-01-09,2017-02-05,Stalled,300
4,Ann,2017-01-09,2017-02-05,Discovery,300
"""


def test_won_and_lost_words_name_stages_case_insensitively(tmp_path) -> None:
    export = read_export(write(tmp_path, STAGES), as_of=AS_OF, won="signed",
                         lost=["DEAD", " stalled "])
    assert export.stages == {"Signed": "won", "Dead": "lost", "Stalled": "lost",
                             "Discovery": "open"}
    assert export.opportunities["outcome"].tolist() == ["won", "lost", "lost", "open"]
    assert parse_stages("Closed Won, Signed") == ["Closed Won", "Signed"]


def test_the_usual_stage_names_are_recognised_without_won_or_lost(tmp_path) -> None:
    text = STAGES.replace("Signed", "closedwon").replace("Dead", "Closed-Lost")
    export = read_export(write(tmp_path, text), as_of=AS_OF)
    assert export.stages == {"closedwon": "won", "Closed-Lost": "lost", "Stalled": "open",
                             "Discovery": "open"}
    assert export.notes[:2] == [
        "stages read as won by default: 'closedwon' (--won names them)",
        "stages read as lost by default: 'Closed-Lost' (--lost names them)"]


def test_a_won_word_matching_no_stage_is_an_error_with_the_stages_found(tmp_path) -> None:
    path = write(tmp_path, STAGES)
    assert message(path, won="Signd", lost="Dead") == (
        f"{path}: --won: 'Signd': matches no stage; stages found in column 'stage': 'Signed', "
        "'Dead', 'Stalled', 'Discovery'; did you mean 'Signed'?")


def test_no_stage_recognised_as_won_asks_for_won(tmp_path) -> None:
    path = write(tmp_path, STAGES)
    assert message(path, lost="Dead") == (
        f"{path}: --won: no stage recognised as won; stages found in column 'stage': 'Signed', "
        "'Dead', 'Stalled', 'Discovery'; expected --won STAGE[,STAGE]")


def test_a_stage_both_won_and_lost_is_an_error(tmp_path) -> None:
    path = write(tmp_path, STAGES)
    assert message(path, won="Signed", lost="Dead,signed") == (
        f"{path}: --lost: 'Signed': a stage both won and lost; expected each stage in --won or "
        "--lost, not both")


def test_an_empty_stage_word_is_an_error() -> None:
    with pytest.raises(CrmError) as caught:
        parse_stages("Won,,Signed", "--won")
    assert str(caught.value) == ("simrev: --won: 'Won,,Signed': an empty stage name; expected "
                                 "--won STAGE[,STAGE]")


# --- as of ----------------------------------------------------------------------------------

CUT = """id,owner,created,closed,stage,amount
1,Ann,2017-01-05,2017-02-01,Closed Won,100
2,Ann,2017-01-05,2017-03-31,Closed Won,200
3,Bob,2017-02-01,2017-04-01,Closed Lost,
4,Bob,2017-03-01,2017-05-02,Closed Won,400
5,Bob,2017-04-01,2017-04-20,Closed Lost,
6,Ann,2017-04-02,2017-04-20,Closed Won,600
7,Ann,2017-05-01,,Proposal,700
"""


def test_only_what_was_knowable_at_as_of_is_used(tmp_path) -> None:
    export = read_export(write(tmp_path, CUT), as_of="2017-04-01")
    frame = export.opportunities.set_index("id")
    assert frame.index.tolist() == ["1", "2", "3", "4", "5"]
    assert frame.loc[["1", "2", "3"], "outcome"].tolist() == ["won", "won", "lost"]
    # closed on the cut day is known; closed after it is still open, its stage kept
    assert frame.loc["3", "closed"] == pd.Timestamp("2017-04-01")
    assert frame.loc[["4", "5"], "outcome"].tolist() == ["open", "open"]
    assert frame.loc[["4", "5"], "closed"].isna().all()
    assert frame.loc[["4", "5"], "stage"].tolist() == ["Closed Won", "Closed Lost"]
    assert frame.loc["4", "amount"] == 400.0
    assert export.rejected == {"created after --as-of": 2}
    assert "2 opportunities won or lost after --as-of are open at the cut" in export.notes


def test_as_of_accepts_dates_and_timestamps(tmp_path) -> None:
    from datetime import date

    path = write(tmp_path, CUT)
    assert read_export(path, as_of=date(2017, 4, 1)).as_of == pd.Timestamp("2017-04-01")
    assert read_export(path, as_of=pd.Timestamp("2017-04-01 13:00")).as_of == \
        pd.Timestamp("2017-04-01")


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2016-12-31", "--as-of: '2016-12-31': before the first created date in the export "
                   "(2017-01-05); expected a date from 2017-01-05 to 2017-05-02"),
    ("2017-05-03", "--as-of: '2017-05-03': after the export's last created or close date "
                   "(2017-05-02); expected a date from 2017-01-05 to 2017-05-02"),
    ("2017-13-01", "--as-of: '2017-13-01': expected a date YYYY-MM-DD"),
    ("yesterday", "--as-of: 'yesterday': expected a date YYYY-MM-DD"),
])
def test_an_as_of_outside_the_history_is_an_error(tmp_path, as_of, expected) -> None:
    path = write(tmp_path, CUT)
    assert message(path, as_of=as_of) == f"{path}: {expected}"


# --- rejected rows --------------------------------------------------------------------------

REJECTS = """id,owner,created,closed,stage,amount
ok1,Ann,2017-01-05,2017-02-01,Closed Won,100
nocreated,Ann,,2017-02-01,Closed Won,100
late,Ann,2017-05-01,,Proposal,100
,Ann,2017-01-05,2017-02-01,Closed Won,100
noowner,,2017-01-05,2017-02-01,Closed Won,100
nostage,Ann,2017-01-05,2017-02-01,,100
word,Ann,2017-01-05,2017-02-01,Closed Won,ten
negative,Ann,2017-01-05,2017-02-01,Closed Won,-5
noclose,Ann,2017-01-05,,Closed Lost,
backwards,Ann,2017-03-05,2017-02-01,Closed Won,100
twin,Bob,2017-01-06,,Proposal,N/A
twin,Bob,2017-01-06,,Proposal,N/A
clash,Bob,2017-01-06,,Proposal,
clash,Ann,2017-01-06,,Proposal,
ok2,Bob,2017-01-06,,Proposal,
"""


def test_each_rejection_reason_is_counted(tmp_path) -> None:
    export = read_export(write(tmp_path, REJECTS), as_of=AS_OF)
    assert export.rejected == {reason: 1 if reason != "duplicate id" else 2
                               for reason in crm.REASONS}
    assert export.opportunities["id"].tolist() == ["ok1", "twin", "ok2"]
    assert np.isnan(export.opportunities["amount"].iloc[1])  # "N/A" is unknown, not bad
    total = len(export.opportunities) + sum(export.rejected.values())
    assert total == len(REJECTS.strip().splitlines()) - 1  # nothing silently dropped


def test_a_won_row_without_an_amount_is_kept_as_a_win_of_unknown_size(tmp_path) -> None:
    text = SALESFORCE.replace('"$1,200.50"', "")
    export = read_export(write(tmp_path, text), as_of=AS_OF)
    assert export.opportunities["outcome"].iloc[0] == "won"
    assert np.isnan(export.opportunities["amount"].iloc[0])
    assert "1 won opportunities have no amount: kept as wins of unknown size" in export.notes


@pytest.mark.parametrize(("cell", "value"), [
    ('"$1,200.50"', 1200.5), ("1200", 1200.0), ("EUR 300", 300.0), ("300 USD", 300.0),
    ("(50)", None), ('"1.200,50"', None), ('"12,5"', None), ("1e5", None), ("inf", None),
    ("-", float("nan")), ("null", float("nan")),
])
def test_amount_spellings(tmp_path, cell, value) -> None:
    text = SALESFORCE.replace('"$1,200.50"', cell)
    export = read_export(write(tmp_path, text), as_of=AS_OF)
    amount = export.opportunities.set_index("id")["amount"]
    if value is None:  # not a number, or negative: the row is rejected and counted
        assert "006A" not in amount.index and sum(export.rejected.values()) == 1
    elif np.isnan(value):
        assert np.isnan(amount["006A"])
    else:
        assert amount["006A"] == value


def test_no_usable_rows_is_an_error_with_the_counts(tmp_path) -> None:
    text = "id,owner,created,closed,stage,amount\n" \
           ",Ann,2017-01-05,2017-02-01,Closed Won,1\n" \
           "2,Ann,2017-01-05,2017-02-01,Closed Lost,x\n"
    path = write(tmp_path, text)
    assert message(path, as_of="2017-02-01") == (
        f"{path}: no usable opportunities (1 no id, 1 amount not a number); expected rows "
        "with an id, owner, created date on or before --as-of and a stage")


# --- bad files ------------------------------------------------------------------------------

def test_a_missing_required_column_lists_the_columns_found(tmp_path) -> None:
    path = write(tmp_path, SALESFORCE.replace("Opportunity Owner", "Opp Ownr"))
    assert message(path) == (
        f"{path}: owner: no column for owner; columns found: 'Opportunity ID', 'Opp Ownr', "
        "'Created Date', 'Close Date', 'Stage', 'Amount', 'Product', 'Lead Source'; did you "
        "mean --columns owner=Opp Ownr?; expected a column named like 'Opportunity Owner', "
        "'Deal Owner', 'hubspot_owner_id', 'owner' or --columns owner=COLUMN")


def test_several_missing_columns_are_named_together(tmp_path) -> None:
    path = write(tmp_path, "a,b\n1,2\n")
    assert message(path).startswith(
        f"{path}: id, owner, created, closed, stage, amount: no column for id and owner and "
        "created and closed and stage and amount; columns found: 'a', 'b'; expected")


def test_a_date_column_that_does_not_parse_names_its_first_bad_row(tmp_path) -> None:
    text = SALESFORCE.replace("2017-01-07", "next week").replace("2017-01-09", "2017-13-45")
    path = write(tmp_path, text)
    assert message(path) == (
        f"{path}: column 'Created Date', row 3: 'next week': expected dates as YYYY-MM-DD "
        "(ISO, a time allowed), M/D/YYYY or epoch milliseconds")


def test_a_long_bad_value_is_truncated(tmp_path) -> None:
    text = SALESFORCE.replace("2017-01-07", "x" * 500)
    line = message(write(tmp_path, text))
    assert "x" * 38 not in line and "x" * 37 + "..." in line


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "the file is empty"),
    (b"  \n\n", "the file is empty"),
    (b"id,owner,created,closed,stage,amount\n", "a header row and no data rows"),
    (b"a,b\n1,2\n3,4,5\n", "row 3 has more fields than the header row"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary contents, not CSV text"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "an old Excel .xls workbook; save it "
                                                      "as .xlsx or CSV"),
    (b"PK\x03\x04garbage", "not a readable xlsx workbook (BadZipFile)"),
])
def test_a_file_that_is_not_an_export_is_one_line(tmp_path, content, expected) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    assert message(path) == f"{path}: {expected}; expected a CRM opportunity export (CSV or " \
                            "xlsx)"


def test_a_missing_file_or_a_folder_is_one_line(tmp_path) -> None:
    missing = tmp_path / "nope.csv"
    assert message(missing) == (f"{missing}: no such file ({missing}); expected a CRM "
                                "opportunity export (CSV or xlsx)")
    assert message(tmp_path) == (f"{tmp_path}: {tmp_path} is a directory, not a regular file; "
                                 "expected a CRM opportunity export (CSV or xlsx)")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_one_line(tmp_path) -> None:
    path = write(tmp_path, SALESFORCE)
    path.chmod(0)
    try:
        assert message(path) == (f"{path}: cannot read {path} (permission denied); expected "
                                 "a CRM opportunity export (CSV or xlsx)")
    finally:
        path.chmod(0o600)


def test_files_over_the_caps_are_refused(tmp_path, monkeypatch) -> None:
    path = write(tmp_path, SALESFORCE)
    monkeypatch.setattr(crm, "MAX_EXPORT_BYTES", 100)
    size = path.stat().st_size
    assert message(path) == (f"{path}: {path} holds {size:,} bytes, over the cap of 0 MiB; "
                             "expected a CRM opportunity export (CSV or xlsx)")
    monkeypatch.setattr(crm, "MAX_EXPORT_BYTES", 1 << 20)
    monkeypatch.setattr(crm, "MAX_ROWS", 2)
    assert message(path) == (f"{path}: more than 2 rows, over the cap; expected a CRM "
                             "opportunity export (CSV or xlsx)")


def test_the_caps_are_generous() -> None:
    assert crm.MAX_EXPORT_BYTES >= 200 << 20 and crm.MAX_ROWS >= 1_000_000


# --- a large export -------------------------------------------------------------------------

def test_a_100000_row_export_is_read(tmp_path) -> None:
    from benchmarks.crm_read import AS_OF, write_export

    path = write_export(tmp_path / "big.csv", 100_000)
    export = read_export(path, as_of=AS_OF)
    assert len(export.opportunities) + sum(export.rejected.values()) == 100_000
    assert set(export.rejected) == {"created after --as-of"}
    assert set(export.opportunities["outcome"]) == {"won", "lost", "open"}
    assert export.opportunities["amount"].notna().all()


# --- roster ---------------------------------------------------------------------------------

def test_a_roster_is_read_in_its_usual_spellings(tmp_path) -> None:
    path = write(tmp_path, "Sales Agent,Hire Date,Termination Date,Title\n"
                           "Ann,03/01/2016,,AE\nBob,06/15/2016,01/31/2017,SDR\n", "roster.csv")
    roster = read_roster(path)
    assert list(roster.columns) == ["seller", "start", "leave", "role"]
    assert roster["seller"].tolist() == ["Ann", "Bob"]
    assert roster["start"].tolist() == [pd.Timestamp("2016-03-01"), pd.Timestamp("2016-06-15")]
    assert pd.isna(roster["leave"].iloc[0]) and roster["leave"].iloc[1] == \
        pd.Timestamp("2017-01-31")
    assert roster["role"].tolist() == ["AE", "SDR"]
    bare = read_roster(write(tmp_path, "seller,start\nAnn,2016-03-01\n", "bare.csv"))
    assert bare["role"].tolist() == [""] and bare["leave"].isna().all()
    assert str(bare["leave"].dtype) == "datetime64[ns]"


@pytest.mark.parametrize(("text", "expected"), [
    ("seller,start\n,2016-01-01\n", "column 'seller', row 2: '': no seller; expected a name "
                                    "on every row"),
    ("seller,start\nAnn,\n", "column 'start', row 2: '': no start date; expected the date each "
                             "seller started"),
    ("seller,start,leave\nAnn,2016-05-01,2016-04-01\n", "column 'leave', row 2: '2016-04-01': "
     "a leave date before the start date; expected leave on or after start"),
    ("seller,start\nAnn,2016-01-01\nAnn,2016-02-01\n", "column 'seller', row 3: 'Ann': a "
     "seller listed twice; expected one row per seller"),
    ("seller,start\nAnn,soon\n", "column 'start', row 2: 'soon': expected dates as YYYY-MM-DD "
     "(ISO, a time allowed), M/D/YYYY or epoch milliseconds"),
])
def test_a_bad_roster_row_is_one_line(tmp_path, text, expected) -> None:
    path = write(tmp_path, text, "roster.csv")
    with pytest.raises(CrmError) as caught:
        read_roster(path)
    assert str(caught.value) == f"{path}: {expected}"


def test_a_roster_without_a_start_column_is_one_line(tmp_path) -> None:
    path = write(tmp_path, "seller,team\nAnn,East\n", "roster.csv")
    with pytest.raises(CrmError) as caught:
        read_roster(path)
    assert str(caught.value).startswith(
        f"{path}: start: no column for start; columns found: 'seller', 'team'; expected a "
        "seller roster with a column named like 'start', 'Start Date', 'Hire Date', 'Hired'")


def test_docs_list_every_spelling_and_reason() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "crm.md").read_text("utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line for line in doc.splitlines()
            if line.startswith("| `")}
    for aliases in (crm.ALIASES, crm.ROSTER_ALIASES):
        for name, spellings in aliases.items():
            assert ", ".join(spellings) in rows[name], name
    for reason in crm.REASONS:
        assert reason.split()[-1] in doc
    assert f"{crm.MAX_EXPORT_BYTES >> 20} MiB and {crm.MAX_ROWS:,} rows" in doc


def test_an_amount_of_0_on_a_deal_open_at_the_cut_is_unknown(tmp_path) -> None:
    """A loss after the cut shows its final 0 (as exports put 0 on lost deals): it was not
    a known size at the cut. A 0 on a deal closed by the cut stays 0."""
    text = CUT.replace("4,Bob,2017-03-01,2017-05-02,Closed Won,400",
                       "4,Bob,2017-03-01,2017-05-02,Closed Lost,0").replace(
                       "3,Bob,2017-02-01,2017-04-01,Closed Lost,", "3,Bob,2017-02-01,"
                       "2017-04-01,Closed Lost,0")
    export = read_export(write(tmp_path, text), as_of="2017-04-01")
    frame = export.opportunities.set_index("id")
    assert math.isnan(frame.loc["4", "amount"]) and frame.loc["3", "amount"] == 0.0
    assert ("1 opportunities open at the cut with an amount of 0: amount unknown (drawn from "
            "the deal size if won)") in export.notes
