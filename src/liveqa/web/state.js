// @ts-check
/**
 * A room as the client knows it: a pure reducer over snapshots, socket events and replies.
 * Functions return a new state when something changed and the same object when nothing did.
 */
/** @import { Participant, Question, QuestionView, Rules, Snapshot, State, RoomEvent } from "./types.js" */

/** Who someone is, from the server's participant view (or null). @param {Participant | null} view */
function person(view) {
  return view ? { id: view.participantId, name: view.displayName } : null;
}

/**
 * The client's record of a question, from the server's question view.
 * @param {QuestionView} view @returns {Question}
 */
function questionFromView(view) {
  return {
    id: view.questionId,
    text: view.questionText,
    askedAt: Date.parse(view.questionTimestamp),
    author: person(view.author),
    authorIsHost: Boolean(view.authorIsHost),
    anonymous: Boolean(view.anonymous),
    pending: Boolean(view.pending),
    upvotes: view.upvotes,
    answerText: view.answerText ?? null,
    answeredAt: view.answerTimestamp ? Date.parse(view.answerTimestamp) : null,
    answerAuthor: person(view.answerAuthor),
    // "host" once a host changed the words, "author" when only its author did, else null.
    editedBy: view.editedBy ?? null,
  };
}

/** A state with no room loaded yet. @returns {State} */
export function emptyState() {
  return {
    room: null,
    me: null,
    seq: 0,
    questions: new Map(),
    // My own votes and questions: a snapshot says, and replies and my own events keep it current.
    votes: new Map(),
    mine: new Set(),
    // Deleted ids, so a late event from a channel without `seq` cannot bring a question back.
    deleted: new Set(),
    // People connected to the room, when the server tells (null until then).
    attendees: null,
    // The absolute link attendees open, as the server builds it (its --public-url or host).
    joinUrl: null,
    // Hosts only: {blockedWords, bans} from the snapshot, kept current by the hosts' channel.
    rules: null,
  };
}

/**
 * The state a snapshot (`GET /api/rooms/{roomId}`) describes, keeping what it cannot say.
 * @param {State} previous @param {Snapshot} snapshot @returns {State}
 */
export function fromSnapshot(previous, snapshot) {
  const questions = new Map();
  const votes = new Map();
  const mine = new Set(previous.mine);
  for (const view of snapshot.questions) {
    const question = questionFromView(view);
    const known = previous.questions.get(question.id);
    questions.set(question.id, known && sameQuestion(known, question) ? known : question);
    if (view.upvoted !== undefined) votes.set(question.id, view.upvoted);
    if (view.mine) mine.add(question.id);
  }
  const deleted = new Set([...previous.deleted].filter((id) => !questions.has(id)));
  return {
    room: snapshot.room,
    me: snapshot.me ?? null,
    seq: snapshot.seq,
    questions,
    votes,
    mine,
    deleted,
    attendees: typeof snapshot.attendees === "number" ? snapshot.attendees : previous.attendees,
    joinUrl: snapshot.joinUrl ?? previous.joinUrl,
    rules: snapshot.rules ?? null,
  };
}

/** @param {Question} a @param {Question} b */
function sameQuestion(a, b) {
  return (
    a.text === b.text &&
    a.askedAt === b.askedAt &&
    a.author?.name === b.author?.name &&
    a.authorIsHost === b.authorIsHost &&
    a.pending === b.pending &&
    a.upvotes === b.upvotes &&
    a.answerText === b.answerText &&
    a.answeredAt === b.answeredAt &&
    a.answerAuthor?.name === b.answerAuthor?.name &&
    a.editedBy === b.editedBy
  );
}

/** @param {State} state @param {Map<string, Question>} questions @param {Partial<State>} [extra] @returns {State} */
function withQuestions(state, questions, extra = {}) {
  return { ...state, questions, ...extra };
}

