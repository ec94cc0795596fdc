# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""LXD snapshot schedules as systemd OnCalendar= and cron lines: exact output, refusals, and the
proof that both fire at the minutes LXD would (a reference reading of robfig/cron's rules here,
the OnCalendar lines read by systemd-analyze itself, the cron lines read with Vixie cron's rules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import re
import shutil
import subprocess

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.alletra.storage.plugins.filter import schedule as schedule_filters

FILTERS = schedule_filters.FilterModule().filters()
ONCALENDAR = FILTERS["alletra_schedule_oncalendar"]
CRON = FILTERS["alletra_schedule_cron"]


def test_filter_module_exposes_exactly_the_filters():
    assert sorted(FILTERS) == ["alletra_schedule_cron", "alletra_schedule_oncalendar"]
    for name, function in FILTERS.items():
        assert function is getattr(schedule_filters, name)


@pytest.mark.parametrize("alias, oncalendar, cron", [
    ("@hourly", "*-*-* *:00:00", "0 * * * *"),
    ("@daily", "*-*-* 00:00:00", "0 0 * * *"),
    ("@midnight", "*-*-* 00:00:00", "0 0 * * *"),
    ("@weekly", "Sun *-*-* 00:00:00", "0 0 * * 0"),
    ("@monthly", "*-*-01 00:00:00", "0 0 1 * *"),
    ("@annually", "*-01-01 00:00:00", "0 0 1 1 *"),
    ("@yearly", "*-01-01 00:00:00", "0 0 1 1 *"),
])
def test_every_alias(alias, oncalendar, cron):
    assert ONCALENDAR(alias) == [oncalendar]
    assert CRON(alias) == [cron]
    assert CRON(alias.upper()) == [cron]


@pytest.mark.parametrize("schedule, oncalendar, cron", [
    # plain values, ranges, lists
    ("30 2 * * *", ["*-*-* 02:30:00"], ["30 2 * * *"]),
    ("0 8-17 * * *", ["*-*-* 08..17:00:00"], ["0 8-17 * * *"]),
    ("0,30 9,12 * * *", ["*-*-* 09,12:00,30:00"], ["0,30 9,12 * * *"]),
    ("0 1-3,7 * * *", ["*-*-* 01..03,07:00:00"], ["0 1-3,7 * * *"]),
    # steps: */n, a-b/n, a/n (robfig: a to the field's maximum)
    ("*/15 * * * *", ["*-*-* *:00/15:00"], ["*/15 * * * *"]),
    ("5/20 */6 * * *", ["*-*-* 00/6:05/20:00"], ["5-45/20 */6 * * *"]),
    ("0-30/10 * * * *", ["*-*-* *:00,10,20,30:00"], ["0-30/10 * * * *"]),
    ("0 0 * */3 *", ["*-01/3-* 00:00:00"], ["0 0 * */3 *"]),
    ("*/1 * * * *", ["*-*-* *:*:00"], ["* * * * *"]),
    # names of months and days, any case; ? is *
    ("0 12 * JAN,jul ?", ["*-01,07-* 12:00:00"], ["0 12 * 1,7 *"]),
    ("*/15 8-17 * * Mon-Fri", ["Mon..Fri *-*-* 08..17:00/15:00"], ["*/15 8-17 * * 1-5"]),
    ("0 0 * * sat,sun", ["Sun,Sat *-*-* 00:00:00"], ["0 0 * * 0,6"]),
    ("0 0 * * */2", ["Sun,Tue,Thu,Sat *-*-* 00:00:00"], ["0 0 * * 0-6/2"]),
    # a list of entries (", "), duplicates once
    ("@daily, 30 12 * * *", ["*-*-* 00:00:00", "*-*-* 12:30:00"], ["0 0 * * *", "30 12 * * *"]),
    ("@daily, @midnight, 0 0 * * *", ["*-*-* 00:00:00"], ["0 0 * * *"]),
    # either day: both day fields restricted
    ("0 0 1,15 * sun", ["*-*-01,15 00:00:00", "Sun *-*-* 00:00:00"], ["0 0 1,15 * 0"]),
    ("0 0 */2 * 1", ["*-*-01/2 00:00:00", "Mon *-*-* 00:00:00"], ["0 0 1-31/2 * 1"]),
    ("0 0 1-31 * mon", ["*-*-* 00:00:00"], ["0 0 1-31 * 1"]),
    # both days: one of them a star
    ("0 0 */2 * *", ["*-*-01/2 00:00:00"], ["0 0 1-31/2 * *"]),
    ("0 0 ? * mon", ["Mon *-*-* 00:00:00"], ["0 0 * * 1"]),
    ("0 0 29 2 *", ["*-02-29 00:00:00"], ["0 0 29 2 *"]),
    ("  @weekly ", ["Sun *-*-* 00:00:00"], ["0 0 * * 0"]),
])
def test_conversion(schedule, oncalendar, cron):
    assert ONCALENDAR(schedule) == oncalendar
    assert CRON(schedule) == cron


FIELD_RULES = {
    "minute": "0-59",
    "hour": "0-23",
    "day-of-month": "1-31",
    "month": "1-12 or jan-dec",
    "day-of-week": "0-6 or sun-sat (0 is Sunday)",
}


@pytest.mark.parametrize("schedule, field, fragment", [
    ("60 * * * *", "minute", "60 is above 59"),
    ("0 24 * * *", "hour", "24 is above 23"),
    ("0 0 0 * *", "day-of-month", "0 is below 1"),
    ("0 0 32 * *", "day-of-month", "32 is above 31"),
    ("0 0 * 13 *", "month", "13 is above 12"),
    ("0 0 * * 7", "day-of-week", "7 is above 6"),
    ("0 0 * * 1,8", "day-of-week", "8 is above 6 (in '8')"),
    ("0 0 * * monday", "day-of-week", "'monday' is not a number or a name"),
    ("0 0 * foo *", "month", "'foo' is not a number or a name"),
    ("0 0 jan * *", "day-of-month", "'jan' is not a number"),
    ("5-1 * * * *", "minute", "the range starts after it ends"),
    ("*/0 * * * *", "minute", "the step '0' is not a positive number"),
    ("1/x * * * *", "minute", "the step 'x' is not a positive number"),
    ("1/2/3 * * * *", "minute", "more than one '/'"),
    ("1-2-3 * * * *", "minute", "more than one '-'"),
    ("*-5 * * * *", "minute", "'*' cannot start a range"),
    ("-1 * * * *", "minute", "'' is not a number"),
    ("0,,30 * * * *", "minute", "'' is not a number"),
    ("0 0 * * L", "day-of-week", "'l' is not a number or a name"),
])
def test_a_bad_field_is_named_with_what_it_allows(schedule, field, fragment):
    for convert in (ONCALENDAR, CRON):
        with pytest.raises(AnsibleFilterError) as raised:
            convert(schedule)
        message = str(raised.value)
        assert message.startswith("snapshots_schedule %r: the %s field " % (schedule, field))
        assert fragment in message
        assert "allowed: %s, '*', ranges (a-b), steps" % FIELD_RULES[field] in message


@pytest.mark.parametrize("schedule, fragment", [
    ("", "the schedule is empty"),
    ("   ", "the schedule is empty"),
    (None, "None is not a string"),
    (15, "15 is not a string"),
    ("* * * *", "has 4 fields: give five, <minute> <hour> <day-of-month> <month> <day-of-week>, or one of the aliases @hourly"),
    ("0 0 * * * 2026", "has 6 fields"),
    ("0  0 * * *", "separate its fields with single spaces"),
    ("0\t0 * * *", "has 4 fields"),
    ("@reboot", "'@reboot' is not an alias; allowed: @hourly @daily @midnight @weekly @monthly @annually @yearly"),
    ("@startup", "is not an alias"),
    ("@every 1h", "is not an alias"),
    ("@daily,@hourly", "separate the entries of a list with a comma and a space"),
    ("@daily, ", "'@daily,' ends with a comma"),
    ("@daily, , @hourly", "entry 2 is empty"),
    ("0 0 31 2 *", "entry '0 0 31 2 *' never fires: no month in it has day 31"),
    ("0 0 30,31 2 *", "no month in it has day 30,31"),
])
def test_a_bad_schedule_is_refused(schedule, fragment):
    for convert in (ONCALENDAR, CRON):
        with pytest.raises(AnsibleFilterError) as raised:
            convert(schedule)
        assert str(raised.value).startswith("snapshots_schedule %r: " % (schedule,))
        assert fragment in str(raised.value)


def test_the_variable_named_in_messages_can_be_another():
    with pytest.raises(AnsibleFilterError, match=r"^schedule '0 25 \* \* \*': the hour field '25'"):
        CRON("0 25 * * *", "schedule")


def test_a_day_that_exists_in_one_month_of_the_entry_is_enough():
    assert CRON("0 0 31 1,2 *") == ["0 0 31 1,2 *"]
    assert ONCALENDAR("0 0 31 2 mon") == ["*-02-31 00:00:00", "Mon *-02-* 00:00:00"]


# --- they fire when LXD fires ---------------------------------------------------------------
# robfig/cron's rules, written out term by term (not through the plugin): a star field is a
# "*" or "?" term without a step above 1; days match on both fields when either is a star.

ALIAS_EXPRESSIONS = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
                     "@monthly": "0 0 1 * *", "@annually": "0 0 1 1 *", "@yearly": "0 0 1 1 *"}
