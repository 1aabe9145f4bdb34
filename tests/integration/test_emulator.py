"""The Bot API emulator over real HTTP: aiohttp clients and python-telegram-bot against it."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot.emulator import SECRET_TOKEN_HEADER, BotAPIEmulator

TOKEN = "123456:TEST-TOKEN"
USER_ID = 1001
Answer = tuple[int, dict[str, Any]]


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    """A running emulator with one user (USER_ID)."""
    async with BotAPIEmulator(tokens=[TOKEN]) as emulator:
        emulator.user(USER_ID, "Ann", username="ann")
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp client."""
    async with aiohttp.ClientSession() as session:
        yield session


class Api:
    """Calls Bot API methods on the emulator with JSON or form bodies."""

    def __init__(self, session: aiohttp.ClientSession, emulator: BotAPIEmulator) -> None:
        self.session = session
        self.emu = emulator

    async def __call__(self, method: str, token: str = TOKEN, **params: Any) -> Answer:
        async with self.session.post(f"{self.emu.base_url}{token}/{method}", json=params) as r:
            return r.status, await r.json()

    async def form(self, method: str, data: Any) -> Answer:
        async with self.session.post(f"{self.emu.base_url}{TOKEN}/{method}", data=data) as r:
            return r.status, await r.json()


@pytest.fixture
def api(http: aiohttp.ClientSession, emu: BotAPIEmulator) -> Api:
    """Bot API caller bound to the running emulator."""
    return Api(http, emu)


def _keyboard(*callback_data: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": d or "?", "callback_data": d} for d in callback_data]]}


async def _receiver(
    handler: Any,
) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"


# -- protocol basics -------------------------------------------------------------------------


async def test_get_me_describes_the_bot(api: Api) -> None:
    """getMe answers ok with the bot user whose id is the token's prefix."""
    status, body = await api("getMe")
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["id"] == 123456
    assert body["result"]["is_bot"] is True
    assert body["result"]["username"] == "newsbot_demo_bot"


async def test_wrong_token_is_401_unauthorized(api: Api) -> None:
    """A token the emulator does not know gets Telegram's 401 body."""
    assert await api("getMe", token="999:WRONG") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )


async def test_unknown_method_is_404_not_found(api: Api) -> None:
    """An unknown method name gets 404 Not Found."""
    assert await api("sendTelegram") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )


async def test_method_names_are_case_insensitive(api: Api, emu: BotAPIEmulator) -> None:
    """sendmessage works like sendMessage and is recorded under the Bot API spelling."""
    status, _ = await api("SENDMESSAGE", chat_id=USER_ID, text="hi")
    assert status == 200
    assert [r.method for r in emu.requests] == ["sendMessage"]


async def test_get_request_with_query_string_works(
    http: aiohttp.ClientSession, emu: BotAPIEmulator
) -> None:
    """GET with parameters in the query string is accepted like on Telegram."""
    url = f"{emu.base_url}{TOKEN}/sendMessage?chat_id={USER_ID}&text=hello"
    async with http.get(url) as response:
        body = await response.json()
    assert body["result"]["text"] == "hello"


async def test_form_body_like_ptb_is_decoded(api: Api, emu: BotAPIEmulator) -> None:
    """Form fields with JSON-encoded non-string values (PTB's encoding) are decoded."""
    status, body = await api.form(
        "sendMessage",
        {
            "chat_id": str(USER_ID),
            "text": "<b>hi</b>",
            "parse_mode": "HTML",
            "reply_markup": '{"inline_keyboard": [[{"text": "More", "callback_data": "more"}]]}',
            "disable_notification": "true",
        },
    )
    assert status == 200
    assert body["result"]["reply_markup"] == {
        "inline_keyboard": [[{"text": "More", "callback_data": "more"}]]
    }
    assert body["result"]["chat"]["id"] == USER_ID
    assert emu.requests[-1].params["disable_notification"] is True


async def test_multipart_photo_upload_is_stored(api: Api, emu: BotAPIEmulator) -> None:
    """sendPhoto with an uploaded file returns photo sizes and keeps the bytes."""
    form = aiohttp.FormData()
    form.add_field("chat_id", str(USER_ID))
    form.add_field("caption", "<i>Map</i>")
    form.add_field("parse_mode", "HTML")
    form.add_field("photo", b"\x89PNG fake", filename="map.png", content_type="image/png")
    status, body = await api.form("sendPhoto", form)
    assert status == 200
    message = body["result"]
    assert message["caption"] == "Map"
    assert message["caption_entities"] == [{"type": "italic", "offset": 0, "length": 3}]
    assert emu.file(message["photo"][-1]["file_id"]).data == b"\x89PNG fake"


