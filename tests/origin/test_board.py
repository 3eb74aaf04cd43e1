"""Domain rules of the board, on SQLite and PostgreSQL: rights, states, limits, events."""

from __future__ import annotations

from dataclasses import replace

import msgspec
import pytest
from msgspec import UNSET

from liveqa.origin.board import Actor, AddressRates, Board, CloseSockets, Outcome, Rates, Refused
from liveqa.origin.limits import Limits
from liveqa.origin.messages import (
    Ack,
    BanChanged,
    BansUpdated,
    BlockedWordsSet,
    BlockedWordsUpdated,
    HostGranted,
    HostsUpdated,
    Incoming,
    ParticipantBan,
    ParticipantBanned,
    ParticipantUnban,
    ParticipantUnbanned,
    QuestionAnswer,
    QuestionApprove,
    QuestionDelete,
    QuestionDeleted,
    QuestionEdit,
    QuestionHighlight,
    QuestionMarkAnswered,
    QuestionPost,
    QuestionsApprove,
    QuestionsClear,
    QuestionsCleared,
    QuestionsDismiss,
    QuestionUpdated,
    QuestionUpvote,
    QuestionUpvoted,
    RoomEvent,
    RoomInfoUpdate,
    RoomUpdated,
    UserInfoUpdate,
    UserUpdated,
    VoteChanged,
    encode,
)
from liveqa.origin.ratelimit import Rate
from liveqa.origin.views import HostView, ParticipantView
from liveqa.store import Participant


async def _setup(board: Board, room_id: str = "town-hall") -> tuple[Participant, Participant]:
    host = await board.create_participant("Hana Host")
    guest = await board.create_participant("Gus Guest")
    await board.create_room(host.id, room_id)
    await board.join(room_id, host.id)
    await board.join(room_id, guest.id)
    return host, guest


async def _refused(board: Board, actor: Actor, message: Incoming) -> Refused:
    with pytest.raises(Refused) as refused:
        await board.handle(actor, message)
    return refused.value


async def _ask(board: Board, actor: Actor, text: str = "Why?", nonce: str = "n1") -> str:
    outcome = await board.handle(actor, QuestionPost(question_text=text, nonce=nonce, ref="r"))
    assert isinstance(outcome.reply.question_id, str)
    return outcome.reply.question_id


def _channels(outcome: Outcome) -> list[str]:
    return [publication.channel for publication in outcome.publications]


async def test_participants_get_server_ids_and_valid_names(board: Board) -> None:
    named = await board.create_participant("  Ada  ")
    guest = await board.create_participant()
    assert named.display_name == "Ada"
    assert guest.display_name.startswith("Guest ")
    assert len(named.id) == 16
    assert named.id != guest.id
    assert await board.participant(named.id) == named
    with pytest.raises(Refused) as refused:
        await board.create_participant("x" * 41)
    assert refused.value.code == "text_too_long"


async def test_create_room_makes_the_creator_its_owner(board: Board) -> None:
    creator = await board.create_participant("Ada")
    created = await board.create_room(creator.id, "town-hall", None, "#D35192")
    assert created.room.room_id == "town-hall"
    assert created.room.display_name == "New Room: town-hall"
    assert created.room.theme_color == "#d35192"
    assert created.host_link == f"/town-hall#host={created.host_key}"
    snapshot = await board.snapshot("town-hall", creator.id)
    assert snapshot.me is not None
    assert (snapshot.me.is_host, snapshot.me.is_owner) == (True, True)
    assert created.host_key not in msgspec.json.encode(snapshot).decode()
    assert (await board.host_key("town-hall", creator.id)).host_key == created.host_key
    with pytest.raises(Refused) as taken:
        await board.create_room(creator.id, "town-hall")
    assert (taken.value.status, taken.value.code) == (409, "room_exists")


@pytest.mark.parametrize(
    ("room_id", "name", "color", "code"),
    [
        ("Bad", None, None, "invalid_room_id"),
        ("api", None, None, "invalid_room_id"),
        ("good-id", "", None, "invalid_text"),
        ("good-id", "x" * 81, None, "text_too_long"),
        ("good-id", None, "#123456", "invalid_color"),
    ],
)
async def test_create_room_validates(
    board: Board, room_id: str, name: str | None, color: str | None, code: str
) -> None:
    creator = await board.create_participant("Ada")
    with pytest.raises(Refused) as refused:
        await board.create_room(creator.id, room_id, name, color)
    assert (refused.value.status, refused.value.code) == (400, code)


async def test_room_creation_needs_a_participant_and_is_rate_limited(board: Board) -> None:
    with pytest.raises(Refused) as refused:
        await board.create_room("0123456789abcdef", "nobody-room")
    assert refused.value.status == 401
    limited = Board(board.database, rates=Rates(rooms=Rate(2, 3600)))
    creator = await limited.create_participant("Ada")
    await limited.create_room(creator.id, "room-one")
    await limited.create_room(creator.id, "room-two")
    with pytest.raises(Refused) as refused:
        await limited.create_room(creator.id, "room-three")
    assert refused.value.status == 429


async def test_snapshot_of_unknown_room_and_without_session(board: Board) -> None:
    host, _ = await _setup(board)
    with pytest.raises(Refused) as refused:
        await board.snapshot("no-such-room", host.id)
    assert refused.value.status == 404
    with pytest.raises(Refused):
        await board.snapshot("../etc", host.id)
    snapshot = await board.snapshot("town-hall", None)
    assert (snapshot.me, snapshot.seq, snapshot.questions) == (None, 0, [])


async def test_post_starts_with_the_authors_vote_and_is_published(board: Board) -> None:
    _, guest = await _setup(board)
    actor = Actor(guest.id, "town-hall")
    outcome = await board.handle(
        actor, QuestionPost(question_text="  What is GRIP?  ", nonce="n-1", ref=7)
    )
    assert outcome.reply.ref == 7
    assert outcome.reply.pending is False
    assert _channels(outcome) == ["room-town-hall"]
    event = outcome.publications[0].message
    assert isinstance(event, QuestionUpdated)
    assert event.seq == 1
    assert event.question.question_text == "What is GRIP?"
    assert event.question.upvotes == 1
    assert event.question.author is not None
    assert event.question.author.display_name == "Gus Guest"
    snapshot = await board.snapshot("town-hall", guest.id)
    assert snapshot.seq == 1
    [question] = snapshot.questions
    assert (question.upvoted, question.mine, question.upvotes) == (True, True, 1)


