"""Following a patient: each instrument's scores over the saved screenings, and whether a change reaches
the instrument's minimal important change. Pure: works on saved results (``Result.to_dict()``).

A change counts as important only when it reaches every threshold the instrument gives (PEG: at least 1
point and at least 30% of the earlier score), each with its source; claims go no further than that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from stm_screen.i18n import ngettext


class Visit(NamedTuple):
    """One saved screening of the patient."""

    record: int
    date: str  # ISO, UTC
    level: str | None
    score: float | None  # the screening's own headline score
    ruleset: str


class Point(NamedTuple):
    record: int
    date: str
    value: float
    band: str  # the band's label ('' when none)


class Step(NamedTuple):
    """A change of one score between two screenings."""

    from_record: int
    to_record: int
    before: float
    after: float
    change: float
    percent: float | None  # of the earlier score (None when it was 0)
    direction: str  # better | worse | same | '' (when the score says nothing about which way is better)
    reached: tuple[str, ...]  # the thresholds reached, in words ('1 point (reed2024)')
    missed: tuple[str, ...]  # the thresholds not reached
    important: bool  # every threshold reached (and there is at least one)


class Series(NamedTuple):
    """One score of one instrument across the patient's screenings."""

    id: str
    name: str
    title: str
    module: str
    better: str | None
    low: float
    high: float
    thresholds: tuple[Mapping[str, Any], ...]
    points: tuple[Point, ...]
    steps: tuple[Step, ...]  # between consecutive screenings that both have the score
    overall: Step | None  # from the first to the last
    version: str = ""  # the module's version these screenings were scored under
    split: bool = False  # the same score was also scored under another definition (a separate series)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "module": self.module,
            "version": self.version,
            "better": self.better,
            "min": self.low,
            "max": self.high,
            "important_change": [dict(t) for t in self.thresholds],
            "points": [p._asdict() for p in self.points],
            "changes": [s._asdict() for s in self.steps],
            "overall": self.overall._asdict() if self.overall else None,
        }


def threshold_words(t: Mapping[str, Any]) -> str:
    source = t.get("source") or {}
    sid = source.get("id") if isinstance(source, Mapping) else None
    if t.get("points") is not None:
        points = float(t["points"])
        what = ngettext("{n} point", "{n} points", 1 if points == 1 else 2).format(n=f"{points:g}")
    else:
        what = f"{float(t.get('percent', 0)):g}%"
    return f"{what} ({sid})" if sid else what


def step(a: Point, b: Point, better: str | None, thresholds: Sequence[Mapping[str, Any]]) -> Step:
    change = b.value - a.value
    percent = None if a.value == 0 else 100.0 * change / abs(a.value)
    if change == 0:
        direction = "same"
    elif better in ("lower", "higher"):
        direction = "better" if (change < 0) == (better == "lower") else "worse"
    else:
        direction = ""
    reached: list[str] = []
    missed: list[str] = []
    for t in thresholds:
        if t.get("points") is not None:
            ok = abs(change) >= float(t["points"]) - 1e-9
        else:
            ok = percent is not None and abs(percent) >= float(t.get("percent", 0)) - 1e-9
        (reached if ok else missed).append(threshold_words(t))
    important = bool(thresholds) and not missed and change != 0
    return Step(
        a.record,
        b.record,
        a.value,
        b.value,
        change,
        percent,
        direction,
        tuple(reached),
        tuple(missed),
        important,
    )


def visits(records: Iterable[tuple[int, str, Mapping[str, Any]]]) -> list[Visit]:
    """(record id, saved at, result dict) -> the screenings, oldest first."""
    out = []
    for rid, date, result in records:
        info = result.get("ruleset") or {}
        score = result.get("score")
        out.append(
            Visit(
                rid,
                date,
                result.get("level"),
                score if isinstance(score, int | float) and not isinstance(score, bool) else None,
                f"{info.get('id', '')} {info.get('version', '')}".strip(),
            )
        )
    return sorted(out, key=lambda v: (v.date, v.record))


SeriesKey = tuple[str, str, str, Any, Any]  # module, score, module version, the score's min and max


def trends(records: Iterable[tuple[int, str, Mapping[str, Any]]]) -> list[Series]:
    """Every instrument score found in the saved results, oldest screening first, in the order the
    scores first appear; the definition (name, range, minimal important change) of the latest record.

    A score is compared only with the same score of the same module scored under the same definition (the
    module's version and the score's range): when a module's rules changed between screenings (another
    version, another scale), the scores under each definition are a series of their own, never one change."""
    ordered = sorted(records, key=lambda r: (r[1], r[0]))
    found: dict[SeriesKey, dict[str, Any]] = {}
    points: dict[SeriesKey, list[Point]] = {}
    for rid, date, result in ordered:
        for module in result.get("modules") or []:
            if not isinstance(module, Mapping):
                continue
            mid, version = str(module.get("id", "")), str(module.get("version", ""))
            for line in module.get("scores") or []:
                if not isinstance(line, Mapping) or not line.get("id"):
                    continue
                key: SeriesKey = (mid, str(line["id"]), version, line.get("min"), line.get("max"))
                found[key] = {**line, "module": mid}
                value = line.get("value")
                if isinstance(value, int | float) and not isinstance(value, bool):
                    points.setdefault(key, []).append(
                        Point(rid, date, float(value), str(line.get("band_label") or ""))
                    )
    definitions: dict[tuple[str, str], int] = {}
    for key in found:
        definitions[key[:2]] = definitions.get(key[:2], 0) + 1
    out = []
    for key, line in found.items():
        sid = key[1]
        pts = tuple(points.get(key, []))
        thresholds = tuple(t for t in line.get("important_change") or [] if isinstance(t, Mapping))
        better = line.get("better") if line.get("better") in ("lower", "higher") else None
        steps = tuple(step(a, b, better, thresholds) for a, b in zip(pts, pts[1:], strict=False))
        overall = step(pts[0], pts[-1], better, thresholds) if len(pts) >= 2 else None
        out.append(
            Series(
                sid,
                str(line.get("name") or sid),
                str(line.get("title") or ""),
                line["module"],
                better,
                float(line.get("min") or 0),
                float(line.get("max") or 0),
                thresholds,
                pts,
                steps,
                overall,
                version=key[2],
                split=definitions[key[:2]] > 1,
            )
        )
    return out
