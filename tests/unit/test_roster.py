"""Class rosters from CSV and YAML: defaults, precedence and every error with its line, no daemon."""

from __future__ import annotations

from pathlib import Path

import pytest

from snaplab.classroom import roster
from snaplab.errors import ExitCode, SnaplabError

GOOD_CSV = """\
id,name,target,project,backend,instance
kim,김민지,local,,,
lee,이서준,https://127.0.0.1:8443,,incus,
park,박지호,local,shared,lxd,web-1
"""

GOOD_YAML = """\
class: ko101            # the class name
defaults: {backend: incus, instance: lab-box}
learners:
  - {id: kim, name: 김민지, target: local}
  - {id: lee, name: 이서준, target: "https://127.0.0.1:8443", project: default, backend: lxd}
  - id: choi
    name: 최유나
    target: local
    instance: own-box
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error(path: Path, **kwargs: str) -> str:
    with pytest.raises(SnaplabError) as caught:
        roster.load(path, **kwargs)
    assert caught.value.code == ExitCode.USAGE
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def csv_error(tmp_path: Path, *rows: str) -> str:
    header = "id,name,target,project,backend,instance\n"
    return error(write(tmp_path, "ko101.csv", header + "".join(r + "\n" for r in rows)))


# -- good rosters ------------------------------------------------------------------


def test_good_csv_takes_defaults_from_class_and_target(tmp_path):
    r = roster.load(write(tmp_path, "ko101.csv", GOOD_CSV))
    assert r.name == "ko101" and [x.id for x in r.learners] == ["kim", "lee", "park"]
    kim, lee, park = r.learners
    assert kim == roster.Learner("kim", "김민지", "lxd", "ubuntu-test", "ko101-kim", None, 2)
    assert kim.target == "local"
    assert (lee.url, lee.target, lee.project, lee.backend) == (
        "https://127.0.0.1:8443",
        "https://127.0.0.1:8443",
        "default",
        "incus",
    )
    assert (park.project, park.instance, park.line) == ("shared", "web-1", 4)
    assert r.local() == (kim, park)
    assert lee.to_dict() == {
        "id": "lee",
        "name": "이서준",
        "target": "https://127.0.0.1:8443",
        "project": "default",
        "backend": "incus",
        "instance": "ubuntu-test",
    }


def test_csv_columns_in_any_order_and_optional_ones_absent(tmp_path):
    path = write(tmp_path, "ko101.csv", "target,name,id\nlocal,김민지,kim\n")
    (kim,) = roster.load(path, backend="incus", instance="lab-box").learners
    assert (kim.id, kim.name, kim.backend, kim.instance) == ("kim", "김민지", "incus", "lab-box")


def test_yaml_precedence_row_then_defaults_then_arguments(tmp_path):
    path = write(tmp_path, "roster.yaml", GOOD_YAML)
    r = roster.load(path, backend="lxd", instance="arg-box")
    assert r.name == "ko101"  # class: beats the file's stem
    kim, lee, choi = r.learners
    assert (kim.backend, kim.instance, kim.project, kim.line) == (
        "incus",
        "lab-box",
        "ko101-kim",
        4,
    )
    assert (lee.backend, lee.project, lee.url) == ("lxd", "default", "https://127.0.0.1:8443")
    assert (choi.instance, choi.line) == ("own-box", 6)


def test_yaml_without_defaults_uses_arguments_then_lxd(tmp_path):
    path = write(tmp_path, "ko101.yml", "learners:\n  - {id: kim, name: 김민지, target: local}\n")
    (kim,) = roster.load(path, backend="incus", instance="arg-box").learners
    assert (kim.backend, kim.instance) == ("incus", "arg-box")
    (kim,) = roster.load(path).learners
    assert (kim.backend, kim.instance) == ("lxd", "ubuntu-test")


def test_yaml_values_are_taken_as_written(tmp_path):
    path = write(tmp_path, "ko101.yaml", "learners:\n  - {id: 007, name: No, target: local}\n")
    (bond,) = roster.load(path).learners
    assert (bond.id, bond.name, bond.project) == ("007", "No", "ko101-007")


def test_korean_names_survive_a_spreadsheet_bom(tmp_path):
    path = tmp_path / "ko101.csv"
    path.write_bytes("id,name,target\nkim,김민지,local\n".encode("utf-8-sig"))
    (kim,) = roster.load(path).learners
    assert (kim.id, kim.name) == ("kim", "김민지")


def test_name_argument_beats_class_and_stem(tmp_path):
    r = roster.load(write(tmp_path, "roster.yaml", GOOD_YAML), name="ko102")
    assert r.name == "ko102" and r.learners[0].project == "ko102-kim"


def test_comment_and_blank_lines_are_skipped_but_counted(tmp_path):
    text = "# class ko101\n\nid,name,target\n# kim left\n\nlee,이서준,local\n,,\nbad id,x,local\n"
    message = error(write(tmp_path, "ko101.csv", text))
    assert "(1 errors)" in message and "line 8: invalid id 'bad id'" in message
    (lee,) = roster.load(write(tmp_path, "ko101.csv", text.rsplit("bad", 1)[0])).learners
    assert (lee.id, lee.line) == ("lee", 6)


def test_a_quoted_newline_does_not_shift_line_numbers(tmp_path):
    text = 'id,name,target\nkim,"김\n민지",local\nlee,이서준,http://h\n'
    message = error(write(tmp_path, "ko101.csv", text))
    assert "line 4: target 'http://h' is not accepted" in message


def test_good_urls_are_canonical(tmp_path):
    targets = ["https://Example.org", "https://[::1]:9443/", "HTTPS://h.example:8443/"]
    rows = "".join(f"u{i},n,{t}\n" for i, t in enumerate(targets))
    r = roster.load(write(tmp_path, "ko101.csv", "id,name,target\n" + rows))
    assert [x.url for x in r.learners] == [
        "https://example.org:8443",
        "https://[::1]:9443",
        "https://h.example:8443",
    ]
    assert r.local() == ()


# -- errors, each with its line ----------------------------------------------------


@pytest.mark.parametrize(
    "row, expected",
    [
        ("kim/x,n,local,,,", "line 2: invalid id 'kim/x'"),
        ("kim,,local,,,", "line 2: missing name"),
        (",n,local,,,", "line 2: missing id"),
        ("kim,n,,,,", "line 2: missing target"),
        ("kim,n,local,,docker,", "line 2: backend 'docker' is not lxd or incus"),
        ("kim,n,local,,,9box", "line 2: invalid instance name '9box'"),
        ("kim,n,local,-p,,", "line 2: invalid project '-p'"),
        ("kim,n,local,,,,extra", "line 2: 7 cells, the header has 6 columns"),
    ],
)
def test_each_row_error_names_its_line(tmp_path, row, expected):
    message = csv_error(tmp_path, row)
    assert message.startswith(f"{tmp_path / 'ko101.csv'} is not a valid roster (1 errors): ")
    assert expected in message


@pytest.mark.parametrize(
    "bad",
    [
        "http://h",
        "ftp://h",
        "localhost",
        "Local",
        "https://h/path",
        "https://h:0",
        "https://h:70000",
        "https://h:abc",
        "https://h:",
        "https://",
        "https://:8443",
        "https://user:pw@h",
        "https://h?x=1",
        "https://h#top",
        "https://[::1",
        "https://h x",
    ],
)
def test_bad_urls_are_named_with_what_is_accepted(tmp_path, bad):
    message = csv_error(tmp_path, f"kim,n,{bad},,,")
    assert f"line 2: target {bad!r} is not accepted: use local or https://HOST[:PORT]" in message


def test_several_errors_are_reported_at_once_in_line_order(tmp_path):
    message = csv_error(
        tmp_path, "kim,n,local,,,", "Bad!,n,local,,,", "lee,,http://h,,,", "ok,n,local,,,"
    )
    assert "(3 errors)" in message
    body = message.split(": ", 1)[1]
    assert body.index("line 3: invalid id") < body.index("line 4: missing name")
    assert body.index("line 4: missing name") < body.index("line 4: target 'http://h'")


def test_duplicate_ids_are_caught_whatever_their_case(tmp_path):
    message = csv_error(tmp_path, "kim,a,local,,,", "lee,b,local,,,", "KIM,c,https://h,,,")
    assert "(1 errors)" in message
    assert "line 4: duplicate id 'KIM' (first on line 2)" in message


def test_same_container_is_refused(tmp_path):
    message = csv_error(
        tmp_path,
        "kim,a,https://h:8443,,,",
        "lee,b,local,shared,,",
        "park,c,https://H,,,",
        "choi,d,local,shared,,",
        "jung,e,local,shared,,other",
        "han,f,local,shared,incus,",
    )
    assert "(2 errors)" in message
    assert (
        "line 4: learner 'park' has the same container as 'kim' (line 2): "
        "give one a different project or instance" in message
    )
    assert "line 5: learner 'choi' has the same container as 'lee' (line 3)" in message


def test_rows_that_would_share_a_state_directory_are_refused(tmp_path):
    """Project a-b with instance c and project a with instance b-c name one directory."""
    message = csv_error(tmp_path, "kim,a,local,a-b,,c", "lee,b,local,a,,b-c")
    assert "line 3: learner 'lee' has the same container as 'kim' (line 2)" in message


def test_yaml_errors_name_the_line_of_the_value(tmp_path):
    text = """\
