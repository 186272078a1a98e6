"""The live class views' words (class serve's pages, class watch's table), in both languages."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Live class", "class": "Class", "lab": "Lab", "learner": "Learner",
        "name": "Name", "id": "ID", "daemon": "Daemon", "score": "Score", "step": "Step",
        "on_step": "On this step", "last": "Last activity", "status": "Status",
        "stuck": "stuck", "behind": "far behind the class", "complete": "complete",
        "funnel": "Learners past each step", "sort": "Sort", "sort_help": "who needs help",
        "sort_roster": "roster order", "checklist": "Checklist", "timeline": "Timeline",
        "proven": "Proven", "hint": "hint", "none_yet": "nothing yet",
        "back": "the class", "live": "live", "offline": "reconnecting…", "ago": "ago",
        "median": "class median", "steps_done": "steps done", "learners": "learners",
        "began": "Lab began", "stuck_rule": "stuck: no step proven for",
        "notes": "Notes", "pass": "PASS", "fail": "FAIL", "pending": "PENDING",
    },
    "ko": {
        "title": "실시간 수업", "class": "수업", "lab": "실습", "learner": "학습자",
        "name": "이름", "id": "ID", "daemon": "데몬", "score": "점수", "step": "단계",
        "on_step": "이 단계에서", "last": "마지막 활동", "status": "상태",
        "stuck": "막힘", "behind": "수업 중간값보다 많이 뒤처짐", "complete": "완료",
        "funnel": "단계별 통과 학습자 수", "sort": "정렬", "sort_help": "도움이 필요한 순",
        "sort_roster": "명단 순", "checklist": "체크리스트", "timeline": "활동 기록",
        "proven": "증명 시각", "hint": "힌트", "none_yet": "아직 없음",
        "back": "수업 전체", "live": "실시간", "offline": "다시 연결하는 중…", "ago": "전",
        "median": "수업 중간값", "steps_done": "단계 완료", "learners": "명",
        "began": "실습 시작", "stuck_rule": "막힘: 단계 증명 없이",
        "notes": "참고", "pass": "통과", "fail": "실패", "pending": "대기",
    },
}  # fmt: skip
