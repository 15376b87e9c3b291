"""Turning stored records back into results, and checking patient references. Pure: no I/O."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from stm_screen.core.explain import (
    AnswerUsed,
    Change,
    Finding,
    Missing,
    ModuleResult,
    Result,
    ScoreLine,
    ScoreValue,
)
from stm_screen.core.patient import PATIENT_RULE, check_patient_ref

__all__ = ["PATIENT_RULE", "check_patient_ref", "result_from_dict"]


def _build(cls: type[Any], data: Mapping[str, Any], **nested: Any) -> Any:
    names = set(cls._fields) if hasattr(cls, "_fields") else {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    kwargs.update(nested)
    return cls(**kwargs)


def _finding(data: Mapping[str, Any]) -> Finding:
    used = [_build(AnswerUsed, a) for a in data.get("answers") or []]
    finding: Finding = _build(Finding, data, answers=used)
    return finding


def _module(data: Mapping[str, Any]) -> ModuleResult:
    scores = [_build(ScoreLine, s) for s in data.get("scores") or [] if isinstance(s, Mapping)]
    module: ModuleResult = _build(ModuleResult, data, scores=scores)
    return module


def result_from_dict(data: Mapping[str, Any]) -> Result:
    """The :class:`Result` a saved ``Result.to_dict()`` came from (unknown keys are ignored)."""
    findings = {
        key: [_finding(f) for f in data.get(key) or []]
        for key in (
            "red_flags",
            "red_flags_not_ruled_out",
            "findings",
            "criteria_not_met",
            "criteria_undetermined",
        )
    }
    result: Result = _build(
        Result,
        data,
        scores=[_build(ScoreValue, s) for s in data.get("scores") or []],
        missing=[_build(Missing, m) for m in data.get("missing") or []],
        what_would_change=[_build(Change, c) for c in data.get("what_would_change") or []],
        reason=_finding(data["reason"]) if isinstance(data.get("reason"), Mapping) else None,
        modules=[_module(m) for m in data.get("modules") or [] if isinstance(m, Mapping)],
        **findings,
    )
    return result
