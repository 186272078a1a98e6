"""The one player: how solve, the guide capture and the tests type a lab's commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from snaplab.i18n import Text
from snaplab.lab.model import Command, fill, load, render
from snaplab.lab.player import Line, Player, Typed, fault, script

LAB = load("snapshots")


def test_a_project_goes_after_the_client_and_never_into_snaplab():
    p = Player(project="ko101-s01")
    assert p.argv("lxc snapshot c1 s1") == ["lxc", "--project", "ko101-s01", "snapshot", "c1", "s1"]
    assert Player().argv("lxc info c1") == ["lxc", "info", "c1"]
    assert p.argv("snaplab check snapshots")[1:] == ["check", "snapshots"]
    assert p.argv("snaplab check snapshots")[0] == str(Path(sys.executable).parent / "snaplab")
    # `query` refuses --project: its path names the project (a hint's `lxc query`)
    assert p.argv("incus query -X DELETE /1.0/x?project=p") == [
        "incus", "query", "-X", "DELETE", "/1.0/x?project=p",
    ]  # fmt: skip


def test_a_name_with_a_quote_reaches_the_daemon_as_typed():
    assert Player(user="lxdadmin").argv("lxc snapshot c1 it's") == [
        "runuser", "-u", "lxdadmin", "--", "lxc", "snapshot", "c1", "it's",
    ]  # fmt: skip


def test_a_shell_gets_its_lines_and_the_result_is_kept():
    done = Player().type("cat", ["touch x", "exit"])
    assert done == Typed(0, "touch x\nexit\n", "")


def test_a_hung_command_is_typed_again_once_then_given_up(tmp_path):
    count = tmp_path / "count"
    line = f"sh -c echo>>{count};sleep${{IFS}}5"
    with pytest.raises(subprocess.TimeoutExpired):
        Player(timeout=0.3, retry=True).type(line)
    assert count.read_text().count("\n") == 2
    with pytest.raises(subprocess.TimeoutExpired):
        Player(timeout=0.3).type(line)
    assert count.read_text().count("\n") == 3


def test_fault_judges_the_expected_refusal_and_lets_a_shell_be():
    refusal = "The instance is currently running"
    assert fault(1, f"Error: {refusal}", refusal, shell=False) is None
    assert fault(0, "", refusal, shell=False).en == f"should have failed with {refusal!r}"
    assert fault(1, "Error: no\n", None, shell=False).en == "failed: Error: no"
    assert fault(1, "", None, shell=True) is None  # `ls` in the shell may fail on purpose
    assert fault(0, "", None, shell=False) is None


def test_the_script_is_every_steps_commands_in_order():
    lines = script(LAB, "incus", "c1", "s1")
    assert [x.step for x in lines][:2] == [LAB.steps[0].id, LAB.steps[1].id]
    assert lines[0].text == "incus snapshot create c1 s1"
    assert script(LAB, "lxd", "c1", "s1", LAB.steps[:1])[0].text == "lxc snapshot c1 s1"


PATTERN = "snapshots.pattern \"{instance}{{ creation_date|date:'2006-01-02_15-04-05' }}\""


def test_only_the_labs_own_placeholders_are_filled_and_pongo2_reaches_the_daemon():
    cmd = Command(f"lxc config set {{instance}} {PATTERN}")
    done = render(cmd, {"instance": "web"})
    assert done == (
        "lxc config set web snapshots.pattern \"web{{ creation_date|date:'2006-01-02_15-04-05' }}\""
    )
    assert render(Command("echo {{instance}} {other} {instance}"), {"instance": "web"}) == (
        "echo {{instance}} {other} web"  # doubled braces and unknown names: the lab's text
    )
    said = fill(
        Text("{{ creation_date }} of {instance}", "{instance}의 {{ x }}"), {"instance": "c"}
    )
    assert said == Text("{{ creation_date }} of c", "c의 {{ x }}")


def test_env_assignments_go_before_the_client_and_the_project_after_it():
    p = Player(project="ko101-s01", user="lxdadmin")
    assert p.argv("LXD_DIR=/var/lib/lxd-snapshot lxc list") == [
        "runuser", "-u", "lxdadmin", "--",
        "env", "LXD_DIR=/var/lib/lxd-snapshot", "lxc", "--project", "ko101-s01", "list",
    ]  # fmt: skip
    assert Player().argv("A=1 B=2 lxc info c1") == ["env", "A=1", "B=2", "lxc", "info", "c1"]
    assert Player().argv("lxc config set c1 a=b") == ["lxc", "config", "set", "c1", "a=b"]


def test_env_assignments_reach_the_commands_environment():
    done = Player(env={"PATH": "/usr/bin:/bin"}).type("SNAPLAB_SEEN=yes printenv SNAPLAB_SEEN")
    assert done == Typed(0, "yes\n", "")


def test_a_quoted_value_stays_one_argument_as_a_shell_reads_it():
    cmd = Command('lxc config set {instance} snapshots.schedule "50 20 * * *"')
    assert cmd.quoted
    line = Line("s", cmd, {"instance": "c1"})
    assert Player().argv(line.text, cmd.quoted)[-1] == "50 20 * * *"
    pattern = Command(f"lxc config set {{instance}} {PATTERN}")
    argv = Player().argv(render(pattern, {"instance": "c1"}), pattern.quoted)
    assert argv[-1] == "c1{{ creation_date|date:'2006-01-02_15-04-05' }}"
    done = Player().play(Line("s", Command("printf '%s|' 'a b' c"), {}))
    assert done.stdout == "a b|c|"


def test_a_snapshot_name_with_a_quote_is_still_one_argument():
    [line] = script(LAB, "lxd", "c1", "it's", LAB.steps[:1])
    assert not line.command.quoted  # the template has no quote: the name's own is typed
    assert Player().argv(line.text, line.command.quoted) == ["lxc", "snapshot", "c1", "it's"]


def test_a_saved_value_feeds_the_later_lines_and_the_page_shows_the_declared_one():
    params = {"token": "TOKEN"}
    make = Line("trust", Command("printf Client\\ncafe42\\n\\n", saves="token"), params)
    use = Line("remote", Command("echo remote add {token}"), params)
    assert use.text == "echo remote add TOKEN"  # what the guide page shows
    Player().play(make)
    assert use.text == "echo remote add cafe42"
    assert Player().play(use).stdout == "remote add cafe42\n"


def test_a_heredoc_is_shown_as_a_shell_reads_it_and_typed_with_the_labs_names():
    """Chapter 10's script: the page shows `sudo tee FILE <<'EOF'`, which works pasted into
    a shell, and the player hands the same lines to tee; `$x` stays the shell's."""
    automating = load("automating")
    line = next(x for x in script(automating, "lxd", "c1", "s1") if x.command.heredoc)
    assert line.shown[0] == "sudo tee /usr/local/sbin/refreshcontainers.sh <<'EOF'"
    assert line.shown[-1] == "EOF" and line.shown[1:-1] == line.stdin
    assert (
        "lxc copy --refresh $x lxd-snapshot:$x -c boot.autostart=false --mode=relay"
        in line.stdin[-2]
    )
    assert not line.command.shell  # its exit status is judged: a refused sudo fails the step
    done = Player().type("cat", line.stdin)
    assert done.stdout.splitlines() == list(line.stdin)