async def test_photo_by_url_then_by_file_id(api: Api) -> None:
    """A photo sent by URL gets a file_id that can be sent again; unknown ids are refused."""
    _, first = await api("sendPhoto", chat_id=USER_ID, photo="https://e.org/a.jpg")
    file_id = first["result"]["photo"][-1]["file_id"]
    _, again = await api("sendPhoto", chat_id=USER_ID, photo=file_id)
    assert again["result"]["photo"] == first["result"]["photo"]
    assert await api("sendPhoto", chat_id=USER_ID, photo="not-a-file-id") == (
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: wrong file identifier/HTTP URL specified",
        },
    )


# -- text validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["<p>para</p>", "<b>unclosed", "1 < 2", "Tom&nbsp;Jerry"],
    ids=["unknown-tag", "unclosed-tag", "bare-lt", "nbsp"],
)
async def test_invalid_html_is_400_cant_parse_entities(api: Api, text: str) -> None:
    """Markup Telegram would refuse gets 400 "Bad Request: can't parse entities: …"."""
    status, body = await api("sendMessage", chat_id=USER_ID, text=text, parse_mode="HTML")
    assert status == 400
    assert body["ok"] is False
    assert body["error_code"] == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    assert "parameters" not in body


async def test_text_limit_is_4096_after_parsing(api: Api) -> None:
    """4096 characters are accepted, 4097 refused; markup does not count towards the limit."""
    assert (await api("sendMessage", chat_id=USER_ID, text="a" * 4096))[0] == 200
    status, body = await api("sendMessage", chat_id=USER_ID, text="a" * 4097)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    tagged = "<b>" + "a" * 4096 + "</b>"
    assert (await api("sendMessage", chat_id=USER_ID, text=tagged, parse_mode="HTML"))[0] == 200


async def test_text_limit_counts_utf16_units(api: Api) -> None:
    """2048 astral emoji (4096 UTF-16 units) pass; 2049 are too long."""
    assert (await api("sendMessage", chat_id=USER_ID, text="👍" * 2048))[0] == 200
    status, body = await api("sendMessage", chat_id=USER_ID, text="👍" * 2049)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")


@pytest.mark.parametrize("text", ["", "   \n", "<b></b>"])
async def test_empty_text_is_400(api: Api, text: str) -> None:
    """Empty or blank text (after parsing) gets "message text is empty"."""
    status, body = await api("sendMessage", chat_id=USER_ID, text=text, parse_mode="HTML")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")


async def test_caption_limit_is_1024(api: Api) -> None:
    """A 1024-character caption is fine and a 1025-character one is refused."""
    photo = "https://e.org/p.jpg"
    assert (await api("sendPhoto", chat_id=USER_ID, photo=photo, caption="c" * 1024))[0] == 200
    status, body = await api("sendPhoto", chat_id=USER_ID, photo=photo, caption="c" * 1025)
    assert (status, body["description"]) == (400, "Bad Request: message caption is too long")


async def test_callback_data_limit_is_64_bytes(api: Api) -> None:
    """callback_data of 64 bytes is fine; 65 bytes (or 66 as 33 two-byte chars) is refused."""
    ok = await api("sendMessage", chat_id=USER_ID, text="x", reply_markup=_keyboard("d" * 64))
    assert ok[0] == 200
    for data in ("d" * 65, "é" * 33):
        status, body = await api(
            "sendMessage", chat_id=USER_ID, text="x", reply_markup=_keyboard(data)
        )
        assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


async def test_url_buttons_are_validated(api: Api) -> None:
    """URL buttons with a web URL pass; a javascript: URL is refused."""
    good = {"inline_keyboard": [[{"text": "Read", "url": "https://e.org/a"}]]}
    bad = {"inline_keyboard": [[{"text": "Read", "url": "javascript:alert(1)"}]]}
    assert (await api("sendMessage", chat_id=USER_ID, text="x", reply_markup=good))[0] == 200
    status, body = await api("sendMessage", chat_id=USER_ID, text="x", reply_markup=bad)
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_URL_INVALID")


async def test_markdown_is_refused_as_unsupported(api: Api) -> None:
    """The emulator implements HTML only and says so for MarkdownV2."""
    status, body = await api("sendMessage", chat_id=USER_ID, text="*x*", parse_mode="MarkdownV2")
    assert status == 400
    assert body["description"].startswith("Bad Request: unsupported parse_mode")