async def test_retried_post_with_the_same_nonce_is_stored_once(board: Board) -> None:
    _, guest = await _setup(board)
    actor = Actor(guest.id, "town-hall")
    first = await board.handle(actor, QuestionPost(question_text="Q", nonce="same"))
    again = await board.handle(actor, QuestionPost(question_text="Q", nonce="same"))
    assert again.reply.question_id == first.reply.question_id
    assert len((await board.snapshot("town-hall", guest.id)).questions) == 1
    # The retry announces the question again (the first event may have died with its origin),
    # as the room's next event, so a client that missed it sees it or a seq gap.
    [announced] = first.publications
    [repeated] = again.publications
    assert isinstance(announced.message, QuestionUpdated)
    assert isinstance(repeated.message, QuestionUpdated)
    assert repeated.channel == announced.channel == "room-town-hall"
    assert repeated.message.question == announced.message.question
    assert isinstance(announced.message.seq, int)
    assert repeated.message.seq == announced.message.seq + 1
    assert (await board.snapshot("town-hall", guest.id)).seq == repeated.message.seq
    await board.create_room(guest.id, "other-room")
    await board.join("other-room", guest.id)
    refused = await _refused(
        board, Actor(guest.id, "other-room"), QuestionPost(question_text="Q", nonce="same")
    )
    assert (refused.status, refused.code) == (409, "nonce_reused")


async def test_a_retried_pending_post_goes_to_hosts_and_author_again(board: Board) -> None:
    host, guest = await _setup(board)
    await board.handle(Actor(host.id, "town-hall"), RoomInfoUpdate(moderation=True))
    actor = Actor(guest.id, "town-hall")
    await board.handle(actor, QuestionPost(question_text="held?", nonce="p1"))
    again = await board.handle(actor, QuestionPost(question_text="held?", nonce="p1"))
    assert again.reply.pending is True
    assert _channels(again) == ["hosts-town-hall", f"participant-{guest.id}"]
    event = again.publications[0].message
    assert isinstance(event, QuestionUpdated)
    assert (event.seq, event.question.pending) == (UNSET, True)


async def test_questions_say_whether_a_host_asked(board: Board) -> None:
    host, guest = await _setup(board)
    copycat = await board.create_participant(host.display_name)
    await board.join("town-hall", copycat.id)
    hosting = Actor(host.id, "town-hall")
    await board.handle(hosting, RoomInfoUpdate(allow_anonymous=True))
    posted = {}
    for actor, nonce, anonymous in (
        (hosting, "h", False),
        (hosting, "ha", True),
        (Actor(copycat.id, "town-hall"), "c", False),
        (Actor(guest.id, "town-hall"), "g", False),
    ):
        outcome = await board.handle(
            actor, QuestionPost(question_text="Q", nonce=nonce, anonymous=anonymous)
        )
        [publication] = outcome.publications
        assert isinstance(publication.message, QuestionUpdated)
        posted[nonce] = publication.message.question.author_is_host
    assert posted == {"h": True, "ha": False, "c": False, "g": False}
    snapshot = await board.snapshot("town-hall", guest.id)
    assert [q.author_is_host for q in snapshot.questions] == [True, False, False, False]
    assert b'"authorIsHost":true' in encode(
        QuestionUpdated(room_id="town-hall", question=snapshot.questions[0])
    )


async def test_anonymous_questions_hide_the_author(board: Board) -> None:
    host, guest = await _setup(board)
    actor = Actor(guest.id, "town-hall")
    refused = await _refused(
        board, actor, QuestionPost(question_text="psst", nonce="a1", anonymous=True)
    )
    assert refused.code == "no_anonymous"
    await board.handle(Actor(host.id, "town-hall"), RoomInfoUpdate(allow_anonymous=True))
    outcome = await board.handle(
        actor, QuestionPost(question_text="psst", nonce="a1", anonymous=True)
    )
    event = outcome.publications[0].message
    assert isinstance(event, QuestionUpdated)
    assert event.question.author is None
    assert guest.id not in str(event)
    for viewer in (host.id, None):
        [seen] = (await board.snapshot("town-hall", viewer)).questions
        assert seen.author is None
        assert seen.mine is False
    [own] = (await board.snapshot("town-hall", guest.id)).questions
    assert own.mine is True
    _, export = await board.export("town-hall", host.id)
    assert export[0].anonymous


async def test_moderation_holds_questions_for_hosts(board: Board) -> None:
    host, guest = await _setup(board)
    hosting = Actor(host.id, "town-hall")
    other = await board.create_participant("Olga")
    await board.join("town-hall", other.id)
    await board.handle(hosting, RoomInfoUpdate(moderation=True))
    outcome = await board.handle(
        Actor(guest.id, "town-hall"), QuestionPost(question_text="held?", nonce="m1")
    )
    assert outcome.reply.pending is True
    assert _channels(outcome) == ["hosts-town-hall", f"participant-{guest.id}"]
    event = outcome.publications[0].message
    assert isinstance(event, QuestionUpdated)
    assert event.seq is UNSET
    assert event.question.pending
    question_id = event.question.question_id
    assert [q.pending for q in (await board.snapshot("town-hall", guest.id)).questions] == [True]
    assert (await board.snapshot("town-hall", host.id)).questions[0].pending
    assert (await board.snapshot("town-hall", other.id)).questions == []
    hidden = await _refused(
        board, Actor(other.id, "town-hall"), QuestionUpvote(question_id=question_id)
    )
    assert (hidden.status, hidden.code) == (404, "unknown_question")
    own = await _refused(
        board, Actor(guest.id, "town-hall"), QuestionUpvote(question_id=question_id)
    )
    assert own.code == "question_pending"
    refused = await _refused(
        board, hosting, QuestionAnswer(question_id=question_id, answer_text="x")
    )
    assert refused.code == "question_pending"
    approved = await board.handle(hosting, QuestionApprove(question_id=question_id, ref="ok"))
    assert _channels(approved) == ["room-town-hall"]
    shown = approved.publications[0].message
    assert isinstance(shown, QuestionUpdated)
    assert not shown.question.pending
    assert [q.question_id for q in (await board.snapshot("town-hall", other.id)).questions] == [
        question_id
    ]
    again = await board.handle(hosting, QuestionApprove(question_id=question_id))
    assert again.publications == []
    host_question = await board.handle(hosting, QuestionPost(question_text="mine", nonce="h"))
    assert host_question.reply.pending is False


