"""`make up` / `make down` / `make logs` choose the stack: docker compose when an engine answers, the
embedded stack otherwise (saying why). The compose calls are replaced by recorders here: with no
engine on this machine, `compose up` itself cannot run (test_compose_module covers its refusal)."""

from __future__ import annotations

from typing import Any

import pytest

from awstwin.stack import compose, control


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, resolved: dict[str, Any]) -> list[str]:
    made: list[str] = []
    monkeypatch.setattr(compose, "up", lambda: made.append("compose up"))
    monkeypatch.setattr(compose, "down", lambda: made.append("compose down"))
    monkeypatch.setattr(
        compose, "logs", lambda follow, tail: made.append(f"compose logs {follow} {tail}") or 0
    )
    monkeypatch.setattr(compose, "resolved_config", lambda: resolved)
    monkeypatch.setattr(control, "start_detached", lambda profile: made.append(f"embedded up {profile.name}"))
    monkeypatch.setattr(control, "stop_detached", lambda: made.append("embedded down") or [])
    return made


def test_with_an_engine_up_starts_compose_and_prints_its_addresses(
    monkeypatch: pytest.MonkeyPatch, calls: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(compose, "docker_available", lambda: (True, "Docker engine at unix://x"))
    assert control.up([]) == 0
    assert calls == ["compose up"]
    out = capsys.readouterr().out
    assert "Docker engine at unix://x" in out
    assert "http://127.0.0.1:8080" in out and "postgresql://awsuser@127.0.0.1:5439/dev" in out


def test_without_an_engine_up_says_why_and_starts_the_embedded_stack(
    monkeypatch: pytest.MonkeyPatch, calls: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(compose, "docker_available", lambda: (False, "no Docker engine answers: refused"))
    assert control.up([]) == 0
    assert calls == ["embedded up local"]
    assert "no Docker engine answers: refused; starting the embedded stack instead" in capsys.readouterr().out


def test_a_failing_compose_up_exits_1_with_composes_message(
    monkeypatch: pytest.MonkeyPatch, calls: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse() -> None:
        raise compose.ComposeError("`docker compose up` failed (exit 1): pull access denied")

    monkeypatch.setattr(compose, "docker_available", lambda: (True, "engine"))
    monkeypatch.setattr(compose, "up", refuse)
    assert control.up([]) == 1
    assert "pull access denied" in capsys.readouterr().err


@pytest.mark.parametrize(("compose_up", "expected"), [(True, "compose down"), (False, "embedded down")])
def test_down_stops_whichever_stack_is_up(
    monkeypatch: pytest.MonkeyPatch, calls: list[str], compose_up: bool, expected: str
) -> None:
    monkeypatch.setattr(compose, "is_up", lambda: compose_up)
    assert control.down([]) == 0
    assert calls == [expected]


def test_logs_are_composes_when_it_is_up(monkeypatch: pytest.MonkeyPatch, calls: list[str]) -> None:
    monkeypatch.setattr(compose, "is_up", lambda: True)
    assert control.logs(["--no-follow", "-n", "7"]) == 0
    assert calls == ["compose logs False 7"]
