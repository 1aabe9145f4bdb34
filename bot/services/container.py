"""The services the handlers and jobs use, built once by the wiring in :mod:`bot.app`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.services.admins import AdminService
from bot.services.broadcasts import BroadcastService
from bot.services.channels import ChannelService
from bot.services.comment_relay import CommentRelay
from bot.services.comments import CommentService
from bot.services.delivery import DeliveryService
from bot.services.feed_admin import FeedAdminService
from bot.services.languages import ChatLanguages
from bot.services.news import NewsService
from bot.services.polling import IngestionService
from bot.services.readers import ReaderService
from bot.services.settings import SettingsService
from bot.services.site_comments import SiteCommentService
from bot.services.stats import StatsService


@dataclass(frozen=True)
class Services:
    """Everything below the handlers, ready to call with plain values."""

    settings: Settings
    publisher_name: str
    readers: ReaderService
    news: NewsService
    comments: CommentService
    ingestion: IngestionService
    delivery: DeliveryService
    chat_settings: SettingsService
    channels: ChannelService
    languages: ChatLanguages
    admins: AdminService
    comment_relay: CommentRelay
    stats: StatsService
    # Comments from the publisher's website (comment feeds); None when not built (tests).
    site_comments: SiteCommentService | None = None
    # The admins' /feeds and /post; None when not built (tests).
    feed_admin: FeedAdminService | None = None
    # The admins' broadcasts; None when not built (tests).
    broadcasts: BroadcastService | None = None