class: ko101
defaults:
  backend: docker
learners:
  - id: kim
    name: 김민지
    target: http://h
  - just a name
  - {id: lee, name: [a, b], target: local, email: x}
  - {id: park, name: p, target: local, id: again}
"""
    message = error(write(tmp_path, "ko101.yaml", text))
    assert "(6 errors)" in message
    assert "line 3: defaults: backend 'docker' is not lxd or incus" in message
    assert "line 7: target 'http://h' is not accepted" in message
    assert "line 8: a learner is a mapping" in message
    assert "line 9: name must be a single value" in message
    assert "line 9: unknown key 'email'" in message
    assert "line 10: key 'id' appears twice" in message


def test_csv_header_errors(tmp_path):
    message = error(write(tmp_path, "ko101.csv", "id,name,target,email,id\nkim,n,local,x,y\n"))
    assert "(2 errors)" in message
    assert (
        "line 1: unknown column 'email'" in message
        and "line 1: column 'id' appears twice" in message
    )
    message = error(write(tmp_path, "ko101.csv", "id,target\nkim,local\n"))
    assert "line 1: the header lacks name" in message


# -- class names -------------------------------------------------------------------


def test_an_invalid_file_stem_asks_for_a_name(tmp_path):
    path = write(tmp_path, "Korean 101.csv", GOOD_CSV)
    message = error(path)
    assert "'Korean 101'" in message and "--name NAME" in message and "class:" in message
    assert roster.load(path, name="ko101").name == "ko101"


def test_an_invalid_class_key_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, "ko101.yaml", GOOD_YAML.replace("class: ko101", "\nclass: KO_101"))
    assert "line 2: invalid class name 'KO_101'" in error(path)


@pytest.mark.parametrize("name", ["KO101", "", "-ko", "a" * 25])
def test_an_invalid_name_argument_is_refused(tmp_path, name):
    message = error(write(tmp_path, "ko101.csv", GOOD_CSV), name=name)
    assert f"invalid class name {name!r}" in message


def test_a_project_made_too_long_is_reported(tmp_path):
    path = write(tmp_path, "ko101.csv", f"id,name,target\n{'k' * 60},n,local\n")
    message = error(path, name="c" * 24)
    assert "line 2: invalid project" in message and "set project" in message


# -- files that are not rosters ----------------------------------------------------


def test_files_that_are_not_rosters(tmp_path):
    assert "no such file" in error(tmp_path / "gone.csv").lower()
    assert "a roster is a .csv, .yaml or .yml file" in error(write(tmp_path, "ko101.txt", GOOD_CSV))
    assert "is not valid YAML" in error(write(tmp_path, "ko101.yaml", "learners: [\n"))
    assert "is not a roster" in error(write(tmp_path, "ko101.yaml", "- kim\n"))
    assert "is not a roster" in error(write(tmp_path, "ko101.yaml", "learners: kim\n"))
    bad_bytes = tmp_path / "ko101.csv"
    bad_bytes.write_bytes("id,name,target\nkim,김민지,local\n".encode("cp949"))
    assert "is not UTF-8" in error(bad_bytes)


@pytest.mark.parametrize(
    "name, text",
    [
        ("ko101.csv", "id,name,target\n"),
        ("ko101.csv", ""),
        ("ko101.yaml", ""),
        ("ko101.yaml", "class: ko101\n"),
        ("ko101.yaml", "learners: []\n"),
    ],
)
def test_an_empty_roster_is_refused(tmp_path, name, text):
    assert "lists no learners" in error(write(tmp_path, name, text))


def test_bad_arguments_are_refused(tmp_path):
    path = write(tmp_path, "ko101.csv", GOOD_CSV)
    assert "backend 'docker' is not lxd or incus" in error(path, backend="docker")
    assert "invalid instance name 'bad_box'" in error(path, instance="bad_box")


# -- lookup ------------------------------------------------------------------------


def test_get_is_case_insensitive_and_names_the_count_when_unknown(tmp_path):
    r = roster.load(write(tmp_path, "ko101.csv", GOOD_CSV))
    assert r.get("KIM").name == "김민지"
    with pytest.raises(SnaplabError) as caught:
        r.get("nobody")
    assert caught.value.code == ExitCode.USAGE
    assert "'nobody'" in str(caught.value) and "(3 learners)" in str(caught.value)
    assert str(r.path) in str(caught.value)