async def test_unknown_chat_is_400_chat_not_found(api: Api) -> None:
    """Sending to a chat nobody created gets "chat not found"."""
    status, body = await api("sendMessage", chat_id=424242, text="x")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


# -- sent messages ---------------------------------------------------------------------------


async def test_returned_entities_use_utf16_offsets(api: Api, emu: BotAPIEmulator) -> None:
    """Entities of a sent message count emoji as two UTF-16 units (flags as four)."""
    _, body = await api(
        "sendMessage", chat_id=USER_ID, text="👍 <b>ok</b> 🇺🇦 <i>x</i>", parse_mode="HTML"
    )
    message = body["result"]
    assert message["text"] == "👍 ok 🇺🇦 x"
    assert message["entities"] == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "italic", "offset": 11, "length": 1},
    ]
    assert emu.sent(USER_ID) == [message]


async def test_message_ids_grow_per_chat_and_from_is_the_bot(api: Api, emu: BotAPIEmulator) -> None:
    """Each chat numbers its messages 1, 2, …; sent messages come from the bot."""
    emu.user(2002)
    first = (await api("sendMessage", chat_id=USER_ID, text="a"))[1]["result"]
    second = (await api("sendMessage", chat_id=USER_ID, text="b"))[1]["result"]
    other = (await api("sendMessage", chat_id=2002, text="c"))[1]["result"]
    assert (first["message_id"], second["message_id"], other["message_id"]) == (1, 2, 1)
    assert first["from"] == emu.bot
    assert isinstance(first["date"], int)


async def test_reply_parameters_attach_the_replied_message(api: Api, emu: BotAPIEmulator) -> None:
    """reply_parameters put the original into reply_to_message; a missing one is refused."""
    user = emu.user(USER_ID, "Ann")
    question = await user.send("What happened?")
    _, body = await api(
        "sendMessage",
        chat_id=USER_ID,
        text="This.",
        reply_parameters={"message_id": question["message_id"]},
    )
    assert body["result"]["reply_to_message"]["text"] == "What happened?"
    status, missing = await api(
        "sendMessage", chat_id=USER_ID, text="x", reply_parameters={"message_id": 999}
    )
    assert (status, missing["description"]) == (400, "Bad Request: message to be replied not found")


async def test_edits_apply_and_unchanged_edit_is_refused(api: Api, emu: BotAPIEmulator) -> None:
    """editMessageText changes the stored message; repeating it gets "message is not modified"."""
    _, sent = await api("sendMessage", chat_id=USER_ID, text="v1", reply_markup=_keyboard("a"))
    message_id = sent["result"]["message_id"]
    edit: dict[str, Any] = {
        "chat_id": USER_ID,
        "message_id": message_id,
        "text": "<b>v2</b>",
        "parse_mode": "HTML",
        "reply_markup": _keyboard("a"),
    }
    _, edited = await api("editMessageText", **edit)
    assert edited["result"]["text"] == "v2"
    assert "edit_date" in edited["result"]
    assert emu.sent(USER_ID)[0]["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    status, again = await api("editMessageText", **edit)  # the very same edit again
    assert status == 400
    assert again["description"] == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )


async def test_edit_without_markup_removes_keyboard(api: Api, emu: BotAPIEmulator) -> None:
    """Like Telegram, editMessageText without reply_markup drops the inline keyboard."""
    _, sent = await api("sendMessage", chat_id=USER_ID, text="v1", reply_markup=_keyboard("a"))
    await api(
        "editMessageText", chat_id=USER_ID, message_id=sent["result"]["message_id"], text="v2"
    )
    assert "reply_markup" not in emu.sent(USER_ID)[0]


async def test_edit_of_missing_message_is_refused(api: Api) -> None:
    """Editing a message that does not exist gets "message to edit not found"."""
    for method, extra in (
        ("editMessageText", {"text": "x"}),
        ("editMessageCaption", {"caption": "x"}),
        ("editMessageReplyMarkup", {"reply_markup": _keyboard("a")}),
    ):
        status, body = await api(method, chat_id=USER_ID, message_id=77, **extra)
        assert (status, body["description"]) == (400, "Bad Request: message to edit not found")


async def test_edit_caption_and_markup(api: Api, emu: BotAPIEmulator) -> None:
    """editMessageCaption and editMessageReplyMarkup update a photo message."""
    _, sent = await api("sendPhoto", chat_id=USER_ID, photo="https://e.org/p.jpg", caption="a")
    message_id = sent["result"]["message_id"]
    _, caption = await api(
        "editMessageCaption", chat_id=USER_ID, message_id=message_id, caption="b"
    )
    assert caption["result"]["caption"] == "b"
    _, markup = await api(
        "editMessageReplyMarkup",
        chat_id=USER_ID,
        message_id=message_id,
        reply_markup=_keyboard("z"),
    )
    assert markup["result"]["reply_markup"] == _keyboard("z")
    assert emu.sent(USER_ID)[0]["caption"] == "b"


