# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for LXD's ``snapshots.schedule``: systemd OnCalendar= and cron lines; documented in the adjacent YAML files.

LXD accepts what its validate.IsCron accepts: the value lower-cased, split at ", " into entries,
each entry an alias or five space-separated fields that robfig/cron's ParseStandard reads. The
entries are read here with ParseStandard's rules, so a schedule fires when LXD's would:

* a field is a comma list of terms; a term is ``*`` or ``?``, a number or name, ``a-b``, each
  optionally ``/step``; ``a/step`` means ``a-<max>/step``;
* day of month and day of week: when either field is a star (``*`` or ``?``, not ``*/2``) a day
  must match both, otherwise either (robfig's rule; Vixie cron instead looks at the first
  character, so cron lines here never start a non-star day field with ``*``);
* ``@weekly`` is Sunday midnight (systemd's own ``weekly`` is Monday, so it is never used).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import re

from ansible.errors import AnsibleFilterError

ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@annually": "0 0 1 1 *",
    "@yearly": "0 0 1 1 *",
}
ALIAS_ORDER = ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@annually", "@yearly"]
MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


class Field(object):
    """One of the five fields of a cron expression: its bounds and the names it takes."""

    def __init__(self, name, low, high, names=None, allowed=None):
        self.name = name
        self.low = low
        self.high = high
        self.names = dict((label, number) for number, label in enumerate(names, low)) if names else {}
        self.allowed = allowed or "%d-%d" % (low, high)


MINUTE = Field("minute", 0, 59)
HOUR = Field("hour", 0, 23)
DAY_OF_MONTH = Field("day-of-month", 1, 31)
MONTH = Field("month", 1, 12, MONTH_NAMES, "1-12 or jan-dec")
DAY_OF_WEEK = Field("day-of-week", 0, 6, DAY_NAMES, "0-6 or sun-sat (0 is Sunday)")
FIELDS = (MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK)
SYNTAX = "'*', ranges (a-b), steps (*/n, a-b/n, a/n) and lists (a,b)"
FORM = "<minute> <hour> <day-of-month> <month> <day-of-week>"
NUMBER_RE = re.compile(r"^[0-9]+$")


class ScheduleError(ValueError):
    """A schedule LXD would refuse, or one that never fires; the message says why and what is allowed."""


class Entry(object):
    """One entry of a schedule: the set of values of each field and whether each day field is a star."""

    def __init__(self, text, values, stars):
        self.text = text
        self.minutes, self.hours, self.days, self.months, self.weekdays = values
        self.days_star, self.weekdays_star = stars[2], stars[4]

    @property
    def either_day(self):
        """True when a day matches on its day of month or its day of week (neither field is a star)."""
        return not (self.days_star or self.weekdays_star)


def _number(text, field):
    if text in field.names:
        return field.names[text]
    if not NUMBER_RE.match(text):
        raise ScheduleError("%r is not a number%s" % (text, " or a name" if field.names else ""))
    return int(text)


def _term(term, field):
    """The values of one term of a field and whether it is a star (robfig's starBit)."""
    range_and_step = term.split("/")
    if len(range_and_step) > 2:
        raise ScheduleError("more than one '/'")
    bounds = range_and_step[0].split("-")
    star = bounds[0] in ("*", "?")
    if star:
        if len(bounds) > 1:
            raise ScheduleError("'%s' cannot start a range" % bounds[0])
        start, end = field.low, field.high
    elif len(bounds) > 2:
        raise ScheduleError("more than one '-'")
    else:
        start = _number(bounds[0], field)
        end = _number(bounds[1], field) if len(bounds) == 2 else start
    step = 1
    if len(range_and_step) == 2:
        if not NUMBER_RE.match(range_and_step[1]) or int(range_and_step[1]) == 0:
            raise ScheduleError("the step %r is not a positive number" % range_and_step[1])
        step = int(range_and_step[1])
        if len(bounds) == 1:
            end = field.high
        star = star and step == 1
    if start < field.low:
        raise ScheduleError("%d is below %d" % (start, field.low))
    if end > field.high:
        raise ScheduleError("%d is above %d" % (end, field.high))
    if start > end:
        raise ScheduleError("the range starts after it ends")
    return set(range(start, end + 1, step)), star


def _field(text, field):
    values, star = set(), False
    terms = text.split(",")
    for term in terms:
        try:
            term_values, term_star = _term(term, field)
        except ScheduleError as err:
            where = " (in %r)" % term if len(terms) > 1 else ""
            raise ScheduleError("the %s field %r is not valid: %s%s; allowed: %s, %s" % (
                field.name, text, err, where, field.allowed, SYNTAX))
        values |= term_values
        star = star or term_star
    return values, star


def _entry(text):
    if "," in text and "@" in text:
        raise ScheduleError("entry %r: separate the entries of a list with a comma and a space, as in '@daily, 0 12 * * *'" % text)
    if text.startswith("@") and text not in ALIASES:
        raise ScheduleError("%r is not an alias; allowed: %s" % (text, " ".join(ALIAS_ORDER)))
    fields = ALIASES.get(text, text).split(" ")
    if "" in fields:
        raise ScheduleError("entry %r: separate its fields with single spaces" % text)
    if len(fields) != 5:
        raise ScheduleError("entry %r has %d fields: give five, %s, or one of the aliases %s" % (
            text, len(fields), FORM, " ".join(ALIAS_ORDER)))
    parsed = [_field(field_text, field) for field_text, field in zip(fields, FIELDS)]
    entry = Entry(text, [values for values, star in parsed], [star for values, star in parsed])
    if not entry.either_day and not entry.days_star:
        # Every day must match the day of month: it must exist in one of the months (February: 29).
        if not any(day <= calendar.monthrange(2000, month)[1] for day in entry.days for month in entry.months):
            raise ScheduleError("entry %r never fires: no month in it has day %s" % (text, ",".join(str(day) for day in sorted(entry.days))))
    return entry


