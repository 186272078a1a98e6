"""Korean and English for every line a learner reads.

Messages are built as `Text` (both languages) and rendered only at the edge,
by `cli.main`, so code below the CLI never needs to know the language.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

LANGS = ("ko", "en")

CATALOG: dict[str, dict[str, str]] = {
    "daemon_down": {
        "en": "{title} is not running (no socket at {path}): run `sudo snaplab host setup --backend {backend}`",
        "ko": "{title} 데몬이 실행 중이 아닙니다({path}에 소켓이 없습니다): `sudo snaplab host setup --backend {backend}`를 실행하세요",
    },
    "daemon_refuses": {
        "en": "{title} is not running ({path} refuses connections): run `sudo snaplab host setup --backend {backend}`",
        "ko": "{title} 데몬이 응답하지 않습니다({path} 연결 거부): `sudo snaplab host setup --backend {backend}`를 실행하세요",
    },
    "socket_denied": {
        "en": "user {user} may not use {path}: run `sudo usermod -aG {group} {user}`, then log out and in again (or `newgrp {group}`)",
        "ko": "사용자 {user}에게 {path} 사용 권한이 없습니다: `sudo usermod -aG {group} {user}`를 실행한 뒤 다시 로그인하세요(또는 `newgrp {group}`)",
    },
    "not_root": {
        "en": "host setup changes the system and must run as root: run `sudo snaplab host setup`",
        "ko": "host setup은 시스템을 변경하므로 root로 실행해야 합니다: `sudo snaplab host setup`을 실행하세요",
    },
    "unknown_lab": {
        "en": "unknown lab {lab!r}: `snaplab labs` lists the labs ({known})",
        "ko": "알 수 없는 실습 {lab!r}입니다: `snaplab labs`로 실습 목록을 확인하세요({known})",
    },
    "bad_name": {
        "en": "invalid {what} name {name!r}: use 1-63 letters, digits and dashes, starting with a letter",
        "ko": "{what} 이름 {name!r}은(는) 올바르지 않습니다: 영문자로 시작하는 1~63자의 영문자, 숫자, 대시를 사용하세요",
    },
    "bad_snapshot_name": {
        "en": "invalid snapshot name {name!r}: any name will do but one with a slash or a space",
        "ko": "스냅샷 이름 {name!r}은(는) 쓸 수 없습니다: 슬래시(/)나 공백만 없으면 어떤 이름이든 됩니다",
    },
    "storage_unknown": {
        "en": "unknown storage driver {storage!r}: choose one of {known}",
        "ko": "알 수 없는 스토리지 드라이버 {storage!r}입니다: {known} 중에서 고르세요",
    },
    "image_unknown": {
        "en": "unknown lab image {image!r}: use busybox, debian or a remote image as REMOTE:ALIAS",
        "ko": "알 수 없는 실습 이미지 {image!r}입니다: busybox, debian 또는 REMOTE:ALIAS 형식의 원격 이미지를 사용하세요",
    },
    "mmdebstrap_failed": {
        "en": "mmdebstrap could not build the Debian image: {reason} (full log: {log})",
        "ko": "mmdebstrap이 데비안 이미지를 만들지 못했습니다: {reason} (전체 로그: {log})",
    },
    "storage_no_zfs": {
        "en": "ZFS is not available on this host (no kernel module, no Debian package here): use --storage btrfs for cheap snapshots",
        "ko": "이 호스트에서는 ZFS를 쓸 수 없습니다(커널 모듈도 데비안 패키지도 없습니다): 빠른 스냅샷에는 --storage btrfs를 사용하세요",
    },
    "storage_switch": {
        "en": "[{backend}] the lab pool is already {current}; switching it to {wanted} would move containers snaplab did not create, so nothing was changed: keep --storage {current}, or set up {wanted} on a fresh host",
        "ko": "[{backend}] 실습 풀은 이미 {current}입니다. {wanted}(으)로 바꾸면 snaplab이 만들지 않은 컨테이너까지 옮겨야 하므로 아무것도 바꾸지 않았습니다: --storage {current}를 유지하거나 새 호스트에서 {wanted}로 설정하세요",
    },
    "wrong_backend": {
        "en": "{where} is {server}, not {backend}: use --backend {server}",
        "ko": "{where}은(는) {backend}이(가) 아니라 {server}입니다: --backend {server}를 사용하세요",
    },
    "interrupted": {
        "en": "interrupted; what snaplab was making is removed, or left for `snaplab finish` / `snaplab start` to handle",
        "ko": "중단되었습니다. 만들던 것은 삭제했거나, `snaplab finish` 또는 `snaplab start`가 처리할 수 있는 상태로 남아 있습니다",
    },
}


@dataclass(frozen=True)
class Text:
    en: str
    ko: str

    def get(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en

    def __str__(self) -> str:
        return self.en

    def __bool__(self) -> bool:
        return bool(self.en or self.ko)

    def __add__(self, other: Text | str) -> Text:
        """Join pieces of a message: a str (a path, a number) goes into both languages."""
        if isinstance(other, Text):
            return Text(self.en + other.en, self.ko + other.ko)
        return Text(self.en + other, self.ko + other)

    def __radd__(self, other: str) -> Text:
        return Text(other + self.en, other + self.ko)


HINT = Text("hint", "힌트")  # the label before a step's hint: check, watch, pytest


def text(key: str, **params: object) -> Text:
    entry = CATALOG[key]
    return Text(entry["en"].format(**params), entry["ko"].format(**params))


def both(en: str, ko: str) -> Text:
    return Text(en, ko)


class HelpText(str):
    """A `--help` string that carries its Korean.

    argparse (and mypy) see the English str; `cli.build_parser` swaps in the Korean
    once it knows the language, so a verb writes its help once, in both languages.
    """

    ko: str

    def __new__(cls, en: str, ko: str) -> HelpText:
        made = super().__new__(cls, en)
        made.ko = ko
        return made


def helptext(en: str, ko: str) -> str:
    return HelpText(en, ko)


def same(words: str) -> Text:
    """What reads the same in both languages: a command, a path, the daemon's own words."""
    return Text(words, words)


def as_text(message: str | Text) -> Text:
    return message if isinstance(message, Text) else same(message)


def detect(flag: str | None = None) -> str:
    """--lang wins, then SNAPLAB_LANG, then the locale; English otherwise."""
    if flag in LANGS:
        return flag
    for var in ("SNAPLAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"