/** @param {State} state @param {QuestionView} view */
function upsertQuestion(state, view) {
  const incoming = questionFromView(view);
  if (state.deleted.has(incoming.id)) return state;
  const known = state.questions.get(incoming.id);
  // Approval is one-way: a stale "pending" copy must not hide an approved question again.
  if (known && !known.pending && incoming.pending) incoming.pending = false;
  const questions = new Map(state.questions);
  questions.set(incoming.id, incoming);
  /** @type {Partial<State>} */
  const extra = {};
  const myId = state.me?.participantId;
  if (!known && myId && incoming.author?.id === myId) {
    extra.mine = new Set(state.mine).add(incoming.id);
    // A new question starts with its author's vote.
    if (!state.votes.has(incoming.id)) extra.votes = new Map(state.votes).set(incoming.id, true);
  }
  return withQuestions(state, questions, extra);
}

/** @param {State} state @param {string} questionId @param {number} upvotes */
function setUpvotes(state, questionId, upvotes) {
  const known = state.questions.get(questionId);
  if (!known || known.upvotes === upvotes) return state;
  const questions = new Map(state.questions);
  questions.set(questionId, { ...known, upvotes });
  return withQuestions(state, questions);
}

/** @param {State} state @param {string} questionId @param {boolean} upvoted */
function setMyVote(state, questionId, upvoted) {
  if (state.votes.get(questionId) === upvoted) return state;
  return { ...state, votes: new Map(state.votes).set(questionId, upvoted) };
}

/** @param {State} state @param {string} questionId */
function removeQuestion(state, questionId) {
  const deleted = new Set(state.deleted).add(questionId);
  if (!state.questions.has(questionId)) return { ...state, deleted };
  const questions = new Map(state.questions);
  questions.delete(questionId);
  return withQuestions(state, questions, { deleted });
}

/**
 * A banned person's questions leave every screen (not as deleted: a lifted ban shows them again).
 * @param {State} state @param {string[]} questionIds
 */
function hideQuestions(state, questionIds) {
  const gone = questionIds.filter((id) => state.questions.has(id));
  if (gone.length === 0) return state;
  const questions = new Map(state.questions);
  for (const id of gone) questions.delete(id);
  return withQuestions(state, questions);
}

/** @param {State} state @param {QuestionView[]} views */
function showQuestions(state, views) {
  let next = state;
  for (const view of views) {
    if (next.deleted.has(view.questionId)) {
      const deleted = new Set(next.deleted);
      deleted.delete(view.questionId);
      next = { ...next, deleted };
    }
    next = upsertQuestion(next, view);
  }
  return next;
}

/** @param {State} state @param {Partial<Rules>} change */
function setRules(state, change) {
  if (!state.rules) return state;
  return { ...state, rules: { ...state.rules, ...change } };
}

/** @param {State} state @param {boolean} answeredOnly */
function clearQuestions(state, answeredOnly) {
  const gone = [...state.questions.values()].filter((q) => !answeredOnly || q.answeredAt !== null).map((q) => q.id);
  const questions = new Map(state.questions);
  for (const id of gone) questions.delete(id);
  return withQuestions(state, questions, { deleted: new Set([...state.deleted, ...gone]) });
}

/** @param {State} state @param {Participant} participant */
function renamePerson(state, participant) {
  const who = /** @type {NonNullable<Question["author"]>} */ (person(participant));
  let questions = null;
  for (const [id, question] of state.questions) {
    const asked = question.author?.id === who.id && question.author.name !== who.name;
    const answered = question.answerAuthor?.id === who.id && question.answerAuthor.name !== who.name;
    if (!asked && !answered) continue;
    questions ??= new Map(state.questions);
    questions.set(id, {
      ...question,
      author: asked ? who : question.author,
      answerAuthor: answered ? who : question.answerAuthor,
    });
  }
  let me = state.me;
  if (me && me.participantId === who.id && me.displayName !== who.name) {
    me = { ...me, displayName: who.name };
  }
  if (!questions && me === state.me) return state;
  return { ...state, questions: questions ?? state.questions, me };
}