NAMES = [{}, {}, {}, dict((name, number) for number, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)),
    dict((name, number) for number, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"]))]
BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]


def term_matches(term, value, index):
    low, high = BOUNDS[index]
    spec, slash, step = term.partition("/")
    step = int(step) if slash else 1
    if spec in ("*", "?"):
        first, last = low, high
    else:
        ends = [NAMES[index][end] if end in NAMES[index] else int(end) for end in spec.split("-")]
        first, last = ends[0], ends[-1] if len(ends) == 2 else (high if slash else ends[0])
    return first <= value <= last and (value - first) % step == 0


def field_matches(text, value, index):
    return any(term_matches(term, value, index) for term in text.split(","))


def robfig_star(text):
    return any(term.split("/")[0] in ("*", "?") and (term.partition("/")[2] or "1") == "1" for term in text.split(","))


def vixie_star(text):
    return text.startswith("*")


def matcher(fields, is_star):
    """(day_ok(date), time_ok(hour, minute), hours) of five cron fields under a star rule."""
    minute, hour, day, month, weekday = fields

    def day_ok(date):
        if not field_matches(month, date.month, 3):
            return False
        day_match = field_matches(day, date.day, 2)
        weekday_match = field_matches(weekday, date.isoweekday() % 7, 4)
        if is_star(day) or is_star(weekday):
            return day_match and weekday_match
        return day_match or weekday_match

    def time_ok(hour_value, minute_value):
        return field_matches(hour, hour_value, 1) and field_matches(minute, minute_value, 0)

    return day_ok, time_ok, set(value for value in range(24) if field_matches(hour, value, 1))


