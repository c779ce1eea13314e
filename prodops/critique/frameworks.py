"""Roadmap scoring frameworks (pure): rubric, RICE, ICE and WSJF, and custom rubrics.

- ``rubric``: weighted mean of each criterion normalised to 0-1, times 100 (0-100); 1-5 scales, a
  "lower is better" criterion is inverted.
- ``rice``: reach x impact x confidence / effort; reach >= 0 (people per quarter), impact 0-3
  (0.25 minimal ... 3 massive), confidence 0-100 %, effort > 0 (person-months).
- ``ice``: impact x confidence x ease, each 1-10.
- ``wsjf``: (business value + time criticality + risk reduction) / job size, each 1-20.

The default rubric: customer value, alignment to objectives, evidence strength, confidence (each
1-5, higher is better) and effort (1-5, lower is better), all weighted 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from prodops.errors import ParameterError

Kind = Literal["rubric", "rice", "ice", "wsjf"]
KINDS: tuple[Kind, ...] = ("rubric", "rice", "ice", "wsjf")


@dataclass(frozen=True)
class Criterion:
    """One thing reviewers score, on a scale from ``low`` to ``high`` (``high=None``: unbounded)."""

    key: str
    label: str
    weight: float = 1.0
    low: float = 1.0
    high: float | None = 5.0
    lower_is_better: bool = False
    help: str = ""

    def check(self, value: float) -> float:
        """Return *value* as a float, or raise ParameterError when it is outside the scale."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"score {value!r} for {self.label!r} is not a number", fix="Enter a number."
            ) from None
        too_high = self.high is not None and number > self.high
        if math.isnan(number) or number < self.low or too_high:
            scale = f"{self.low:g}-{self.high:g}" if self.high is not None else f">= {self.low:g}"
            raise ParameterError(
                f"score {number:g} for {self.label!r} is outside its scale {scale}",
                fix=f"Enter a value in {scale}.",
            )
        return number

    def normalise(self, value: float, *, upper: float | None = None) -> float:
        """Return *value* on 0-1 (1 = the scale's top; inverted when lower is better).

        An unbounded criterion uses *upper* (e.g. the largest value in a session) as its top.
        """
        high = self.high if self.high is not None else upper
        if high is None or high <= self.low:
            share = 0.0
        else:
            share = min(max((value - self.low) / (high - self.low), 0.0), 1.0)
        return 1.0 - share if self.lower_is_better else share