async def test_deleted_messages_leave_sent(api: Api, emu: BotAPIEmulator) -> None:
    """deleteMessage hides the message from sent(); deleting it again is refused."""
    _, sent = await api("sendMessage", chat_id=USER_ID, text="oops")
    message_id = sent["result"]["message_id"]
    assert (await api("deleteMessage", chat_id=USER_ID, message_id=message_id))[1]["result"] is True
    assert emu.sent(USER_ID) == []
    assert [m["text"] for m in emu.sent(USER_ID, include_deleted=True)] == ["oops"]
    status, body = await api("deleteMessage", chat_id=USER_ID, message_id=message_id)
    assert (status, body["description"]) == (400, "Bad Request: message to delete not found")


async def test_copy_message_returns_new_id(api: Api, emu: BotAPIEmulator) -> None:
    """copyMessage answers a MessageId and the copy appears in the target chat."""
    emu.user(2002)
    _, sent = await api("sendMessage", chat_id=USER_ID, text="<b>news</b>", parse_mode="HTML")
    _, copied = await api(
        "copyMessage", chat_id=2002, from_chat_id=USER_ID, message_id=sent["result"]["message_id"]
    )
    assert copied["result"] == {"message_id": 1}
    assert emu.sent(2002)[0]["entities"] == [{"type": "bold", "offset": 0, "length": 4}]


async def test_commands_round_trip_and_are_validated(api: Api) -> None:
    """setMyCommands stores commands per scope for getMyCommands; bad names are refused."""
    commands = [{"command": "start", "description": "Start"}]
    assert (await api("setMyCommands", commands=commands))[1]["result"] is True
    assert (await api("getMyCommands"))[1]["result"] == commands
    chats_scope = {"type": "all_group_chats"}
    assert (await api("getMyCommands", scope=chats_scope))[1]["result"] == []
    status, body = await api(
        "setMyCommands", commands=[{"command": "Bad-Name", "description": "x"}]
    )
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")


# -- updates ---------------------------------------------------------------------------------


async def test_long_poll_returns_as_soon_as_a_user_writes(api: Api, emu: BotAPIEmulator) -> None:
    """A getUpdates with a long timeout answers right after the user's message arrives."""
    started = time.monotonic()
    poll = asyncio.create_task(api("getUpdates", timeout=20))
    await asyncio.sleep(0.2)
    assert not poll.done()
    sent = await emu.user(USER_ID, "Ann").send("/topic war")
    status, body = await asyncio.wait_for(poll, 5)
    assert time.monotonic() - started < 5
    assert status == 200
    [update] = body["result"]
    assert update["message"] == sent
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


async def test_offset_confirms_updates(api: Api, emu: BotAPIEmulator) -> None:
    """Updates stay until a getUpdates offset passes them, then are gone for good."""
    user = emu.user(USER_ID, "Ann")
    await user.send("one")
    await user.send("two")
    first = (await api("getUpdates"))[1]["result"]
    assert [u["message"]["text"] for u in first] == ["one", "two"]
    assert (await api("getUpdates"))[1]["result"] == first
    after_first = first[0]["update_id"] + 1
    remaining = (await api("getUpdates", offset=after_first))[1]["result"]
    assert [u["message"]["text"] for u in remaining] == ["two"]
    assert (await api("getUpdates", offset=first[1]["update_id"] + 1))[1]["result"] == []
    assert emu.pending_updates == []


async def test_limit_caps_the_batch(api: Api, emu: BotAPIEmulator) -> None:
    """limit returns at most that many updates, oldest first."""
    user = emu.user(USER_ID, "Ann")
    for text in ("a", "b", "c"):
        await user.send(text)
    result = (await api("getUpdates", limit=2))[1]["result"]
    assert [u["message"]["text"] for u in result] == ["a", "b"]


async def test_allowed_updates_filters_and_is_remembered(api: Api, emu: BotAPIEmulator) -> None:
    """After allowed_updates=["callback_query"], messages are not queued, even on later polls."""
    await api("getUpdates", allowed_updates=["callback_query"])
    user = emu.user(USER_ID, "Ann")
    _, sent = await api("sendMessage", chat_id=USER_ID, text="pick", reply_markup=_keyboard("a"))
    await user.send("ignored")
    await user.press(sent["result"], "a")
    result = (await api("getUpdates"))[1]["result"]
    assert [next(k for k in u if k != "update_id") for u in result] == ["callback_query"]