BASE = datetime.datetime(2026, 12, 31, 22, 7)


def firings(matchers, count):
    """The first ``count`` minutes after BASE at which any of the matchers fires."""
    found = []
    date = BASE.date()
    while len(found) < count:
        firing_today = [(time_ok, hours) for day_ok, time_ok, hours in matchers if day_ok(date)]
        for hour in sorted(set().union(*[hours for time_ok, hours in firing_today])):
            for minute in range(60):
                moment = datetime.datetime(date.year, date.month, date.day, hour, minute)
                if moment > BASE and any(time_ok(hour, minute) for time_ok, hours in firing_today):
                    found.append(moment)
        date += datetime.timedelta(days=1)
        assert date.year < 2070, "no firing found"
    return found[:count]


def lxd_firings(schedule, count):
    entries = schedule.strip().lower().split(", ")
    return firings([matcher(ALIAS_EXPRESSIONS.get(entry, entry).split(" "), robfig_star) for entry in entries], count)


def systemd_firings(expressions, count):
    """What systemd-analyze says the OnCalendar= expressions elapse at (UTC)."""
    command = ["systemd-analyze", "calendar", "--base-time=%s UTC" % BASE.strftime("%Y-%m-%d %H:%M:%S"),
               "--iterations=%d" % count] + list(expressions)
    out = subprocess.run(command, env=dict(os.environ, TZ="UTC"), capture_output=True, text=True, check=True).stdout
    times = set(datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
                for stamp in re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC", out))
    assert len(times) >= count or "never" in out, out
    return sorted(times)[:count]


EQUIVALENCE = list(ALIAS_EXPRESSIONS) + [
    "*/15 8-17 * * mon-fri",
    "5/20 */6 * * *",
    "0-30/10 1 * * *",
    "0 12 * jan,jul ?",
    "0 0 * * */2",
    "0 0 1,15 * sun",
    "0 0 */2 * 1",
    "0 0 1-31 * mon",
    "0 0 */2 * *",
    "0 0 29 2 *",
    "0 0 31 1,2 *",
    "0 0 31 2 mon",
    "@daily, 30 12 * * *",
    "@hourly, @daily",
    "15 3 1-7 * fri",
    "0 0 1/10 2-11/3 *",
]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("schedule", EQUIVALENCE)
def test_the_timer_fires_when_lxd_would(schedule):
    assert systemd_firings(ONCALENDAR(schedule), 8) == lxd_firings(schedule, 8)


@pytest.mark.parametrize("schedule", EQUIVALENCE)
def test_the_cron_lines_fire_when_lxd_would(schedule):
    cron_matchers = [matcher(line.split(" "), vixie_star) for line in CRON(schedule)]
    for line in CRON(schedule):
        # Vixie cron: numbers only, and no "a/n" (a step needs a range or *).
        assert re.match(r"^[0-9*,/-]+( [0-9*,/-]+){4}$", line), line
        assert not re.search(r"(^|[ ,])[0-9]+/", line), line
    assert firings(cron_matchers, 8) == lxd_firings(schedule, 8)
