"""The rules that flag a student, with their defaults and bounds: one catalogue for the
flags read model (which applies them) and the teachers' data (which stores a teacher's
settings of them).

A rule fires per (course, student) pair of an active enrollment, on the facts of the latest
sync. A teacher can switch each rule off and set its threshold (and, for a drop over time,
its period); a rule never set keeps the defaults below.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker_db.errors import DataValidationError
from tracker_db.validation import validate_flag, validate_number


@dataclass(frozen=True)
class FlagRule:
    """One rule: what it means, its threshold's unit and bounds, and its defaults.

    Attributes:
        rule: Its stored name.
        label: Its name on pages ("Missing work").
        explanation: When it fires, in words, with ``{threshold}`` and ``{days}``.
        unit: What the threshold counts ("%", "points", "submissions", "days", ...).
        threshold: The default threshold.
        low: The least threshold allowed.
        high: The greatest threshold allowed.
        whole: Whether the threshold is a whole number (a count of days or submissions).
        days: The default period in days (None: the rule has no period).
        enabled: Whether it is on by default.
    """

    rule: str
    label: str
    explanation: str
    unit: str
    threshold: float
    low: float
    high: float
    whole: bool = False
    days: int | None = None
    enabled: bool = True


#: Every rule, in the order pages list them. Only these names are stored or formatted.
RULES: dict[str, FlagRule] = {r.rule: r for r in (
    FlagRule("missing_work", "Missing work",
             "{threshold} or more submissions missing in a course (excused work not counted)",
             "submissions", 3, 1, 100, whole=True),
    FlagRule("missing_streak", "Missing in a row",
             "the last {threshold} or more assignments due in a course all missing",
             "assignments", 2, 1, 50, whole=True),
    FlagRule("low_score", "Low score",
             "a current course score below {threshold}%", "%", 60, 0, 100),
    FlagRule("below_median", "Below the median",
             "a current course score {threshold} or more points below the course median",
             "points", 20, 0, 100),
    FlagRule("score_drop", "Drop since last sync",
             "a course score {threshold} or more points lower than at the previous sync",
             "points", 5, 0.1, 100),
    FlagRule("score_drop_days", "Drop over days",
             "a course score {threshold} or more points lower than {days} days before the "
             "latest sync (from the tracker's own history)",
             "points", 10, 0.1, 100, days=14),
    FlagRule("inactive", "No activity",
             "no activity in the course in Canvas for {threshold} or more days before the "
             "latest sync", "days", 14, 1, 365, whole=True),
    FlagRule("late_streak", "Late in a row",
             "the last {threshold} or more pieces of work handed in, all late",
             "submissions", 3, 1, 50, whole=True),
)}
#: The longest period a drop over days can look back.
MAX_DAYS = 365


@dataclass(frozen=True)
class RuleSetting:
    """How one rule is set: on or off, its threshold and its period (None: no period)."""

    rule: str
    enabled: bool
    threshold: float
    days: int | None

    def describe(self) -> str:
        """When the rule fires, in words, with this setting's numbers."""
        spec = RULES[self.rule]
        threshold = f"{self.threshold:g}"
        return spec.explanation.format(threshold=threshold, days=self.days)


def default_setting(rule: str) -> RuleSetting:
    """The setting a rule has until a teacher changes it."""
    spec = rule_spec(rule)
    return RuleSetting(spec.rule, spec.enabled, float(spec.threshold), spec.days)


def rule_spec(rule: object) -> FlagRule:
    """Return the rule of that name, or raise naming the rules there are.

    Raises:
        DataValidationError: No rule has that name.
    """
    if not isinstance(rule, str) or rule not in RULES:
        raise DataValidationError(
            f"there is no flag rule {rule!r}: the rules are {', '.join(RULES)}")
    return RULES[rule]


def validate_setting(rule: object, enabled: object, threshold: object,
                     days: object = None) -> RuleSetting:
    """Return a rule's setting checked against its bounds, or raise naming what was wrong.

    Raises:
        DataValidationError: The rule is unknown, the threshold is blank, not a number, out
            of the rule's range or not whole where it counts, or the period is not 1 to 365
            days (or given for a rule without one).
    """
    spec = rule_spec(rule)
    label = spec.label
    on = validate_flag(enabled, f"{label}: on")
    number = validate_number(threshold, f"{label}: threshold", low=spec.low)
    if number is None:
        raise DataValidationError(f"{label}: the threshold is required")
    if number > spec.high:
        raise DataValidationError(
            f"{label}: the threshold must be from {spec.low:g} to {spec.high:g} {spec.unit}, "
            f"got {threshold!r}")
    if spec.whole and not number.is_integer():
        raise DataValidationError(
            f"{label}: the threshold must be a whole number of {spec.unit}, got {threshold!r}")
    period: int | None = None
    if spec.days is None:
        if days is not None:
            raise DataValidationError(f"{label}: this rule has no period of days")
    else:
        value = validate_number(days, f"{label}: days", low=1)
        if value is None:
            value = float(spec.days)
        if not value.is_integer() or value > MAX_DAYS:
            raise DataValidationError(
                f"{label}: days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
        period = int(value)
    return RuleSetting(spec.rule, on, number, period)