async def test_room_states(board: Board) -> None:
    host, guest = await _setup(board)
    hosting, asking = Actor(host.id, "town-hall"), Actor(guest.id, "town-hall")
    question_id = await _ask(board, asking)
    await board.handle(hosting, RoomInfoUpdate(state="voting"))
    refused = await _refused(board, asking, QuestionPost(question_text="more", nonce="n2"))
    assert (refused.status, refused.code) == (403, "room_voting_only")
    await board.handle(asking, QuestionUpvote(question_id=question_id, remove_upvote=True))
    await board.handle(hosting, RoomInfoUpdate(state="closed"))
    closed: list[Incoming] = [
        QuestionPost(question_text="more", nonce="n3"),
        QuestionUpvote(question_id=question_id),
    ]
    for message in closed:
        assert (await _refused(board, asking, message)).code == "room_closed"
    # A closed room stops attendees, not its hosts.
    for hosted in (
        QuestionAnswer(question_id=question_id, answer_text="a"),
        QuestionHighlight(question_id=question_id),
        QuestionDelete(question_id=question_id),
    ):
        assert isinstance((await board.handle(hosting, hosted)).reply, Ack)
    reopened = await board.handle(hosting, RoomInfoUpdate(state="open"))
    assert _channels(reopened) == ["room-town-hall"]


async def test_votes_toggle_once_per_participant(board: Board) -> None:
    host, guest = await _setup(board)
    question_id = await _ask(board, Actor(guest.id, "town-hall"))
    voter = Actor(host.id, "town-hall")
    up = await board.handle(voter, QuestionUpvote(question_id=question_id, ref="v"))
    assert up.reply == Ack(ref="v", question_id=question_id, upvoted=True, upvotes=2)
    assert _channels(up) == ["room-town-hall", f"participant-{host.id}"]
    public, own = (p.message for p in up.publications)
    assert isinstance(public, QuestionUpvoted)
    assert (public.upvotes, public.seq) == (2, 2)
    assert host.id not in str(public)
    assert isinstance(own, VoteChanged)
    assert own.upvoted
    stuffed = await board.handle(voter, QuestionUpvote(question_id=question_id))
    assert stuffed.publications == []
    assert stuffed.reply.upvotes == 2
    down = await board.handle(voter, QuestionUpvote(question_id=question_id, remove_upvote=True))
    assert down.reply.upvotes == 1
    author_down = await board.handle(
        Actor(guest.id, "town-hall"), QuestionUpvote(question_id=question_id, remove_upvote=True)
    )
    assert author_down.reply.upvotes == 0
    assert (await board.snapshot("town-hall", None)).seq == 4


async def test_votes_are_rate_limited(board: Board) -> None:
    limited = Board(board.database, rates=Rates(votes=Rate(3, 60)))
    host, guest = await _setup(limited)
    question_id = await _ask(limited, Actor(guest.id, "town-hall"))
    voter = Actor(host.id, "town-hall")
    for remove in (False, True, False):
        await limited.handle(voter, QuestionUpvote(question_id=question_id, remove_upvote=remove))
    refused = await _refused(limited, voter, QuestionUpvote(question_id=question_id))
    assert refused.status == 429


async def test_posting_is_rate_limited_and_rooms_are_bounded(board: Board) -> None:
    limited = Board(
        board.database, limits=replace(Limits(), questions_per_room=2), rates=Rates(Rate(3, 60))
    )
    host, guest = await _setup(limited)
    asking = Actor(guest.id, "town-hall")
    await _ask(limited, asking, nonce="a")
    await _ask(limited, asking, nonce="b")
    full = await _refused(limited, asking, QuestionPost(question_text="c", nonce="c"))
    assert full.code == "room_full"
    limited_again = await _refused(limited, asking, QuestionPost(question_text="d", nonce="d"))
    assert limited_again.status == 429
    assert host.id


async def test_one_person_may_ask_only_so_many_questions_in_a_room(board: Board) -> None:
    limited = Board(board.database, limits=replace(Limits(), questions_per_participant=2))
    host, guest = await _setup(limited)
    asking = Actor(guest.id, "town-hall")
    await _ask(limited, asking, nonce="a")
    await _ask(limited, asking, nonce="b")
    again = await limited.handle(asking, QuestionPost(question_text="Why?", nonce="b"))
    assert again.reply.question_id  # a retried post is still answered
    refused = await _refused(limited, asking, QuestionPost(question_text="c", nonce="c"))
    assert (refused.status, refused.code) == (403, "too_many_questions")
    await _ask(limited, Actor(host.id, "town-hall"), nonce="h")
    await limited.create_room(host.id, "other-room")
    await limited.join("other-room", guest.id)
    await _ask(limited, Actor(guest.id, "other-room"), nonce="d")


def _by_address(board: Board, **rates: Rate) -> Board:
    unlimited = Rates(*(Rate(0, 1),) * 5)
    return Board(board.database, rates=unlimited, address_rates=AddressRates(**rates))


async def test_sessions_and_rooms_are_limited_per_address(board: Board) -> None:
    limited = _by_address(board, sessions=Rate(2, 3600), rooms=Rate(1, 3600))
    first = await limited.create_participant(None, "203.0.113.7")
    await limited.create_participant("Bo", "203.0.113.7")
    with pytest.raises(Refused) as refused:
        await limited.create_participant(None, "203.0.113.7")
    assert refused.value.status == 429
    assert "sessions from your network" in refused.value.message
    await limited.create_participant(None, "203.0.113.8")
    await limited.create_participant(None)  # loopback and in-process callers pass no address
    await limited.create_room(first.id, "room-one", address="203.0.113.7")
    with pytest.raises(Refused, match="new rooms from your network"):
        await limited.create_room(first.id, "room-two", address="203.0.113.7")


async def test_questions_are_limited_per_address_and_room(board: Board) -> None:
    limited = _by_address(board, questions=Rate(2, 3600))
    host, guest = await _setup(limited)
    await limited.create_room(host.id, "other-room")
    others = [await limited.create_participant(f"P{i}") for i in range(3)]
    for index, person in enumerate(others[:2]):
        actor = Actor(person.id, "town-hall")
        await limited.handle(actor, QuestionPost(question_text="Q", nonce=f"n{index}"), "nat")
    crowded = Actor(others[2].id, "town-hall")
    with pytest.raises(Refused, match="questions from your network in this room"):
        await limited.handle(crowded, QuestionPost(question_text="Q", nonce="x"), "nat")
    await limited.handle(crowded, QuestionPost(question_text="Q", nonce="y"), "other")
    await limited.handle(
        Actor(others[2].id, "other-room"), QuestionPost(question_text="Q", nonce="z"), "nat"
    )
    assert guest.id


