"""The query set on SQLite and PostgreSQL: constraints, sequence numbers, visibility."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from liveqa.store import Database, Queries
from liveqa.store.tables import votes


async def _room(queries: Queries, room_id: str = "room-a", creator: str = "p1") -> None:
    if await queries.participant(creator) is None:
        await queries.create_participant(creator, creator.upper(), 1)
    created = await queries.create_room(
        room_id,
        display_name=f"Room {room_id}",
        theme_color="#038cfc",
        host_key="k" * 24,
        created_by=creator,
        now=2,
    )
    assert created


async def _question(
    queries: Queries, question_id: str, *, author: str = "p1", room_id: str = "room-a", **kw: bool
) -> None:
    await queries.insert_question(
        question_id=question_id,
        room_id=room_id,
        author_id=author,
        nonce=f"n-{question_id}",
        text=f"text of {question_id}",
        anonymous=kw.get("anonymous", False),
        pending=kw.get("pending", False),
        now=10 + len(question_id),
    )


async def test_participants_create_read_rename(database: Database) -> None:
    async with database.write() as queries:
        await queries.create_participant("p1", "Ada", 5)
    async with database.write() as queries:
        await queries.rename_participant("p1", "Grace")
    async with database.read() as queries:
        participant = await queries.participant("p1")
        missing = await queries.participant("nobody")
    assert participant is not None
    assert (participant.id, participant.display_name, participant.created_at) == ("p1", "Grace", 5)
    assert missing is None


async def test_room_ids_are_unique(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries)
    async with database.write() as queries:
        again = await queries.create_room(
            "room-a", display_name="x", theme_color="#d35192", host_key="z", created_by="p1", now=3
        )
        room = await queries.room("room-a")
    assert again is False
    assert room is not None
    assert (room.display_name, room.theme_color, room.state, room.seq) == (
        "Room room-a",
        "#038cfc",
        "open",
        0,
    )


async def test_creator_is_host_and_hosts_are_per_room(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a", "p1")
        await _room(queries, "room-b", "p2")
        assert await queries.add_host("room-a", "p2", 9, key_generation=1) is True
        assert await queries.add_host("room-a", "p2", 9, key_generation=1) is False
    async with database.read() as queries:
        hosts = [
            await queries.is_host(room, person)
            for room in ("room-a", "room-b")
            for person in ("p1", "p2")
        ]
        roles = [await queries.host_role("room-a", person) for person in ("p1", "p2", "p3")]
    assert hosts == [True, True, False, True]
    assert roles == ["owner", "cohost", None]


async def test_arrival_reads_participant_room_membership_and_host_role(
    database: Database,
) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a", "p1")
        await queries.create_participant("p2", "Grace", 3)
        await queries.create_participant("p3", "Linus", 4)
        await queries.add_member("room-a", "p2", 5)
        await queries.add_host("room-a", "p3", 6, key_generation=1)
    async with database.read() as queries:
        owner = await queries.arrival("room-a", "p1")
        member = await queries.arrival("room-a", "p2")
        cohost = await queries.arrival("room-a", "p3")
        elsewhere = await queries.arrival("room-b", "p2")
        nobody = await queries.arrival("room-a", "p9")
    assert nobody is None
    arrivals = [owner, member, cohost, elsewhere]
    assert all(arrival is not None for arrival in arrivals)
    assert member is not None
    assert (member.participant.display_name, member.participant.created_at) == ("Grace", 3)
    assert member.room is not None
    assert member.room.display_name == "Room room-a"
    assert elsewhere is not None
    assert elsewhere.room is None
    places = [(a.member, a.host) for a in arrivals if a is not None]
    assert places == [(False, True), (True, False), (False, True), (False, False)]


async def test_rotation_revokes_cohosts_of_older_keys(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a", "p1")
        for person in ("p2", "p3", "p4"):
            await queries.create_participant(person, person.upper(), 1)
        await queries.add_host("room-a", "p3", 5, key_generation=1)
        await queries.add_host("room-a", "p2", 6, key_generation=1)
        assert await queries.rotate_host_key("room-a", "key-2", keep_cohosts=True) == []
        # p2 joins again with the new key: it survives the next rotation only if kept again.
        await queries.add_host("room-a", "p2", 7, key_generation=2)
        await queries.add_host("room-a", "p4", 8, key_generation=2)
        # The owner joining with the key stays owner.
        assert await queries.add_host("room-a", "p1", 9, key_generation=2) is False
        hosts = await queries.hosts("room-a")
        assert await queries.rotate_host_key("room-a", "key-3", keep_cohosts=False) == [
            "p2",
            "p3",
            "p4",
        ]
        room = await queries.room("room-a")
        left = await queries.hosts("room-a")
    assert [(h.participant_id, h.role, h.key_generation) for h in hosts] == [
        ("p1", "owner", None),
        ("p3", "cohost", 1),
        ("p2", "cohost", 2),
        ("p4", "cohost", 2),
    ]
    assert room is not None
    assert (room.host_key, room.host_key_generation) == ("key-3", 3)
    assert [(h.participant_id, h.display_name) for h in left] == [("p1", "P1")]


async def test_only_cohosts_can_be_removed(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a", "p1")
        await queries.create_participant("p2", "P2", 1)
        await queries.add_host("room-a", "p2", 5, key_generation=1)
        removed = [await queries.remove_cohost("room-a", p) for p in ("p1", "p2", "p2")]
        roles = [await queries.host_role("room-a", p) for p in ("p1", "p2")]
    assert removed == [False, True, False]
    assert roles == ["owner", None]


async def test_update_room_and_highlight(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries)
        await queries.update_room(
            "room-a", {"display_name": "Town hall", "state": "voting", "moderation": True}
        )
        await queries.set_highlight("room-a", "q1")
    async with database.read() as queries:
        room = await queries.room("room-a")
    assert room is not None
    assert (room.display_name, room.state, room.moderation, room.highlighted_question_id) == (
        "Town hall",
        "voting",
        True,
        "q1",
    )
    async with database.write() as queries:
        with pytest.raises(ValueError, match="not a room setting"):
            await queries.update_room("room-a", {"seq": 99})


async def test_room_state_is_constrained_in_schema(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries)
    with pytest.raises(IntegrityError):
        async with database.write() as queries:
            await queries.update_room("room-a", {"state": "exploded"})


async def test_next_seq_counts_up_and_rollback_returns_the_number(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries)
        assert [await queries.next_seq("room-a") for _ in range(3)] == [1, 2, 3]
    try:
        async with database.write() as queries:
            assert await queries.next_seq("room-a") == 4
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    async with database.write() as queries:
        assert await queries.next_seq("room-a") == 4


async def test_seq_has_no_gaps_across_several_origin_processes(database: Database) -> None:
    """Two engines on one database stand for two origin processes racing on one room."""
    async with database.write() as queries:
        await _room(queries)
    second = Database.connect(database.engine.url.render_as_string(hide_password=False))
    allocated: list[int] = []

    async def writer(store: Database, fail: bool) -> None:
        try:
            async with store.write() as queries:
                room = await queries.room("room-a", lock=True)
                assert room is not None
                seq = await queries.next_seq("room-a")
                if fail:
                    raise RuntimeError("rolled back")
                allocated.append(seq)
        except RuntimeError:
            pass

    try:
        await asyncio.gather(
            *(writer(database if i % 2 else second, fail=i % 5 == 0) for i in range(40))
        )
    finally:
        await second.close()
    assert sorted(allocated) == list(range(1, len(allocated) + 1))
    assert len(allocated) == 32
    async with database.read() as queries:
        room = await queries.room("room-a")
    assert room is not None
    assert room.seq == 32


async def test_votes_one_per_participant_and_toggle(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries)
        await queries.create_participant("p2", "Bob", 1)
        await _question(queries, "q1")
    async with database.write() as queries:
        assert await queries.set_vote("q1", "p2", True, 20) == (True, 2)
        assert await queries.set_vote("q1", "p2", True, 21) == (False, 2)
        assert await queries.set_vote("q1", "p1", False, 22) == (True, 1)
        assert await queries.set_vote("q1", "p1", False, 23) == (False, 1)
    async with database.read() as queries:
        bob = await queries.question("room-a", "q1", "p2")
        ada = await queries.question("room-a", "q1", "p1")
    assert bob is not None
    assert ada is not None
    assert (bob.upvotes, bob.voted, ada.voted) == (1, True, False)


async def test_a_second_vote_is_impossible_in_the_schema(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries)
        await _question(queries, "q1")
    with pytest.raises(IntegrityError):
        async with database.write() as queries:
            await queries.connection.execute(
                insert(votes).values(question_id="q1", participant_id="p1", created_at=1)
            )


async def test_question_nonce_is_unique_per_author(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries)
        await queries.create_participant("p2", "Bob", 1)
        await _question(queries, "q1")
        await queries.insert_question(
            question_id="q2",
            room_id="room-a",
            author_id="p2",
            nonce="n-q1",
            text="same nonce, other author",
            anonymous=False,
            pending=False,
            now=30,
        )
    with pytest.raises(IntegrityError):
        async with database.write() as queries:
            await queries.insert_question(
                question_id="q3",
                room_id="room-a",
                author_id="p1",
                nonce="n-q1",
                text="retry",
                anonymous=False,
                pending=False,
                now=31,
            )
    async with database.read() as queries:
        found = await queries.question_by_nonce("p1", "n-q1")
        none = await queries.question_by_nonce("p1", "other")
    assert found is not None
    assert (found.id, found.text, none) == ("q1", "text of q1", None)


async def test_post_context_reads_what_a_post_checks(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a", "p1")
        await _room(queries, "room-b", "p2")
        await _question(queries, "q1", room_id="room-a")
        await _question(queries, "q2", room_id="room-a", pending=True)
        await _question(queries, "q3", author="p2", room_id="room-b")
    async with database.write() as queries:
        host = await queries.post_context("room-a", "p1", "n-q1")
        guest = await queries.post_context("room-a", "p2", "n-q3")
        stranger = await queries.post_context("room-b", "nobody", "n-q1")
        missing = await queries.post_context("room-c", "p1", "n-q1")
    assert host is not None
    assert guest is not None
    assert stranger is not None
    assert (host.room.id, host.room.seq, host.is_host, host.question_count) == (
        "room-a",
        0,
        True,
        2,
    )
    assert (host.author_name, host.nonce_question_id) == ("P1", "q1")
    # A nonce is the author's in any room: p2 used n-q3 in room-b.
    assert (guest.is_host, guest.author_name, guest.nonce_question_id) == (False, "P2", "q3")
    assert (stranger.question_count, stranger.author_name, stranger.nonce_question_id) == (
        1,
        None,
        None,
    )
    assert missing is None


async def test_vote_target_reads_room_state_and_the_voters_question(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a", "p1")
        await _room(queries, "room-b", "p2")
        await _question(queries, "q1", room_id="room-a")
        await _question(queries, "q2", author="p2", room_id="room-b")
        await queries.update_room("room-a", {"state": "voting"})
    async with database.write() as queries:
        author = await queries.vote_target("room-a", "q1", "p1")
        other = await queries.vote_target("room-a", "q1", "p2")
        elsewhere = await queries.vote_target("room-a", "q2", "p2")
        missing = await queries.vote_target("room-c", "q1", "p1")
    assert author is not None
    assert other is not None
    assert elsewhere is not None
    assert author.room_state == "voting"
    assert author.question is not None
    assert other.question is not None
    assert (author.question.id, author.question.author_name, author.question.upvotes) == (
        "q1",
        "P1",
        1,
    )
    assert (author.question.voted, other.question.voted) == (True, False)
    assert (elsewhere.room_state, elsewhere.question, missing) == ("voting", None, None)


async def test_questions_are_scoped_to_their_room(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a")
        await _room(queries, "room-b")
        await _question(queries, "q1", room_id="room-b")
    async with database.read() as queries:
        assert await queries.question("room-a", "q1") is None
        assert await queries.question("room-b", "q1") is not None
        assert await queries.count_questions("room-a") == 0
        assert await queries.count_questions("room-b") == 1


async def test_room_questions_visibility_of_pending(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries)
        await queries.create_participant("p2", "Bob", 1)
        await _question(queries, "q1")
        await _question(queries, "q22", author="p2", pending=True)
        await _question(queries, "q333", pending=True)
    async with database.read() as queries:
        views = {
            (viewer, pending): [
                q.id for q in await queries.room_questions("room-a", viewer, pending=pending)
            ]
            for viewer in ("p1", "p2", None)
            for pending in ("all", "own", "none")
        }
        with pytest.raises(ValueError, match="pending must be"):
            await queries.room_questions("room-a", None, pending="some")
    assert views[("p1", "all")] == ["q1", "q22", "q333"]
    assert views[("p1", "own")] == ["q1", "q333"]
    assert views[("p2", "own")] == ["q1", "q22"]
    assert views[(None, "own")] == ["q1"]
    assert views[("p2", "none")] == ["q1"]


async def test_answer_approve_delete(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries)
        await queries.create_participant("p2", "Bob", 1)
        await _question(queries, "q1", author="p2", pending=True, anonymous=True)
        await queries.set_vote("q1", "p1", True, 12)
    async with database.write() as queries:
        await queries.approve_question("q1")
        await queries.set_answer("q1", text="Yes.", author_id="p1", now=40)
    async with database.read() as queries:
        question = await queries.question("room-a", "q1", "p1")
    assert question is not None
    assert (
        question.author_name,
        question.anonymous,
        question.pending,
        question.answer_text,
        question.answer_author_name,
        question.answered_at,
        question.upvotes,
        question.voted,
    ) == ("Bob", True, False, "Yes.", "P1", 40, 2, True)
    async with database.write() as queries:
        await queries.delete_question("q1")
    async with database.read() as queries:
        assert await queries.question("room-a", "q1") is None
        remaining = await queries.connection.execute(votes.select())
        assert remaining.all() == []


async def test_participant_rooms_joined_or_posted(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a")
        await _room(queries, "room-b")
        await _room(queries, "room-c")
        await queries.create_participant("p2", "Bob", 1)
        assert await queries.add_member("room-c", "p2", 3) is True
        assert await queries.add_member("room-c", "p2", 4) is False
        await _question(queries, "q1", author="p2", room_id="room-a")
    async with database.read() as queries:
        assert await queries.participant_rooms("p2") == ["room-a", "room-c"]
        assert await queries.participant_rooms("p1") == []


async def test_lock_rooms_returns_existing_in_order(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-b")
        await _room(queries, "room-a")
        locked = await queries.lock_rooms(["room-b", "gone", "room-a", "room-b"])
        assert await queries.lock_rooms([]) == []
    assert [room.id for room in locked] == ["room-a", "room-b"]


async def test_setting_is_created_once(database: Database) -> None:
    async with database.write() as queries:
        first = await queries.setting("secret", "one")
    async with database.write() as queries:
        second = await queries.setting("secret", "two")
    assert (first, second) == ("one", "one")


async def test_connections_count_distinct_live_participants(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a")
        await _room(queries, "room-b")
        await queries.create_participant("p2", "Bob", 1)
        await queries.open_connection("c1", "room-a", "p1", 100)
        await queries.open_connection("c2", "room-a", "p1", 100)
        await queries.open_connection("c3", "room-a", "p2", 100)
        await queries.open_connection("c4", "room-b", "p2", 100)
    async with database.read() as queries:
        assert await queries.count_attendees("room-a", 50) == 2
        assert await queries.count_attendees("room-a", 150) == 0
    async with database.write() as queries:
        assert await queries.touch_connection("c3", 200) is True
        assert await queries.touch_connection("gone", 200) is False
        assert await queries.close_connection("c1") == "room-a"
        assert await queries.close_connection("c1") is None
        await queries.open_connection("c4", "room-a", "p2", 210)
        assert await queries.count_attendees("room-a", 150) == 1
        assert await queries.count_attendees("room-b", 0) == 0
        assert await queries.prune_connections(150) == 1
        assert await queries.count_attendees("room-a", 0) == 1


async def test_a_deleted_room_goes_with_everything_in_it(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a", "p1")
        await _room(queries, "room-b", "p1")
        await queries.create_participant("p2", "P2", 1)
        await queries.add_host("room-a", "p2", 3, key_generation=1)
        await queries.add_member("room-a", "p2", 3)
        await queries.open_connection("c1", "room-a", "p2", 3)
        await _question(queries, "qa", room_id="room-a")
        await _question(queries, "qb", room_id="room-b")
        await queries.set_vote("qa", "p2", True, 4)
        for _ in range(3):
            await queries.next_seq("room-a")
        assert await queries.delete_room("room-a", 9) is True
        assert await queries.delete_room("room-a", 9) is False
    async with database.read() as queries:
        gone = (
            await queries.room("room-a"),
            await queries.question("room-a", "qa"),
            await queries.is_host("room-a", "p2"),
            await queries.count_attendees("room-a", 0),
            await queries.participant_rooms("p2"),
        )
        kept = await queries.question("room-b", "qb")
    assert gone == (None, None, False, 0, [])
    assert kept is not None
    async with database.write() as queries:
        # Made again, the room numbers its events on from the deleted one's (never 1, 2... again).
        await _room(queries, "room-a", "p2")
        room = await queries.room("room-a")
        assert await queries.next_seq("room-a") == 4
        await queries.delete_room("room-a", 10)
        await _room(queries, "room-a", "p2")
        again = await queries.room("room-a")
    assert room is not None
    assert (room.seq, room.created_by) == (3, "p2")
    assert again is not None
    assert again.seq == 4


async def test_hosted_rooms_most_recently_active_first(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a", "p1")
        await _room(queries, "room-b", "p2")
        await _room(queries, "room-c", "p1")
        await queries.add_host("room-b", "p1", 3, key_generation=1)
        await _question(queries, "qqqqqqqqqq", room_id="room-b", author="p2")
        await _question(queries, "q1", room_id="room-a")
        await queries.set_answer("q1", text="yes", author_id="p1", now=50)
        rooms = await queries.hosted_rooms("p1", 10)
        limited = await queries.hosted_rooms("p1", 2)
        none = await queries.hosted_rooms("p3", 10)
    assert [(r.room_id, r.role, r.question_count, r.last_activity) for r in rooms] == [
        ("room-a", "owner", 1, 50),
        ("room-b", "cohost", 1, 20),
        ("room-c", "owner", 0, 2),
    ]
    assert (rooms[0].display_name, rooms[0].state) == ("Room room-a", "open")
    assert len(limited) == 2
    assert none == []


async def test_clear_questions_all_or_answered_only(database: Database) -> None:
    async with database.write() as queries:
        await _room(queries, "room-a", "p1")
        await _room(queries, "room-b", "p1")
        for question_id in ("q1", "q2", "q3"):
            await _question(queries, question_id)
        await _question(queries, "q4", pending=True)
        await _question(queries, "qb", room_id="room-b")
        await queries.set_answer("q2", text="yes", author_id="p1", now=5)
        answered = await queries.clear_questions("room-a", answered_only=True)
        left = [q.id for q in await queries.room_questions("room-a", None, pending="all")]
        rest = await queries.clear_questions("room-a", answered_only=False)
        other = await queries.room_questions("room-b", None)
    assert (answered, left, rest) == (["q2"], ["q1", "q3", "q4"], ["q1", "q3", "q4"])
    assert [q.id for q in other] == ["qb"]