async def test_second_poll_ends_the_first_with_409(api: Api) -> None:
    """Two concurrent getUpdates: the older one gets 409 Conflict, as with two bot instances."""
    first = asyncio.create_task(api("getUpdates", timeout=10))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(api("getUpdates", timeout=0))
    status, body = await asyncio.wait_for(first, 5)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    assert (await second)[0] == 200


async def test_long_poll_returns_promptly_on_stop(api: Api, emu: BotAPIEmulator) -> None:
    """Stopping the emulator answers a pending long poll at once with an empty result."""
    poll = asyncio.create_task(api("getUpdates", timeout=30))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await emu.stop()
    assert await asyncio.wait_for(poll, 5) == (200, {"ok": True, "result": []})
    assert time.monotonic() - started < 3


async def test_press_validates_the_button(api: Api, emu: BotAPIEmulator) -> None:
    """user.press refuses callback data that is not on the message's current keyboard."""
    user = emu.user(USER_ID, "Ann")
    _, sent = await api("sendMessage", chat_id=USER_ID, text="pick", reply_markup=_keyboard("a"))
    with pytest.raises(ValueError, match="no button with callback_data 'b'"):
        await user.press(sent["result"], "b")
    await api("editMessageReplyMarkup", chat_id=USER_ID, message_id=sent["result"]["message_id"])
    with pytest.raises(ValueError, match="no button"):
        await user.press(sent["result"], "a")


async def test_callback_query_round_trip(api: Api, emu: BotAPIEmulator) -> None:
    """A press queues a callback_query; answering it is recorded, answering twice is refused."""
    user = emu.user(USER_ID, "Ann")
    _, sent = await api("sendMessage", chat_id=USER_ID, text="pick", reply_markup=_keyboard("a"))
    query = await user.press(sent["result"], "a")
    [update] = (await api("getUpdates"))[1]["result"]
    assert update["callback_query"] == query
    assert query["message"]["message_id"] == sent["result"]["message_id"]
    assert query["from"]["id"] == USER_ID
    assert (await api("answerCallbackQuery", callback_query_id=query["id"], text="Saved"))[0] == 200
    assert [(a.callback_query_id, a.text) for a in emu.callback_answers] == [(query["id"], "Saved")]
    status, body = await api("answerCallbackQuery", callback_query_id=query["id"])
    assert status == 400
    assert "query ID is invalid" in body["description"]


async def test_group_membership_updates_and_sending(api: Api, emu: BotAPIEmulator) -> None:
    """The bot cannot write to a group before add_bot, which queues my_chat_member."""
    admin = emu.user(USER_ID, "Ann")
    group = emu.group(-100777, "Newsroom")
    status, body = await api("sendMessage", chat_id=-100777, text="x")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot is not a member of the supergroup chat",
    )
    with pytest.raises(ValueError, match="not a member"):
        await admin.send("/start", chat_id=-100777)
    await group.add_bot(by=admin)
    kinds = [next(k for k in u if k != "update_id") for u in emu.pending_updates]
    assert kinds == ["my_chat_member", "message"]
    member_update = emu.pending_updates[0]["my_chat_member"]
    assert member_update["new_chat_member"]["status"] == "member"
    assert member_update["old_chat_member"]["status"] == "left"
    sent = await admin.send("/start@newsbot_demo_bot", chat_id=-100777)
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 23}]
    assert (await api("sendMessage", chat_id=-100777, text="hello"))[0] == 200
    await group.remove_bot(by=admin)
    status, body = await api("sendMessage", chat_id=-100777, text="x")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot was kicked from the supergroup chat",
    )


async def test_forum_threads(api: Api, emu: BotAPIEmulator) -> None:
    """Forum sends echo message_thread_id; unknown threads and a closed General are refused."""
    forum = emu.group(-100888, "Desk", is_forum=True, bot_status="member")
    thread = forum.create_topic("Ukraine")
    _, body = await api("sendMessage", chat_id=-100888, text="x", message_thread_id=thread)
    assert body["result"]["message_thread_id"] == thread
    assert body["result"]["is_topic_message"] is True
    status, missing = await api("sendMessage", chat_id=-100888, text="x", message_thread_id=999)
    assert (status, missing["description"]) == (400, "Bad Request: message thread not found")
    forum.close_topic()
    status, closed = await api("sendMessage", chat_id=-100888, text="x")
    assert (status, closed["description"]) == (400, "Bad Request: TOPIC_CLOSED")