async def test_votes_are_limited_per_address_and_question(board: Board) -> None:
    limited = _by_address(board, votes=Rate(2, 3600))
    host, guest = await _setup(limited)
    first = await _ask(limited, Actor(guest.id, "town-hall"), nonce="a")
    second = await _ask(limited, Actor(host.id, "town-hall"), nonce="b")
    voters = [Actor((await limited.create_participant(f"V{i}")).id, "town-hall") for i in range(3)]
    for voter in voters[:2]:
        await limited.handle(voter, QuestionUpvote(question_id=first), "nat")
    with pytest.raises(Refused, match="votes from your network on this question") as refused:
        await limited.handle(voters[2], QuestionUpvote(question_id=first), "nat")
    assert refused.value.status == 429
    await limited.handle(voters[2], QuestionUpvote(question_id=second), "nat")
    await limited.handle(voters[2], QuestionUpvote(question_id=first), "elsewhere")
    taken_back = QuestionUpvote(question_id=first, remove_upvote=True)
    assert (await limited.handle(voters[0], taken_back, "nat")).reply.upvotes == 3
    snapshot = await limited.snapshot("town-hall", None)
    assert [q.upvotes for q in snapshot.questions] == [3, 2]


async def test_host_only_actions_are_refused_for_attendees(board: Board) -> None:
    _, guest = await _setup(board)
    asking = Actor(guest.id, "town-hall")
    question_id = await _ask(board, asking)
    host_only: list[Incoming] = [
        QuestionAnswer(question_id=question_id, answer_text="I answer myself"),
        QuestionApprove(question_id=question_id),
        QuestionHighlight(question_id=question_id),
        RoomInfoUpdate(display_name="Mine now"),
        RoomInfoUpdate(state="closed"),
        ParticipantBan(question_id=question_id),
        ParticipantUnban(ban_id="0123456789abcdef"),
        BlockedWordsSet(words=["host"]),
    ]
    for message in host_only:
        refused = await _refused(board, asking, message)
        assert (refused.status, refused.code) == (403, "not_host")
    with pytest.raises(Refused) as refused_export:
        await board.export("town-hall", guest.id)
    assert refused_export.value.code == "not_host"
    for owner_only in (board.rotate_host_key, board.host_key, board.hosts):
        with pytest.raises(Refused) as refused_key:
            await owner_only("town-hall", guest.id)
        assert refused_key.value.code == "not_host"
    assert (await board.snapshot("town-hall", None)).seq == 1


async def test_answer_delete_and_highlight(board: Board) -> None:
    host, guest = await _setup(board)
    hosting = Actor(host.id, "town-hall")
    question_id = await _ask(board, Actor(guest.id, "town-hall"))
    answered = await board.handle(
        hosting, QuestionAnswer(question_id=question_id, answer_text=" Because. ")
    )
    event = answered.publications[0].message
    assert isinstance(event, QuestionUpdated)
    assert event.question.answer_text == "Because."
    assert event.question.answer_author is not None
    assert event.question.answer_author.display_name == "Hana Host"
    assert event.question.answer_timestamp is not None
    edited = await board.handle(
        hosting, QuestionAnswer(question_id=question_id, answer_text="Edited.")
    )
    assert isinstance(edited.publications[0].message, QuestionUpdated)
    highlighted = await board.handle(hosting, QuestionHighlight(question_id=question_id))
    room_event = highlighted.publications[0].message
    assert isinstance(room_event, RoomUpdated)
    assert room_event.room.highlighted_question_id == question_id
    same = await board.handle(hosting, QuestionHighlight(question_id=question_id))
    assert same.publications == []
    deleted = await board.handle(hosting, QuestionDelete(question_id=question_id))
    gone, cleared = (p.message for p in deleted.publications)
    assert isinstance(gone, QuestionDeleted)
    assert isinstance(cleared, RoomUpdated)
    assert cleared.room.highlighted_question_id is None
    assert [gone.seq, cleared.seq] == [5, 6]
    missing = await _refused(board, hosting, QuestionDelete(question_id=question_id))
    assert (missing.status, missing.code) == (404, "unknown_question")


async def test_a_socket_cannot_touch_another_room(board: Board) -> None:
    host, guest = await _setup(board)
    await board.create_room(guest.id, "guest-room")
    question_id = await _ask(board, Actor(guest.id, "town-hall"))
    in_own_room = Actor(guest.id, "guest-room")
    elsewhere: list[Incoming] = [
        QuestionDelete(question_id=question_id),
        QuestionAnswer(question_id=question_id, answer_text="x"),
        QuestionUpvote(question_id=question_id),
    ]
    for message in elsewhere:
        refused = await _refused(board, in_own_room, message)
        assert refused.code == "unknown_question"
    assert (await board.snapshot("town-hall", None)).questions[0].upvotes == 1
    assert host.id


async def test_room_update_validates_and_publishes_changes_only(board: Board) -> None:
    host, _ = await _setup(board)
    hosting = Actor(host.id, "town-hall")
    outcome = await board.handle(
        hosting, RoomInfoUpdate(display_name=" Town Hall ", theme_color="#188C2D", ref=1)
    )
    event = outcome.publications[0].message
    assert isinstance(event, RoomUpdated)
    assert (event.room.display_name, event.room.theme_color, event.seq) == (
        "Town Hall",
        "#188c2d",
        1,
    )
    unchanged = await board.handle(hosting, RoomInfoUpdate(display_name="Town Hall"))
    assert unchanged.publications == []
    for message, code in [
        (RoomInfoUpdate(theme_color="purple"), "invalid_color"),
        (RoomInfoUpdate(state="paused"), "invalid_state"),
        (RoomInfoUpdate(display_name=" "), "invalid_text"),
    ]:
        assert (await _refused(board, hosting, message)).code == code


async def test_rename_reaches_every_room_joined_or_posted_in(board: Board) -> None:
    host, guest = await _setup(board)
    await board.create_room(host.id, "second-room")
    await board.create_room(host.id, "third-room")
    await board.join("second-room", guest.id)
    outcome = await board.handle(
        Actor(guest.id, "town-hall"), UserInfoUpdate(display_name=" Gustav ", ref="n")
    )
    assert outcome.reply == Ack(ref="n")
    assert sorted(_channels(outcome)) == ["room-second-room", "room-town-hall"]
    for publication in outcome.publications:
        assert isinstance(publication.message, UserUpdated)
        assert publication.message.participant.display_name == "Gustav"
        assert publication.message.seq == 1
    participant = await board.participant(guest.id)
    assert participant is not None
    assert participant.display_name == "Gustav"