def parse_schedule(schedule):
    """The entries of an LXD ``snapshots.schedule``, read as LXD reads them; ScheduleError when it is not valid."""
    if not isinstance(schedule, str):
        raise ScheduleError("%r is not a string: give a cron expression (%s) or an alias" % (schedule, FORM))
    text = schedule.strip().lower()
    if not text:
        raise ScheduleError("the schedule is empty: give a cron expression (%s) or an alias such as @daily" % FORM)
    if text.endswith(","):
        raise ScheduleError("%r ends with a comma: remove it, or add an entry after a comma and a space" % text)
    entries = text.split(", ")
    for number, entry in enumerate(entries, 1):
        if not entry:
            raise ScheduleError("entry %d is empty" % number)
    return [_entry(entry) for entry in entries]


def _runs(values):
    """Consecutive runs of sorted ``values`` as (first, last) pairs."""
    runs = []
    for value in sorted(values):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return runs


def _progression(values):
    """(first, last, step) when ``values`` are at least three, evenly spaced with a step above 1, else None."""
    ordered = sorted(values)
    if len(ordered) < 3:
        return None
    step = ordered[1] - ordered[0]
    if step < 2 or any(later - earlier != step for earlier, later in zip(ordered, ordered[1:])):
        return None
    return ordered[0], ordered[-1], step


def _cron_field(values, field, star):
    if star:
        return "*"
    full = values == set(range(field.low, field.high + 1))
    day_field = field in (DAY_OF_MONTH, DAY_OF_WEEK)
    if full and not day_field:
        return "*"
    progression = _progression(values)
    if progression:
        first, last, step = progression
        if first == field.low and last + step > field.high and not day_field:
            return "*/%d" % step
        return "%d-%d/%d" % progression
    parts = []
    for first, last in _runs(values):
        if last - first >= 2:
            parts.append("%d-%d" % (first, last))
        else:
            parts.extend(str(value) for value in range(first, last + 1))
    return ",".join(parts)


def _calendar_field(values, field, label):
    """A systemd calendar component: '*', 'a/step' (to the end; not for weekdays), 'a..b' runs and lists."""
    if values == set(range(field.low, field.high + 1)):
        return "*"
    progression = None if field is DAY_OF_WEEK else _progression(values)
    if progression and progression[1] + progression[2] > field.high:
        return "%s/%d" % (label(progression[0]), progression[2])
    parts = []
    for first, last in _runs(values):
        if last - first >= 2:
            parts.append("%s..%s" % (label(first), label(last)))
        else:
            parts.extend(label(value) for value in range(first, last + 1))
    return ",".join(parts)


def _two_digits(value):
    return "%02d" % value


def _weekday(value):
    return DAY_NAMES[value].capitalize()


def _calendar_line(entry, days, weekdays):
    weekday_part = _calendar_field(weekdays, DAY_OF_WEEK, _weekday)
    line = "*-%s-%s %s:%s:00" % (
        _calendar_field(entry.months, MONTH, _two_digits), _calendar_field(days, DAY_OF_MONTH, _two_digits),
        _calendar_field(entry.hours, HOUR, _two_digits), _calendar_field(entry.minutes, MINUTE, _two_digits))
    return line if weekday_part == "*" else weekday_part + " " + line


def calendar_lines(entry):
    """The OnCalendar= expressions of one entry: one, or two when a day matches on either day field."""
    all_days = set(range(DAY_OF_MONTH.low, DAY_OF_MONTH.high + 1))
    all_weekdays = set(range(DAY_OF_WEEK.low, DAY_OF_WEEK.high + 1))
    if not entry.either_day:
        return [_calendar_line(entry, entry.days, entry.weekdays)]
    if entry.days == all_days or entry.weekdays == all_weekdays:
        return [_calendar_line(entry, all_days, all_weekdays)]
    # systemd ANDs the weekday with the date: cron's "either day" is two expressions.
    return [_calendar_line(entry, entry.days, all_weekdays), _calendar_line(entry, all_days, entry.weekdays)]


def cron_line(entry):
    """The five cron fields of one entry, with numbers only (Vixie cron takes no names in ranges or lists)."""
    stars = (False, False, entry.days_star, False, entry.weekdays_star)
    values = (entry.minutes, entry.hours, entry.days, entry.months, entry.weekdays)
    return " ".join(_cron_field(field_values, field, star) for field_values, field, star in zip(values, FIELDS, stars))


def _unique(lines):
    seen = []
    for line in lines:
        if line not in seen:
            seen.append(line)
    return seen


def _entries(schedule, variable):
    try:
        return parse_schedule(schedule)
    except ScheduleError as err:
        raise AnsibleFilterError("%s %r: %s" % (variable, schedule, err))


def alletra_schedule_oncalendar(schedule, variable="snapshots_schedule"):
    """The systemd OnCalendar= expressions that fire when LXD's ``snapshots.schedule`` ``schedule`` does."""
    return _unique(line for entry in _entries(schedule, variable) for line in calendar_lines(entry))


def alletra_schedule_cron(schedule, variable="snapshots_schedule"):
    """The cron time fields (five, numbers only) that fire when LXD's ``snapshots.schedule`` ``schedule`` does."""
    return _unique(cron_line(entry) for entry in _entries(schedule, variable))


class FilterModule(object):
    """LXD snapshot schedules as systemd timers and cron lines."""

    def filters(self):
        return {
            "alletra_schedule_oncalendar": alletra_schedule_oncalendar,
            "alletra_schedule_cron": alletra_schedule_cron,
        }
