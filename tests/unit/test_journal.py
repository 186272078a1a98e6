"""The journal as it grows (snaplab/lab/journal.py Reader): each read parses only what was
written since the last, a line still being written waits for its newline, and a journal
that `finish` removed and `start` wrote anew is read afresh."""

from __future__ import annotations

from snaplab.lab.journal import Entry, Reader, Session


def line(note: str, t: str = "2026-12-06T01:00:00Z") -> str:
    return Entry(t=t, kind="recorder", note=note).to_json() + "\n"


def test_a_reader_reads_only_what_was_written_since(tmp_path):
    journal = tmp_path / "journal.jsonl"
    journal.write_text(line("a") + line("b"))
    reader = Reader(journal)
    assert [e.note for e in reader.new()] == ["a", "b"]
    assert reader.new() == []
    with open(journal, "a") as f:
        f.write(line("c") + '{"t": "2026-12-06T01:00:01Z", "kind": "rec')  # being written
    assert [e.note for e in reader.new()] == ["c"]
    with open(journal, "a") as f:
        f.write('order", "note": "d"}\n')
    assert [e.note for e in reader.new()] == ["d"]
    assert [e.note for e in reader.read()] == ["a", "b", "c", "d"]


def test_a_torn_line_is_skipped_and_the_rest_read(tmp_path):
    journal = tmp_path / "journal.jsonl"
    journal.write_text(line("a") + '{"t": "2026-12-06T01:0' + line("b"))
    assert [e.note for e in Reader(journal).read()] == ["a"]
    with open(journal, "a") as f:
        f.write(line("c"))
    assert [e.note for e in Reader(journal).read()] == ["a", "c"]


def test_a_journal_written_anew_is_read_afresh(tmp_path):
    journal = tmp_path / "journal.jsonl"
    journal.write_text(line("old", "2026-12-06T01:00:00Z") * 3)
    reader = Reader(journal)
    assert len(reader.read()) == 3
    journal.unlink()
    assert reader.read() == []  # finished: no journal
    journal.write_text(line("new", "2026-12-06T02:00:00Z") * 5)  # longer than the old one
    assert [e.note for e in reader.read()] == ["new"] * 5
    journal.write_text(line("short", "2026-12-06T03:00:00Z"))  # shorter
    assert [e.note for e in reader.read()] == ["short"]


def test_a_session_reads_its_journal_as_it_grows(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    session = Session("snapshots", "lxd", "default", "h5-unit")
    assert session.entries() == []
    session.append(Entry(t="2026-12-06T01:00:00Z", kind="start"))
    session.append(Entry(t="2026-12-06T01:00:01Z", kind="mark", note="w"))
    assert [e.kind for e in session.entries()] == ["start", "mark"]
    session.append(Entry(t="2026-12-06T01:00:02Z", kind="observe"))
    assert [e.kind for e in session.entries()] == ["start", "mark", "observe"]


def test_checks_quick_way_finds_the_session_the_lab_would(tmp_path, monkeypatch):
    """`check` asks the recorder before loading the lab: the session it names is the one
    session_for names, or none (then it loads the lab, which alone knows its own instance)."""
    from snaplab.lab.journal import quick_session, remember, session_for
    from snaplab.lab.model import load

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    lab = load("snapshots")
    assert quick_session("snapshots", None, None, None) is None  # never started here
    for flags in [("incus", "web", "p1"), (None, "web", None)]:
        assert quick_session("snapshots", *flags) == session_for(lab, *flags)
    remember(Session("snapshots", "incus", "ko101", "mine"))
    for flags in [(None, None, None), ("lxd", None, None), (None, "other", "p2")]:
        assert quick_session("snapshots", *flags) == session_for(lab, *flags)
    assert quick_session("snapshots", None, "bad_name", None) is None  # session_for refuses it
    assert quick_session("snap/../x", None, None, None) is None