async def test_host_key_joins_and_rotation(board: Board) -> None:
    creator = await board.create_participant("Ada")
    created = await board.create_room(creator.id, "town-hall")
    cohost = await board.create_participant("Bea")
    with pytest.raises(Refused) as wrong:
        await board.join_as_host("town-hall", cohost.id, "guess")
    assert (wrong.value.status, wrong.value.code) == (403, "wrong_host_key")
    me, publications = await board.join_as_host("town-hall", cohost.id, created.host_key)
    assert (me.is_host, me.is_owner) == (True, False)
    # The new host's open sockets are told to reconnect (and join the hosts' channel), once;
    # the hosts see the new list.
    assert [(p.channel, p.message) for p in publications] == [
        (f"participant-{cohost.id}", HostGranted(room_id="town-hall")),
        (
            "hosts-town-hall",
            HostsUpdated(
                room_id="town-hall",
                hosts=[
                    HostView(participant_id=creator.id, display_name="Ada", role="owner"),
                    HostView(participant_id=cohost.id, display_name="Bea", role="cohost"),
                ],
            ),
        ),
    ]
    _, again = await board.join_as_host("town-hall", cohost.id, created.host_key)
    assert again == []
    creator_again, none = await board.join_as_host("town-hall", creator.id, created.host_key)
    assert (creator_again.is_owner, none) == (True, [])
    # Only the owner sees and rotates the key.
    for owner_only in (board.rotate_host_key, board.host_key):
        with pytest.raises(Refused) as not_owner:
            await owner_only("town-hall", cohost.id)
        assert (not_owner.value.status, not_owner.value.code) == (403, "not_owner")
    rotated, revocations = await board.rotate_host_key("town-hall", creator.id)
    assert rotated.host_key != created.host_key
    assert rotated.host_link == f"/town-hall#host={rotated.host_key}"
    assert (await board.host_key("town-hall", creator.id)).host_key == rotated.host_key
    assert [p.display_name for p in rotated.revoked] == ["Bea"]
    # The hosts hear of it first: nothing of this change follows the close of Bea's sockets.
    assert revocations[0].channel == "hosts-town-hall"
    assert [(p.channel, p.message) for p in revocations[1:]] == [
        (f"host-{cohost.id}-town-hall", CloseSockets(4403, "host_revoked")),
    ]
    assert not (await board.join("town-hall", cohost.id)).is_host
    late = await board.create_participant("Cy")
    with pytest.raises(Refused):
        await board.join_as_host("town-hall", late.id, created.host_key)
    assert (await board.join_as_host("town-hall", late.id, rotated.host_key))[0].is_host
    with pytest.raises(Refused) as missing:
        await board.join_as_host("no-room", late.id, rotated.host_key)
    assert missing.value.status == 404


async def test_rotation_may_keep_the_cohosts(board: Board) -> None:
    creator = await board.create_participant("Ada")
    created = await board.create_room(creator.id, "town-hall")
    cohost = await board.create_participant("Bea")
    await board.join_as_host("town-hall", cohost.id, created.host_key)
    kept, publications = await board.rotate_host_key("town-hall", creator.id, keep_cohosts=True)
    assert (kept.revoked, publications) == ([], [])
    assert (await board.join("town-hall", cohost.id)).is_host
    # The next rotation revokes a co-host who never used a newer key.
    rotated, _ = await board.rotate_host_key("town-hall", creator.id)
    assert [p.participant_id for p in rotated.revoked] == [cohost.id]


async def test_the_owner_lists_and_removes_cohosts(board: Board) -> None:
    creator = await board.create_participant("Ada")
    created = await board.create_room(creator.id, "town-hall")
    first, second = [await board.create_participant(name) for name in ("Bea", "Cy")]
    for cohost in (first, second):
        await board.join_as_host("town-hall", cohost.id, created.host_key)
    hosts = await board.hosts("town-hall", second.id)
    assert [(h.display_name, h.role) for h in hosts.hosts] == [
        ("Ada", "owner"),
        ("Bea", "cohost"),
        ("Cy", "cohost"),
    ]
    for target in (creator.id, second.id):
        with pytest.raises(Refused) as not_owner:
            await board.remove_host("town-hall", first.id, target)
        assert not_owner.value.code == "not_owner"
    with pytest.raises(Refused) as owner:
        await board.remove_host("town-hall", creator.id, creator.id)
    assert (owner.value.status, owner.value.code) == (409, "owner")
    after, publications = await board.remove_host("town-hall", creator.id, first.id)
    assert [h.display_name for h in after.hosts] == ["Ada", "Cy"]
    assert [p.channel for p in publications] == ["hosts-town-hall", f"host-{first.id}-town-hall"]
    for target in (first.id, "ffffffffffffffff"):
        with pytest.raises(Refused) as unknown:
            await board.remove_host("town-hall", creator.id, target)
        assert (unknown.value.status, unknown.value.code) == (404, "unknown_host")
    with pytest.raises(Refused) as gone:
        await board.hosts("town-hall", first.id)
    assert gone.value.code == "not_host"
    with pytest.raises(Refused) as nowhere:
        await board.remove_host("no-room", creator.id, first.id)
    assert nowhere.value.status == 404


async def test_join_checks_participant_and_room(board: Board) -> None:
    host, guest = await _setup(board)
    joined = await board.join("town-hall", host.id)
    assert joined.is_host
    assert not (await board.join("town-hall", guest.id)).is_host
    for room_id, participant_id, status in [
        ("town-hall", None, 401),
        ("town-hall", "ffffffffffffffff", 401),
        ("no-such-room", guest.id, 404),
        ("BAD ID", guest.id, 404),
    ]:
        with pytest.raises(Refused) as refused:
            await board.join(room_id, participant_id)
        assert refused.value.status == status


async def test_seq_increases_by_one_per_room_event(board: Board) -> None:
    host, guest = await _setup(board)
    hosting, asking = Actor(host.id, "town-hall"), Actor(guest.id, "town-hall")
    seqs: list[int] = []
    question_id = await _ask(board, asking)
    actions: list[Incoming] = [
        QuestionUpvote(question_id=question_id),
        RoomInfoUpdate(theme_color="#af2c37"),
        QuestionAnswer(question_id=question_id, answer_text="ok"),
        UserInfoUpdate(display_name="Gus"),
    ]
    for message in actions:
        actor = asking if isinstance(message, UserInfoUpdate) else hosting
        outcome = await board.handle(actor, message)
        for publication in outcome.publications:
            if publication.channel == "room-town-hall":
                assert isinstance(publication.message, RoomEvent)
                assert isinstance(publication.message.seq, int)
                seqs.append(publication.message.seq)
    assert seqs == [2, 3, 4, 5]
    assert (await board.snapshot("town-hall", None)).seq == 5


async def test_my_rooms_lists_the_rooms_i_host(board: Board) -> None:
    host, guest = await _setup(board)
    await board.create_room(guest.id, "guest-room")
    mine = await board.my_rooms(host.id)
    assert [(r.room_id, r.role, r.questions) for r in mine.rooms] == [("town-hall", "owner", 0)]
    assert [r.room_id for r in (await board.my_rooms(guest.id)).rooms] == ["guest-room"]
    with pytest.raises(Refused) as nobody:
        await board.my_rooms("ffffffffffffffff")
    assert nobody.value.status == 401