/** Events this reducer understands; anything else (keep-alives, future events) is ignored. */
const ROOM_EVENTS = new Set([
  "QUESTION_UPDATE_INFO_PASSIVE",
  "QUESTION_UPVOTE_PASSIVE",
  "QUESTION_UPVOTE_SELF",
  "QUESTION_DELETE_PASSIVE",
  "QUESTIONS_CLEAR_PASSIVE",
  "ROOMINFO_UPDATE_PASSIVE",
  "USERINFO_UPDATE_PASSIVE",
  "ATTENDANCE_PASSIVE",
  "PARTICIPANT_BAN_PASSIVE",
  "PARTICIPANT_UNBAN_PASSIVE",
  "BANS_UPDATE_PASSIVE",
  "BLOCKED_WORDS_UPDATE_PASSIVE",
]);

/**
 * Apply one socket event. Returns `{state, gap}`: `gap` is true when the event's `seq` shows
 * that earlier room events were missed, in which case nothing was applied and the caller
 * should resync. Events without `seq` (hosts' and personal channels) apply as they come.
 * @param {State} state @param {RoomEvent} event @returns {{state: State, gap: boolean}}
 */
export function applyEvent(state, event) {
  if (!state.room || !ROOM_EVENTS.has(event.type)) return { state, gap: false };
  if (event.roomId !== undefined && event.roomId !== state.room.roomId) return { state, gap: false };
  const { seq } = event;
  const sequenced = typeof seq === "number";
  if (sequenced && seq <= state.seq) return { state, gap: false };
  if (sequenced && seq > state.seq + 1) return { state, gap: true };
  let next = reduce(state, event);
  if (sequenced) next = { ...next, seq };
  return { state: next, gap: false };
}

/** @param {State} state @param {RoomEvent} event @returns {State} */
function reduce(state, event) {
  switch (event.type) {
    case "QUESTION_UPDATE_INFO_PASSIVE":
      return upsertQuestion(state, event.question);
    case "QUESTION_UPVOTE_PASSIVE":
      return setUpvotes(state, event.questionId, event.upvotes);
    case "QUESTION_UPVOTE_SELF":
      // Only my vote: the count comes with the sequenced QUESTION_UPVOTE_PASSIVE.
      return setMyVote(state, event.questionId, event.upvoted);
    case "QUESTION_DELETE_PASSIVE":
      return removeQuestion(state, event.questionId);
    case "QUESTIONS_CLEAR_PASSIVE":
      return clearQuestions(state, event.answeredOnly);
    case "ROOMINFO_UPDATE_PASSIVE":
      return { ...state, room: event.room };
    case "USERINFO_UPDATE_PASSIVE":
      return renamePerson(state, event.participant);
    case "PARTICIPANT_BAN_PASSIVE":
      return hideQuestions(state, event.questionIds);
    case "PARTICIPANT_UNBAN_PASSIVE":
      return showQuestions(state, event.questions);
    case "BANS_UPDATE_PASSIVE":
      return setRules(state, { bans: event.bans });
    case "BLOCKED_WORDS_UPDATE_PASSIVE":
      return setRules(state, { blockedWords: event.words });
    case "ATTENDANCE_PASSIVE":
      return event.attendees === state.attendees ? state : { ...state, attendees: event.attendees };
    default:
      return state;
  }
}

/**
 * What an ACK to one of my messages tells about my own votes and questions.
 * @param {State} state @param {RoomEvent} message @param {RoomEvent} ack
 */
export function applyAck(state, message, ack) {
  if (message.type === "QUESTION_POST_TO_ROOM" && ack.questionId) {
    let next = state;
    if (!state.mine.has(ack.questionId)) next = { ...next, mine: new Set(state.mine).add(ack.questionId) };
    if (!state.votes.has(ack.questionId)) next = setMyVote(next, ack.questionId, ack.upvoted ?? true);
    return next;
  }
  if (message.type === "QUESTION_UPVOTE" && typeof ack.upvoted === "boolean") {
    return setMyVote(state, message.questionId, ack.upvoted);
  }
  return state;
}