# -- faults ----------------------------------------------------------------------------------


async def test_per_chat_rate_limit_gives_429_with_retry_after(
    api: Api, emu: BotAPIEmulator
) -> None:
    """With 1 msg/s per chat, a second quick send to one chat is 429; other chats are fine."""
    emu.user(2002)
    emu.faults.clock = lambda: 1000.0  # frozen: both sends fall in one window
    emu.faults.set_rate_limits(
        overall_per_second=None, per_chat_per_second=1, per_group_per_minute=None
    )
    assert (await api("sendMessage", chat_id=USER_ID, text="1"))[0] == 200
    status, body = await api("sendMessage", chat_id=USER_ID, text="2")
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert (await api("sendMessage", chat_id=2002, text="1"))[0] == 200
    assert emu.faults.stats.rate_limited == 1
    assert [m["text"] for m in emu.sent(USER_ID)] == ["1"]


async def test_rate_limit_window_slides(api: Api, emu: BotAPIEmulator) -> None:
    """Once the window has passed (fake clock), the chat may send again."""
    clock = [1000.0]
    emu.faults.clock = lambda: clock[0]
    emu.faults.set_rate_limits(overall_per_second=None, per_chat_per_second=1)
    assert (await api("sendMessage", chat_id=USER_ID, text="1"))[0] == 200
    clock[0] += 0.5
    assert (await api("sendMessage", chat_id=USER_ID, text="2"))[0] == 429
    clock[0] += 0.5
    assert (await api("sendMessage", chat_id=USER_ID, text="3"))[0] == 200


async def test_overall_rate_limit_and_paid_broadcast(api: Api, emu: BotAPIEmulator) -> None:
    """N+1 sends to different chats in a burst hit the overall limit; paid broadcast does not."""
    for user_id in range(1, 8):
        emu.user(user_id)
    emu.faults.clock = lambda: 1000.0  # frozen: the whole burst falls in one window
    emu.faults.set_rate_limits(overall_per_second=5, per_chat_per_second=1, paid_per_second=1000)
    for user_id in range(1, 6):
        assert (await api("sendMessage", chat_id=user_id, text="x"))[0] == 200
    status, body = await api("sendMessage", chat_id=6, text="x")
    assert status == 429
    retry_after = body["parameters"]["retry_after"]
    assert isinstance(retry_after, int)
    assert retry_after >= 1
    paid = await api("sendMessage", chat_id=7, text="x", allow_paid_broadcast=True)
    assert paid[0] == 200


async def test_group_rate_limit_is_per_minute(api: Api, emu: BotAPIEmulator) -> None:
    """Groups get N messages per minute; the next one waits most of a minute."""
    emu.group(-100555, "Club", bot_status="member")
    emu.faults.clock = lambda: 1000.0
    emu.faults.set_rate_limits(overall_per_second=None, per_group_per_minute=2)
    for _ in range(2):
        assert (await api("sendMessage", chat_id=-100555, text="x"))[0] == 200
    status, body = await api("sendMessage", chat_id=-100555, text="x")
    assert status == 429
    assert body["parameters"]["retry_after"] == 60


async def test_blocked_chat_is_403(api: Api, emu: BotAPIEmulator) -> None:
    """A blocked chat answers 403 "Forbidden: bot was blocked by the user" until unblocked."""
    emu.faults.block(USER_ID)
    assert await api("sendMessage", chat_id=USER_ID, text="x") == (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    emu.faults.unblock(USER_ID)
    assert (await api("sendMessage", chat_id=USER_ID, text="x"))[0] == 200
    assert emu.faults.stats.forbidden == 1


async def test_user_blocking_the_bot_queues_my_chat_member(api: Api, emu: BotAPIEmulator) -> None:
    """user.block_bot() makes sends fail with 403 and tells the bot via my_chat_member."""
    user = emu.user(USER_ID, "Ann")
    await user.block_bot()
    [update] = emu.pending_updates
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    assert (await api("sendMessage", chat_id=USER_ID, text="x"))[0] == 403


async def test_migrated_group_gives_migrate_to_chat_id(api: Api, emu: BotAPIEmulator) -> None:
    """Requests to a migrated group get 400 with parameters.migrate_to_chat_id."""
    emu.group(-555, "Old", type="group", bot_status="member")
    emu.faults.migrate(-555, -100555)
    assert await api("sendMessage", chat_id=-555, text="x") == (
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": -100555},
        },
    )
    _, body = await api("sendMessage", chat_id=-100555, text="x")
    assert body["result"]["chat"]["type"] == "supergroup"