async def test_only_the_owner_deletes_a_room_confirming_its_id(board: Board) -> None:
    host, guest = await _setup(board)
    created = await board.create_room(host.id, "other")
    cohost = await board.create_participant("Cora")
    await board.join_as_host(
        "town-hall", cohost.id, (await board.host_key("town-hall", host.id)).host_key
    )
    await _ask(board, Actor(guest.id, "town-hall"))
    for who, code in ((guest.id, "not_host"), (cohost.id, "not_owner")):
        with pytest.raises(Refused) as refused:
            await board.delete_room("town-hall", who, "town-hall")
        assert (refused.value.status, refused.value.code) == (403, code)
    with pytest.raises(Refused) as mismatch:
        await board.delete_room("town-hall", host.id, "other")
    assert (mismatch.value.status, mismatch.value.code) == (400, "confirmation_mismatch")
    publications = await board.delete_room("town-hall", host.id, "town-hall")
    assert [(p.channel, p.message) for p in publications] == [
        ("room-town-hall", CloseSockets(4410, "room_deleted"))
    ]
    with pytest.raises(Refused) as gone:
        await board.snapshot("town-hall", host.id)
    assert gone.value.status == 404
    with pytest.raises(Refused) as again:
        await board.delete_room("town-hall", host.id, "town-hall")
    assert again.value.status == 404
    assert [r.room_id for r in (await board.my_rooms(host.id)).rooms] == [created.room.room_id]
    # The id is free: anyone may make the room afresh, and it starts empty.
    await board.create_room(guest.id, "town-hall")
    snapshot = await board.snapshot("town-hall", host.id)
    assert snapshot.questions == []
    assert snapshot.me is not None
    assert snapshot.me.is_host is False


async def test_hosts_clear_all_or_answered_questions(board: Board) -> None:
    host, guest = await _setup(board)
    asking, hosting = Actor(guest.id, "town-hall"), Actor(host.id, "town-hall")
    first = await _ask(board, asking, "First?", "n1")
    second = await _ask(board, asking, "Second?", "n2")
    await board.handle(hosting, QuestionAnswer(question_id=first, answer_text="Yes"))
    await board.handle(hosting, QuestionHighlight(question_id=first))
    refused = await _refused(board, asking, QuestionsClear())
    assert refused.code == "not_host"
    outcome = await board.handle(hosting, QuestionsClear(answered_only=True, ref="c"))
    assert outcome.reply == Ack(ref="c", cleared=1)
    cleared, unhighlighted = outcome.publications
    assert cleared.message == QuestionsCleared(room_id="town-hall", seq=5, answered_only=True)
    assert isinstance(unhighlighted.message, RoomUpdated)
    assert unhighlighted.message.room.highlighted_question_id is None
    snapshot = await board.snapshot("town-hall", host.id)
    assert [q.question_id for q in snapshot.questions] == [second]
    outcome = await board.handle(hosting, QuestionsClear())
    assert (outcome.reply.cleared, _channels(outcome)) == (1, ["room-town-hall"])
    nothing = await board.handle(hosting, QuestionsClear())
    assert (nothing.reply.cleared, nothing.publications) == (0, [])
    assert (await board.snapshot("town-hall", None)).seq == 7


async def _held(board: Board, count: int) -> tuple[Actor, Actor, list[str]]:
    """A moderated room with `count` questions of Gus waiting; the host, Gus and their ids."""
    host, guest = await _setup(board)
    hosting, asking = Actor(host.id, "town-hall"), Actor(guest.id, "town-hall")
    await board.handle(hosting, RoomInfoUpdate(moderation=True))
    ids = [await _ask(board, asking, f"Held {n}?", f"n{n}") for n in range(count)]
    return hosting, asking, ids


async def test_hosts_approve_several_waiting_questions_in_one_message(board: Board) -> None:
    hosting, asking, ids = await _held(board, 3)
    refused = await _refused(board, asking, QuestionsApprove(question_ids=ids))
    assert refused.code == "not_host"
    seq = (await board.snapshot("town-hall", None)).seq
    outcome = await board.handle(
        hosting, QuestionsApprove(question_ids=[ids[2], ids[0], ids[2], "0" * 16], ref="b")
    )
    # In the order they were asked; an unknown id is left out, a repeated one counted once.
    assert outcome.reply == Ack(ref="b", question_ids=[ids[0], ids[2]])
    events = [p.message for p in outcome.publications]
    assert _channels(outcome) == ["room-town-hall"] * 2
    assert all(isinstance(e, QuestionUpdated) and not e.question.pending for e in events)
    assert [(e.seq, e.question.question_id) for e in events] == [  # type: ignore[union-attr]
        (seq + 1, ids[0]),
        (seq + 2, ids[2]),
    ]
    snapshot = await board.snapshot("town-hall", None)
    assert (snapshot.seq, [q.question_id for q in snapshot.questions]) == (
        seq + 2,
        [ids[0], ids[2]],
    )
    again = await board.handle(hosting, QuestionsApprove(question_ids=ids[:1]))
    assert (again.reply.question_ids, again.publications) == ([], [])


async def test_hosts_dismiss_several_waiting_questions_in_one_message(board: Board) -> None:
    hosting, asking, ids = await _held(board, 3)
    await board.handle(hosting, QuestionApprove(question_id=ids[1]))
    refused = await _refused(board, asking, QuestionsDismiss(question_ids=ids))
    assert refused.code == "not_host"
    seq = (await board.snapshot("town-hall", None)).seq
    outcome = await board.handle(hosting, QuestionsDismiss(question_ids=ids, ref="d"))
    # The one approved meanwhile stays: dismissing is for questions still waiting.
    assert outcome.reply == Ack(ref="d", question_ids=[ids[0], ids[2]])
    assert [p.message for p in outcome.publications] == [
        QuestionDeleted(room_id="town-hall", seq=seq + 1, question_id=ids[0]),
        QuestionDeleted(room_id="town-hall", seq=seq + 2, question_id=ids[2]),
    ]
    snapshot = await board.snapshot("town-hall", hosting.participant_id)
    assert [q.question_id for q in snapshot.questions] == [ids[1]]
    again = await board.handle(hosting, QuestionsDismiss(question_ids=ids))
    assert (again.reply.question_ids, again.publications) == ([], [])


@pytest.mark.parametrize("message_type", [QuestionsApprove, QuestionsDismiss])
async def test_bulk_messages_are_bounded(
    board: Board, message_type: type[QuestionsApprove] | type[QuestionsDismiss]
) -> None:
    hosting, _, ids = await _held(board, 1)
    small = Board(board.database, limits=Limits(batch=2))
    empty = await _refused(small, hosting, message_type(question_ids=[]))
    assert (empty.status, empty.code) == (400, "no_questions")
    many = await _refused(small, hosting, message_type(question_ids=[ids[0], "a" * 16, "b" * 16]))
    assert (many.status, many.code) == (400, "too_many_questions_at_once")
    assert "at most 2 questions" in many.message
    # Repeats count once.
    fits = await small.handle(hosting, message_type(question_ids=[ids[0], ids[0], "a" * 16]))
    assert fits.reply.question_ids == ids
    assert board.limits.batch == 200


