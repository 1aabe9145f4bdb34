"""/stats in Telegram: the statistics as one HTML message (within Telegram's 4096), and the
chart's caption. The numbers come from :class:`bot.domain.StatsReport`, the same report
``newsbot stats`` prints."""

from __future__ import annotations

from collections.abc import Mapping

from babel.dates import format_datetime

from bot.domain import ReadingRow, StatsReport, topic_name
from bot.i18n import N_, _, current_language, ngettext
from bot.render.display import shorten_plain
from bot.render.markup import TEXT_LIMIT, bold, escape, fill, italic, join_lines, utf16_len
from bot.text import one_line

STATUS_LABELS = {
    "active": N_("active"),
    "blocked": N_("blocked"),
    "left": N_("removed"),
    "stopped": N_("stopped"),
}
TYPE_LABELS = {
    "private": N_("private"),
    "group": N_("groups"),
    "supergroup": N_("supergroups"),
    "channel": N_("channels"),
}
DELIVERY_LABELS = {
    "sent": N_("sent"),
    "failed": N_("failed"),
    "skipped": N_("skipped"),
    "pending": N_("pending"),
    "sending": N_("sending"),
}
TOPICS_SHOWN = 15  # more topics are summed up in one line
_TITLE_LENGTH = 60


def _pairs(labels: Mapping[str, str], values: Mapping[str, int]) -> str:
    known = [f"{_(label)} {values.get(key, 0)}" for key, label in labels.items()]
    other = [f"{key} {count}" for key, count in sorted(values.items()) if key not in labels]
    return escape(" · ".join(known + other))


def _percent(row: ReadingRow) -> str:
    ratio = row.click_through
    return "—" if ratio is None else f"{ratio:.1%}"


def _reading_line(label: str, row: ReadingRow) -> str:
    return fill(ngettext("• {title}: {clicks} click / {sent} sent ({ratio})",
                         "• {title}: {clicks} clicks / {sent} sent ({ratio})", row.clicks),
                title=escape(label), clicks=str(row.clicks), sent=str(row.sent),
                ratio=escape(_percent(row)))


def render_stats(report: StatsReport) -> str:
    """/stats: subscribers, topics, growth and churn, deliveries, outbox, feeds, comments
    and reading, cut to one message."""
    when = format_datetime(report.generated_at, "d MMM yyyy HH:mm", tzinfo=None,
                           locale=current_language())
    lines = [fill(_("📊 {title} — {when} UTC"), title=bold(_("Statistics")), when=escape(when)),
             "", bold(_("Subscribers")),
             _pairs(STATUS_LABELS, report.chats_by_status),
             fill(_("Active by type: {types}"), types=_pairs(TYPE_LABELS, report.active_by_type))]
    for days, (new, gone) in sorted(report.growth.items()):
        lines.append(escape(_("Last {days} days: +{new} new, −{gone} gone (net {net:+d})")
                            .format(days=days, new=new, gone=gone, net=new - gone)))
    lines += ["", bold(_("Topics (active subscribers)"))]
    language = current_language()
    for name, count in report.per_topic[:TOPICS_SHOWN]:
        shown = topic_name(name, report.topic_names.get(name), language)
        lines.append(escape(f"• {shown}: {count}"))
    if len(report.per_topic) > TOPICS_SHOWN:
        hidden = len(report.per_topic) - TOPICS_SHOWN
        lines.append(escape(ngettext("… and {n} more topic", "… and {n} more topics",
                                     hidden).format(n=hidden)))
    lines += ["", bold(_("Deliveries in the last 24 hours")),
              _pairs(DELIVERY_LABELS, report.deliveries_24h),
              escape(_("Outbox: {n} waiting").format(n=report.outbox_depth)),
              "", bold(_("Feeds")),
              escape(_("ok {ok} · failing {failing} · disabled {disabled}").format(
                  ok=report.feeds_ok, failing=report.feeds_failing,
                  disabled=report.feeds_disabled)),
              "", bold(_("Comments")),
              escape(_("visible {visible} · held {held} · total {total}").format(
                  visible=report.comments_visible, held=report.comments_held,
                  total=report.comments_total)),
              "", bold(_("Reading"))]
    if not report.tracking:
        lines.append(italic(_("Click tracking is off: set server.public_url to count clicks "
                              "on Read buttons.")))
    lines.append(escape(_("Clicks in the last 30 days: {n}").format(n=report.clicks_30d)))
    for row in report.explainers:
        title = shorten_plain(one_line(row.label), _TITLE_LENGTH)
        lines.append(_reading_line(title, row))
    if report.broadcasts:
        lines.append(escape(_("Broadcasts:")))
        for row in report.broadcasts:
            lines.append(_reading_line(_("Broadcast {id}").format(id=row.label), row))
    return _fit(lines)


def _fit(lines: list[str]) -> str:
    more = escape("…")
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + utf16_len(line) + 1 > TEXT_LIMIT - utf16_len(more) - 1:
            kept.append(more)
            break
        kept.append(line)
        used += utf16_len(line) + 1
    return join_lines(*kept)


def chart_caption() -> str:
    """The chart's caption (HTML)."""
    return escape(_("Subscribers, deliveries and clicks per day over the last 30 days (UTC)."))


def chart_labels() -> tuple[str, str, str, str]:
    """The chart's title and its three series' names (plain text), in the admin's language."""
    return (_("Last 30 days"), _("Active subscribers"), _("Explainers delivered"), _("Clicks"))