def fake_client(tmp_path: Path, listed: str) -> Path:
    """A client whose `stop` fails as LXD 5.0.2's sometimes does, and whose `list` says
    `listed` (a fake for the player's own logic: no daemon is claimed to work here)."""
    client = tmp_path / "fakelxc"
    client.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {tmp_path}/asked\n'
        'case "$1 $3" in\n'
        '  "--project stop") echo "Error: Failed shutting down instance, status is Running: '
        'shutting down the container failed" >&2; exit 1;;\n'
        f'  "--project list") printf "other,RUNNING\\n{listed}\\n";;\n'
        "esac\n"
    )
    client.chmod(0o755)
    return client


def test_a_stop_lxd_says_failed_that_stops_anyway_is_done(tmp_path):
    client = fake_client(tmp_path, "c1,STOPPED")
    done = Player(project="p").type(f"{client} stop c1")
    assert done.returncode == 0 and done.stderr == ""
    assert (tmp_path / "asked").read_text().splitlines()[-1] == "--project p list -c ns -f csv"


def test_a_stop_that_never_stops_stays_failed(tmp_path, monkeypatch):
    monkeypatch.setattr("snaplab.lab.player.STOPPED_WITHIN", 0.5)
    client = fake_client(tmp_path, "c1,RUNNING")
    done = Player(project="p").type(f"{client} stop c1")
    assert done.returncode == 1 and "shutting down the container failed" in done.stderr
    # and any other failure is the command's own
    assert Player(project="p").type(f"{client} stop").returncode == 1