async def test_hosts_mark_questions_answered_without_an_answer_and_reopen_them(
    board: Board,
) -> None:
    host, guest = await _setup(board)
    hosting, asking = Actor(host.id, "town-hall"), Actor(guest.id, "town-hall")
    bare = await _ask(board, asking, "Bare?", "n1")
    replied = await _ask(board, asking, "Replied?", "n2")
    refused = await _refused(board, asking, QuestionMarkAnswered(question_id=bare))
    assert refused.code == "not_host"

    marked = await board.handle(hosting, QuestionMarkAnswered(question_id=bare, ref="m"))
    assert marked.reply == Ack(ref="m", question_id=bare)
    [publication] = marked.publications
    event = publication.message
    assert isinstance(event, QuestionUpdated)
    assert publication.channel == "room-town-hall"
    assert event.seq == 3
    assert (event.question.answer_text, event.question.answer_author) == (
        None,
        ParticipantView(participant_id=host.id, display_name="Hana Host"),
    )
    assert event.question.answer_timestamp is not None
    same = await board.handle(hosting, QuestionMarkAnswered(question_id=bare))
    assert same.publications == []

    reopened = await board.handle(hosting, QuestionMarkAnswered(question_id=bare, answered=False))
    shown = reopened.publications[0].message
    assert isinstance(shown, QuestionUpdated)
    assert shown.seq == 4
    assert (shown.question.answer_timestamp, shown.question.answer_author) == (None, None)

    # Reopening a written answer keeps it (and its author) for when it is marked again.
    await board.handle(hosting, QuestionAnswer(question_id=replied, answer_text="Later"))
    again = await board.handle(hosting, QuestionMarkAnswered(question_id=replied, answered=False))
    kept = again.publications[0].message
    assert isinstance(kept, QuestionUpdated)
    assert (kept.question.answer_text, kept.question.answer_timestamp) == ("Later", None)
    assert kept.question.answer_author is not None
    # Only answered questions are cleared as answered: a reopened one is not.
    cleared = await board.handle(hosting, QuestionMarkAnswered(question_id=bare))
    assert cleared.publications
    outcome = await board.handle(hosting, QuestionsClear(answered_only=True))
    assert outcome.reply.cleared == 1
    left = (await board.snapshot("town-hall", None)).questions
    assert [q.question_id for q in left] == [replied]


async def test_a_waiting_question_is_approved_before_it_is_marked(board: Board) -> None:
    hosting, _, ids = await _held(board, 1)
    refused = await _refused(board, hosting, QuestionMarkAnswered(question_id=ids[0]))
    assert refused.code == "question_pending"
    unknown = await _refused(board, hosting, QuestionMarkAnswered(question_id="f" * 16))
    assert unknown.code == "unknown_question"


# Moderator rights: edits, authors' own changes, bans, blocked words


async def test_a_host_edits_any_question_and_every_screen_hears_it(board: Board) -> None:
    host, guest = await _setup(board)
    host_actor, guest_actor = Actor(host.id, "town-hall"), Actor(guest.id, "town-hall")
    question_id = await _ask(board, guest_actor, "Wher is my phone number 555-1234?")
    outcome = await board.handle(
        host_actor, QuestionEdit(question_id=question_id, question_text="  Where is it?  ")
    )
    assert outcome.reply.question_id == question_id
    [publication] = outcome.publications
    assert publication.channel == "room-town-hall"
    event = publication.message
    assert isinstance(event, QuestionUpdated)
    assert event.seq == 2
    assert (event.question.question_text, event.question.edited_by) == ("Where is it?", "host")
    # Its author cannot put back what a host took out.
    for message in (
        QuestionEdit(question_id=question_id, question_text="555-1234"),
        QuestionDelete(question_id=question_id),
    ):
        assert (await _refused(board, guest_actor, message)).code == "question_locked"
    snapshot = await board.snapshot("town-hall", guest.id)
    assert [(q.question_text, q.edited_by) for q in snapshot.questions] == [
        ("Where is it?", "host")
    ]


async def test_authors_edit_and_delete_their_own_question_until_it_is_answered_or_voted(
    board: Board,
) -> None:
    host, guest = await _setup(board)
    other = await board.create_participant("Olga")
    await board.join("town-hall", other.id)
    host_actor, guest_actor = Actor(host.id, "town-hall"), Actor(guest.id, "town-hall")
    other_actor = Actor(other.id, "town-hall")
    first = await _ask(board, guest_actor, "Typo questoin", "n1")
    edited = await board.handle(
        guest_actor, QuestionEdit(question_id=first, question_text="Typo question")
    )
    [publication] = edited.publications
    assert isinstance(publication.message, QuestionUpdated)
    assert publication.message.question.edited_by == "author"
    # Someone else may neither edit nor delete it.
    for message in (
        QuestionEdit(question_id=first, question_text="Hijacked"),
        QuestionDelete(question_id=first),
    ):
        assert (await _refused(board, other_actor, message)).code == "not_host"
    # Another person's vote locks it for its author; hosts still can.
    await board.handle(other_actor, QuestionUpvote(question_id=first))
    for message in (
        QuestionEdit(question_id=first, question_text="Changed after votes"),
        QuestionDelete(question_id=first),
    ):
        refused = await _refused(board, guest_actor, message)
        assert (refused.code, refused.status) == ("question_locked", 403)
        assert "only a host" in refused.message
    await board.handle(host_actor, QuestionEdit(question_id=first, question_text="Host fixed"))
    # An answer locks it too.
    second = await _ask(board, guest_actor, "Second", "n2")
    await board.handle(host_actor, QuestionAnswer(question_id=second, answer_text="Yes"))
    locked = await _refused(board, guest_actor, QuestionDelete(question_id=second))
    assert locked.code == "question_locked"
    # Unanswered and voted only by its author: the author deletes it.
    third = await _ask(board, guest_actor, "Third", "n3")
    deleted = await board.handle(guest_actor, QuestionDelete(question_id=third))
    assert isinstance(deleted.publications[0].message, QuestionDeleted)
    await board.handle(host_actor, QuestionDelete(question_id=first))