async def test_migrate_to_supergroup_sends_service_messages(emu: BotAPIEmulator) -> None:
    """group.migrate_to_supergroup queues the migrate_to/migrate_from service messages."""
    admin = emu.user(USER_ID, "Ann")
    group = emu.group(-42, "Basic", type="group", bot_status="member")
    new = await group.migrate_to_supergroup(-10042, by=admin)
    messages = [u["message"] for u in emu.pending_updates]
    assert messages[0]["migrate_to_chat_id"] == -10042
    assert messages[1]["migrate_from_chat_id"] == -42
    assert new.chat["type"] == "supergroup"


async def test_random_server_errors(api: Api, emu: BotAPIEmulator) -> None:
    """With server_error_rate=1.0 every method but getUpdates answers 500 or 502."""
    emu.faults.set_random_faults(server_error_rate=1.0, seed=7)
    for _ in range(5):
        status, body = await api("sendMessage", chat_id=USER_ID, text="x")
        assert status in (500, 502)
        assert body["description"] == {500: "Internal Server Error", 502: "Bad Gateway"}[status]
    assert (await api("getUpdates"))[0] == 200
    assert emu.faults.stats.server_errors == 5
    assert emu.sent(USER_ID) == []


async def test_dropped_connection_without_answer(api: Api, emu: BotAPIEmulator) -> None:
    """drop_rate=1.0 closes the connection without an answer; with drop_after_processing the
    message is sent anyway."""
    emu.faults.set_random_faults(drop_rate=1.0)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api("sendMessage", chat_id=USER_ID, text="lost")
    assert emu.sent(USER_ID) == []
    emu.faults.set_random_faults(drop_rate=1.0, drop_after_processing=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api("sendMessage", chat_id=USER_ID, text="ghost")
    assert [m["text"] for m in emu.sent(USER_ID)] == ["ghost"]
    assert emu.faults.stats.drops == 2
    assert [r.delivered for r in emu.requests] == [False, False]


async def test_slow_answers(api: Api, emu: BotAPIEmulator) -> None:
    """slow_rate=1.0 delays each answer by slow_seconds."""
    emu.faults.set_random_faults(slow_rate=1.0, slow_seconds=0.3)
    started = time.monotonic()
    assert (await api("sendMessage", chat_id=USER_ID, text="x"))[0] == 200
    assert time.monotonic() - started >= 0.3


async def test_fail_next_scripts_one_error(api: Api, emu: BotAPIEmulator) -> None:
    """faults.fail_next answers the next call with the scripted error, then behaves again."""
    emu.faults.fail_next("sendMessage", 403, "Forbidden: user is deactivated")
    assert (await api("sendMessage", chat_id=USER_ID, text="x"))[1]["description"] == (
        "Forbidden: user is deactivated"
    )
    assert (await api("sendMessage", chat_id=USER_ID, text="x"))[0] == 200


# -- webhooks --------------------------------------------------------------------------------


async def test_webhook_posts_updates_with_secret(api: Api, emu: BotAPIEmulator) -> None:
    """With a webhook set, updates are POSTed with the secret header and getUpdates is 409."""
    received: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put((request.headers.get(SECRET_TOKEN_HEADER), await request.json()))
        return web.Response()

    runner, url = await _receiver(hook)
    try:
        assert (await api("setWebhook", url=url, secret_token="s3cret"))[1]["result"] is True
        status, body = await api("getUpdates")
        assert status == 409
        assert body["description"].startswith("Conflict: can't use getUpdates method")
        sent = await emu.user(USER_ID, "Ann").send("hello")
        secret, update = await asyncio.wait_for(received.get(), 5)
        assert secret == "s3cret"
        assert update["message"] == sent
        info = (await api("getWebhookInfo"))[1]["result"]
        assert (info["url"], info["pending_update_count"]) == (url, 0)
    finally:
        await runner.cleanup()


async def test_webhook_retries_failed_delivery(api: Api, emu: BotAPIEmulator) -> None:
    """A webhook answering 500 gets the same update again, and the error shows in the info."""
    calls: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        calls.append((await request.json())["update_id"])
        return web.Response(status=500 if len(calls) == 1 else 200)

    runner, url = await _receiver(hook)
    try:
        await api("setWebhook", url=url)
        await emu.user(USER_ID, "Ann").send("hello")
        for _ in range(100):
            if len(calls) >= 2:
                break
            await asyncio.sleep(0.05)
        assert len(calls) == 2
        assert calls[0] == calls[1]
        info = (await api("getWebhookInfo"))[1]["result"]
        assert "500" in info["last_error_message"]
        assert len(emu.webhook_deliveries) == 1
    finally:
        await runner.cleanup()


# -- helpers for tests -----------------------------------------------------------------------


async def test_wait_for_sent_explains_timeouts(api: Api, emu: BotAPIEmulator) -> None:
    """wait_for_sent's TimeoutError lists what was sent and the failed calls for that chat."""
    await api("sendMessage", chat_id=USER_ID, text="first")
    await api("sendMessage", chat_id=USER_ID, text="<p>bad</p>", parse_mode="HTML")
    with pytest.raises(TimeoutError) as caught:
        await emu.wait_for_sent(USER_ID, count=2, timeout=0.2)
    message = str(caught.value)
    assert "'first'" in message
    assert "Unsupported start tag" in message


async def test_wait_for_sent_wakes_on_new_message(api: Api, emu: BotAPIEmulator) -> None:
    """wait_for_sent returns once the bot's message arrives."""
    waiter = asyncio.create_task(emu.wait_for_sent(USER_ID, timeout=5))
    await asyncio.sleep(0.1)
    await api("sendMessage", chat_id=USER_ID, text="hi")
    assert [m["text"] for m in await waiter] == ["hi"]


# -- python-telegram-bot ---------------------------------------------------------------------


async def test_ptb_bot_sends_through_the_emulator(emu: BotAPIEmulator) -> None:
    """PTB's Bot with base_url=emu.base_url sends HTML with keyboards and parses the answer."""
    async with Bot(TOKEN, base_url=emu.base_url) as bot:
        message = await bot.send_message(
            USER_ID,
            "👍 <b>Explainer</b>",
            parse_mode="HTML",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="m")]]),
        )
        assert message.text == "👍 Explainer"
        assert (message.entities[0].offset, message.entities[0].length) == (3, 9)
        assert message.from_user is not None
        assert message.from_user.username == "newsbot_demo_bot"
    assert emu.sent(USER_ID)[0]["reply_markup"] == {
        "inline_keyboard": [[{"text": "More", "callback_data": "m"}]]
    }