@dataclass(frozen=True)
class Framework:
    """A way to score an item: its kind, its criteria and (for rubrics) the criteria's weights."""

    kind: Kind
    name: str
    criteria: tuple[Criterion, ...]
    value_keys: tuple[str, ...] = field(default=())
    effort_key: str | None = None
    confidence_key: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.criteria)

    @property
    def bounded(self) -> bool:
        """True when the overall score lies on 0-100 (the rubric)."""
        return self.kind == "rubric"

    def criterion(self, key: str) -> Criterion:
        for c in self.criteria:
            if c.key == key:
                return c
        raise ParameterError(f"unknown criterion {key!r}", fix=f"Use one of {list(self.keys)}.")

    def check(self, values: Mapping[str, Any]) -> dict[str, float]:
        """Return the criterion values as floats, checked against their scales."""
        missing = [c.label for c in self.criteria if values.get(c.key) is None]
        if missing:
            raise ParameterError(
                f"missing score for {', '.join(missing)}", fix="Score every criterion."
            )
        return {c.key: c.check(values[c.key]) for c in self.criteria}

    def score(self, values: Mapping[str, Any]) -> float:
        """Return the overall score of one reviewer's *values* (see the module docstring).

        Rounded to 9 decimals so that equal scores compare equal (60.000000000000014 is 60).
        """
        return round(self._raw_score(self.check(values)), 9)

    def _raw_score(self, v: dict[str, float]) -> float:
        if self.kind == "rubric":
            return rubric_score(self.criteria, v)
        if self.kind == "rice":
            return rice_score(
                reach=v["reach"], impact=v["impact"], confidence=v["confidence"], effort=v["effort"]
            )
        if self.kind == "ice":
            return ice_score(impact=v["impact"], confidence=v["confidence"], ease=v["ease"])
        return wsjf_score(
            business_value=v["business_value"],
            time_criticality=v["time_criticality"],
            risk_reduction=v["risk_reduction"],
            job_size=v["job_size"],
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able description (stored with a critique session)."""
        return {
            "kind": self.kind,
            "name": self.name,
            "criteria": [asdict(c) for c in self.criteria],
            "value_keys": list(self.value_keys),
            "effort_key": self.effort_key,
            "confidence_key": self.confidence_key,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Framework:
        """Rebuild a framework from :meth:`to_dict`; the result is checked like a new one."""
        kind = data.get("kind")
        if kind not in KINDS:
            raise ParameterError(f"unknown framework {kind!r}", fix=f"Use one of {list(KINDS)}.")
        criteria = tuple(Criterion(**c) for c in data.get("criteria", []))
        if kind != "rubric":
            base = framework(kind)
            if tuple(c.key for c in criteria) != base.keys:
                criteria = base.criteria
        framework_ = cls(
            kind=kind,
            name=str(data.get("name") or kind),
            criteria=criteria,
            value_keys=tuple(data.get("value_keys") or ()),
            effort_key=data.get("effort_key"),
            confidence_key=data.get("confidence_key"),
        )
        _validate(framework_)
        return framework_


def _validate(fw: Framework) -> None:
    if not fw.criteria:
        raise ParameterError("a rubric needs at least one criterion", fix="Add a criterion.")
    if len(set(fw.keys)) != len(fw.keys):
        raise ParameterError("two criteria share a key", fix="Give each criterion its own name.")
    for c in fw.criteria:
        if not (c.weight >= 0) or math.isinf(c.weight):
            raise ParameterError(
                f"weight {c.weight:g} of {c.label!r} is negative", fix="Use a weight >= 0."
            )
        if c.high is not None and c.high <= c.low:
            raise ParameterError(
                f"scale of {c.label!r} is empty ({c.low:g}-{c.high:g})",
                fix="Make the top of the scale larger than its bottom.",
            )
    if fw.kind == "rubric" and sum(c.weight for c in fw.criteria) <= 0:
        raise ParameterError("the rubric's weights add up to 0", fix="Give a criterion a weight.")
    for key in (*fw.value_keys, fw.effort_key, fw.confidence_key):
        if key is not None and key not in fw.keys:
            raise ParameterError(f"unknown criterion {key!r}", fix=f"Use one of {list(fw.keys)}.")


# --- the four frameworks -------------------------------------------------------------------------


def rubric_score(criteria: Sequence[Criterion], values: Mapping[str, float]) -> float:
    """Weighted mean of the normalised criteria, on 0-100.

    Examples
    --------
    >>> crit = (Criterion("value", "Value"), Criterion("effort", "Effort", lower_is_better=True))
    >>> rubric_score(crit, {"value": 5, "effort": 2})  # (1.0 + 0.75) / 2
    87.5
    """
    total = sum(c.weight for c in criteria)
    if total <= 0:
        raise ParameterError("the rubric's weights add up to 0", fix="Give a criterion a weight.")
    weighted = sum(c.weight * c.normalise(c.check(values[c.key])) for c in criteria)
    return 100.0 * weighted / total


def rice_score(*, reach: float, impact: float, confidence: float, effort: float) -> float:
    """RICE = reach x impact x confidence / effort, with confidence in percent.

    Examples
    --------
    >>> rice_score(reach=500, impact=2, confidence=80, effort=4)  # 500 * 2 * 0.8 / 4
    200.0
    """
    if not effort > 0:
        raise ParameterError(
            f"RICE effort must be above 0 (got {effort:g})",
            fix="Enter the effort in person-months.",
        )
    if not 0 <= confidence <= 100:
        raise ParameterError(
            f"RICE confidence {confidence:g} is outside 0-100 %", fix="Enter a percentage."
        )
    if reach < 0 or impact < 0:
        raise ParameterError("RICE reach and impact cannot be negative", fix="Enter values >= 0.")
    return reach * impact * (confidence / 100.0) / effort


def ice_score(*, impact: float, confidence: float, ease: float) -> float:
    """ICE = impact x confidence x ease (each 1-10).

    Examples
    --------
    >>> ice_score(impact=8, confidence=5, ease=3)
    120.0
    """
    for name, value in (("impact", impact), ("confidence", confidence), ("ease", ease)):
        if not 1 <= value <= 10:
            raise ParameterError(
                f"ICE {name} {value:g} is outside its scale 1-10", fix="Enter a value in 1-10."
            )
    return float(impact * confidence * ease)


def wsjf_score(
    *, business_value: float, time_criticality: float, risk_reduction: float, job_size: float
) -> float:
    """WSJF = (business value + time criticality + risk reduction) / job size.

    Examples
    --------
    >>> wsjf_score(business_value=8, time_criticality=5, risk_reduction=3, job_size=8)
    2.0
    """
    if not job_size > 0:
        raise ParameterError(
            f"WSJF job size must be above 0 (got {job_size:g})", fix="Enter a job size >= 1."
        )
    if min(business_value, time_criticality, risk_reduction) < 0:
        raise ParameterError("WSJF values cannot be negative", fix="Enter values >= 0.")
    return (business_value + time_criticality + risk_reduction) / job_size


_BUILTIN: dict[str, Framework] = {
    "rubric": Framework(
        kind="rubric",
        name="Default rubric",
        criteria=(
            Criterion("customer_value", "Customer value", help="1 = nobody asked, 5 = top pain"),
            Criterion("alignment", "Alignment to objectives", help="1 = none, 5 = moves a KR"),
            Criterion("evidence", "Evidence strength", help="1 = hunch, 5 = data and research"),
            Criterion("confidence", "Confidence", help="1 = guess, 5 = sure it works"),
            Criterion(
                "effort", "Effort", lower_is_better=True, help="1 = days, 5 = a quarter or more"
            ),
        ),
        value_keys=("customer_value", "alignment", "evidence"),
        effort_key="effort",
        confidence_key="confidence",
    ),
    "rice": Framework(
        kind="rice",
        name="RICE",
        criteria=(
            Criterion("reach", "Reach", low=0, high=None, help="people or events per quarter"),
            Criterion("impact", "Impact", low=0, high=3, help="0.25 minimal … 3 massive"),
            Criterion("confidence", "Confidence %", low=0, high=100, help="50 low, 100 high"),
            Criterion("effort", "Effort", low=0, high=None, help="person-months, above 0"),
        ),
        value_keys=("reach", "impact"),
        effort_key="effort",
        confidence_key="confidence",
    ),
    "ice": Framework(
        kind="ice",
        name="ICE",
        criteria=(
            Criterion("impact", "Impact", high=10),
            Criterion("confidence", "Confidence", high=10),
            Criterion("ease", "Ease", high=10, help="10 = trivial; inverse of effort"),
        ),
        value_keys=("impact",),
        effort_key="ease",
        confidence_key="confidence",
    ),
    "wsjf": Framework(
        kind="wsjf",
        name="WSJF",
        criteria=(
            Criterion("business_value", "Business value", high=20),
            Criterion("time_criticality", "Time criticality", high=20),
            Criterion("risk_reduction", "Risk reduction / opportunity", high=20),
            Criterion("job_size", "Job size", high=20, help="1, 2, 3, 5, 8, 13, 20"),
        ),
        value_keys=("business_value", "time_criticality", "risk_reduction"),
        effort_key="job_size",
    ),
}


def framework(kind: str) -> Framework:
    """Return the built-in framework *kind* (``rubric`` is the default rubric).

    Examples
    --------
    >>> framework("ice").keys
    ('impact', 'confidence', 'ease')
    >>> framework("moscow")
    Traceback (most recent call last):
    prodops.errors.ParameterError: unknown framework 'moscow'. Use one of ['rubric', 'rice', ...].
    """
    try:
        return _BUILTIN[kind]
    except KeyError:
        raise ParameterError(
            f"unknown framework {kind!r}", fix=f"Use one of {list(KINDS)}."
        ) from None


def custom_rubric(name: str, criteria: Iterable[Criterion]) -> Framework:
    """Return a weighted rubric made of *criteria* (checked: weights >= 0, non-empty scales).

    A criterion named ``effort`` / ``confidence`` feeds the "high effort, low confidence" flag.

    Examples
    --------
    >>> fw = custom_rubric("Mine", [Criterion("value", "Value"),
    ...                             Criterion("effort", "Effort", lower_is_better=True)])
    >>> fw.value_keys, fw.effort_key
    (('value',), 'effort')
    >>> fw.score({"value": 5, "effort": 1}), fw.score({"value": 3, "effort": 3})
    (100.0, 50.0)
    """
    crit = tuple(criteria)
    keys = {c.key for c in crit}
    fw = Framework(
        kind="rubric",
        name=name,
        criteria=crit,
        # value = what is not a cost and not a confidence (as in the default rubric)
        value_keys=tuple(c.key for c in crit if not c.lower_is_better and c.key != "confidence")
        or tuple(c.key for c in crit if not c.lower_is_better),
        effort_key="effort" if "effort" in keys else None,
        confidence_key="confidence" if "confidence" in keys else None,
    )
    _validate(fw)
    return fw


def rubric_from_rows(rows: Iterable[Mapping[Any, Any]]) -> Framework:
    """Build a 1-5 rubric from table rows ``{criterion, weight, lower_is_better}`` (a page editor).

    A row whose label is a default criterion keeps its key and help (so "Effort" still feeds the
    effort flag); other labels get a key made of their words. Empty labels are skipped; an empty
    weight counts 1. The name says whether it still is the default rubric.

    Examples
    --------
    >>> fw = rubric_from_rows([{"criterion": "Reach", "weight": 2},
    ...                        {"criterion": "Effort", "weight": None, "lower_is_better": True}])
    >>> [(c.key, c.weight, c.lower_is_better) for c in fw.criteria]
    [('reach', 2.0, False), ('effort', 1.0, True)]
    """
    base = framework("rubric")
    defaults = {c.label.lower(): c for c in base.criteria}
    criteria: list[Criterion] = []
    for row in rows:
        label = " ".join(str(row.get("criterion") or "").split())
        if not label:
            continue
        known = defaults.get(label.lower())
        key = known.key if known else re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        weight = row.get("weight")
        missing = weight is None or (isinstance(weight, float) and math.isnan(weight))
        criteria.append(
            Criterion(
                key=key or f"criterion_{len(criteria) + 1}",
                label=label,
                weight=1.0 if missing else float(weight),  # type: ignore[arg-type]
                lower_is_better=bool(row.get("lower_is_better")),
                help=known.help if known else "",
            )
        )
    name = "Default rubric" if tuple(criteria) == base.criteria else "Custom rubric"
    return custom_rubric(name, criteria)


def effort_normalised(fw: Framework, values: Mapping[str, float], upper: float | None) -> float:
    """Effort on 0-1, 1 = the most effort (ICE's ease is inverted).

    Examples
    --------
    >>> effort_normalised(framework("ice"), {"ease": 10}, None)  # trivial: no effort
    0.0
    >>> effort_normalised(framework("rice"), {"effort": 2}, 8)  # unbounded: over the largest effort
    0.25
    """
    assert fw.effort_key is not None
    c = fw.criterion(fw.effort_key)
    share = Criterion(c.key, c.label, low=c.low, high=c.high).normalise(values[c.key], upper=upper)
    return 1.0 - share if fw.kind == "ice" else share