async def test_a_ban_hides_the_authors_questions_and_refuses_their_posts_and_votes(
    board: Board,
) -> None:
    host, guest = await _setup(board)
    host_actor, guest_actor = Actor(host.id, "town-hall"), Actor(guest.id, "town-hall")
    await board.handle(host_actor, RoomInfoUpdate(allow_anonymous=True))
    kept = await _ask(board, host_actor, "Host's question", "h1")
    named = await _ask(board, guest_actor, "Named", "g1")
    outcome = await board.handle(
        guest_actor, QuestionPost(question_text="Anonymous troll", nonce="g2", anonymous=True)
    )
    anonymous = outcome.reply.question_id
    assert isinstance(anonymous, str)
    await board.handle(host_actor, QuestionHighlight(question_id=named))

    banned = await board.handle(host_actor, ParticipantBan(question_id=anonymous))
    ban_id = banned.reply.ban_id
    assert isinstance(ban_id, str)
    assert _channels(banned) == [
        "room-town-hall",
        "room-town-hall",
        "hosts-town-hall",
        f"participant-{guest.id}",
    ]
    hidden, unhighlighted, bans, told = (p.message for p in banned.publications)
    assert isinstance(hidden, ParticipantBanned)
    assert sorted(hidden.question_ids) == sorted([named, anonymous])
    assert isinstance(unhighlighted, RoomUpdated)
    assert unhighlighted.room.highlighted_question_id is None
    assert isinstance(bans, BansUpdated)
    # Banned from an anonymous question: the list does not unmask its author.
    assert [(b.display_name, b.question_text) for b in bans.bans] == [(None, "Anonymous troll")]
    assert told == BanChanged(room_id="town-hall", banned=True)

    for viewer in (host.id, guest.id, None):
        snapshot = await board.snapshot("town-hall", viewer)
        assert [q.question_id for q in snapshot.questions] == [kept]
    guest_view = await board.snapshot("town-hall", guest.id)
    assert guest_view.me is not None
    assert guest_view.me.banned
    assert guest_view.rules is None
    host_view = await board.snapshot("town-hall", host.id)
    assert host_view.rules is not None
    assert [b.ban_id for b in host_view.rules.bans] == [ban_id]

    # Their own questions are hidden from them too: nothing of theirs is left to edit.
    hidden_edit = await _refused(
        board, guest_actor, QuestionEdit(question_id=named, question_text="x")
    )
    assert hidden_edit.code == "not_host"
    assert (await _refused(board, guest_actor, QuestionUpvote(question_id=kept))).code == "banned"
    posted = await _refused(board, guest_actor, QuestionPost(question_text="Again", nonce="g4"))
    assert (posted.code, posted.status) == ("banned", 403)
    # Resending a post made before the ban (same nonce) is refused the same way.
    retried = await _refused(board, guest_actor, QuestionPost(question_text="Named", nonce="g1"))
    assert retried.code == "banned"
    # A host link does not undo a ban.
    room_key = (await board.host_key("town-hall", host.id)).host_key
    with pytest.raises(Refused) as link:
        await board.join_as_host("town-hall", guest.id, room_key)
    assert link.value.code == "banned"

    lifted = await board.handle(host_actor, ParticipantUnban(ban_id=ban_id))
    shown = lifted.publications[0].message
    assert isinstance(shown, ParticipantUnbanned)
    assert sorted(q.question_id for q in shown.questions) == sorted([named, anonymous])
    assert shown.seq == hidden.seq + 2  # type: ignore[operator]
    assert (
        await _refused(board, host_actor, ParticipantUnban(ban_id=ban_id))
    ).code == "unknown_ban"
    assert (await board.handle(guest_actor, QuestionUpvote(question_id=kept))).reply.upvoted


async def test_nobody_bans_themself_the_owner_or_a_cohost(board: Board) -> None:
    host, guest = await _setup(board)
    cohost = await board.create_participant("Cora")
    key = (await board.host_key("town-hall", host.id)).host_key
    await board.join_as_host("town-hall", cohost.id, key)
    owner_q = await _ask(board, Actor(host.id, "town-hall"), "Owner's", "o1")
    cohost_q = await _ask(board, Actor(cohost.id, "town-hall"), "Co-host's", "c1")
    guest_q = await _ask(board, Actor(guest.id, "town-hall"), "Guest's", "g1")
    as_cohost = Actor(cohost.id, "town-hall")
    codes = [
        (await _refused(board, as_cohost, ParticipantBan(question_id=q))).code
        for q in (owner_q, cohost_q)
    ]
    assert codes == ["cannot_ban_owner", "cannot_ban_self"]
    refused = await _refused(
        board, Actor(host.id, "town-hall"), ParticipantBan(question_id=cohost_q)
    )
    assert (refused.code, refused.status) == ("cannot_ban_host", 409)
    # An attendee bans nobody; a co-host bans an attendee.
    assert (
        await _refused(board, Actor(guest.id, "town-hall"), ParticipantBan(question_id=owner_q))
    ).code == "not_host"
    assert (await board.handle(as_cohost, ParticipantBan(question_id=guest_q))).reply.ban_id


async def test_blocked_words_refuse_a_question_or_hold_it_for_approval(board: Board) -> None:
    host, guest = await _setup(board)
    host_actor, guest_actor = Actor(host.id, "town-hall"), Actor(guest.id, "town-hall")
    refused = await _refused(board, guest_actor, BlockedWordsSet(words=["spam"]))
    assert refused.code == "not_host"
    outcome = await board.handle(host_actor, BlockedWordsSet(words=["Spam", "free  money", "spam"]))
    assert outcome.reply.words == ["spam", "free money"]
    [publication] = outcome.publications
    assert publication.channel == "hosts-town-hall"
    assert publication.message == BlockedWordsUpdated(
        room_id="town-hall", words=["spam", "free money"]
    )

    blocked = await _refused(
        board, guest_actor, QuestionPost(question_text="Buy SPAM now", nonce="g1")
    )
    assert (blocked.code, blocked.status) == ("blocked_word", 403)
    assert "spam" not in blocked.message.lower()
    assert await _ask(board, guest_actor, "Spammers welcome?", "g2")
    # Hosts are not filtered; with moderation on the question waits for a host instead.
    assert await _ask(board, host_actor, "Is spam a word?", "h1")
    await board.handle(host_actor, RoomInfoUpdate(moderation=True))
    held = await board.handle(guest_actor, QuestionPost(question_text="free money!", nonce="g3"))
    assert held.reply.pending is True
    snapshot = await board.snapshot("town-hall", host.id)
    assert snapshot.rules is not None
    assert snapshot.rules.blocked_words == ["spam", "free money"]

    too_many = await _refused(
        board, host_actor, BlockedWordsSet(words=[f"w{i}" for i in range(101)])
    )
    assert too_many.code == "too_many_words"
    too_long = await _refused(board, host_actor, BlockedWordsSet(words=["x" * 51]))
    assert too_long.code == "text_too_long"