async def test_ptb_maps_emulator_errors_to_its_exceptions(emu: BotAPIEmulator) -> None:
    """429/403/migration/400 answers become RetryAfter, Forbidden, ChatMigrated, BadRequest."""
    emu.user(2002)
    emu.group(-777, "Old", type="group", bot_status="member")
    emu.faults.migrate(-777, -100777)
    emu.faults.block(2002)
    emu.faults.clock = lambda: 1000.0
    emu.faults.set_rate_limits(overall_per_second=None, per_chat_per_second=1)
    async with Bot(TOKEN, base_url=emu.base_url) as bot:
        await bot.send_message(USER_ID, "1")
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(USER_ID, "2")
        assert retry.value.retry_after == 1
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(2002, "x")
        with pytest.raises(ChatMigrated) as migrated:
            await bot.send_message(-777, "x")
        assert migrated.value.new_chat_id == -100777
        with pytest.raises(BadRequest, match="Can't parse entities"):
            await bot.send_message(-100777, "<p>x</p>", parse_mode="HTML")


async def test_ptb_rejects_a_wrong_token(emu: BotAPIEmulator) -> None:
    """PTB sees the 401 for an unknown token as InvalidToken."""
    with pytest.raises(InvalidToken):
        async with Bot("654321:NOPE", base_url=emu.base_url):
            pass


async def test_ptb_application_answers_a_command_by_polling(emu: BotAPIEmulator) -> None:
    """A PTB Application polling the emulator receives /start and its reply is recorded."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<b>Welcome</b>")

    app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            await emu.user(USER_ID, "Ann").send("/start")
            [reply] = await emu.wait_for_sent(USER_ID, timeout=10)
        finally:
            await app.updater.stop()
            await app.stop()
    assert reply["text"] == "Welcome"
    assert reply["entities"] == [{"type": "bold", "offset": 0, "length": 7}]


# -- standalone runner -----------------------------------------------------------------------


async def test_runner_prints_base_url_and_serves(http: aiohttp.ClientSession) -> None:
    """`python -m bot.emulator --port 0` prints a base URL that answers getMe for its token."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.emulator",
        "--port",
        "0",
        "--token",
        "42:ABC",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        base_url = line.strip().rsplit(" ", 1)[-1]
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/bot")
        async with http.get(f"{base_url}42:ABC/getMe") as response:
            assert (await response.json())["result"]["id"] == 42
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
