// @ts-check
/**
 * Types of the web client for `tsc` (tsconfig.json): JSDoc only, no runtime code. Modules name
 * them in comments only (`/** @import { Question } from "./types.js" *\/`), so browsers never
 * load this file. The JSON shapes are the origin's views (src/liveqa/origin/views.py).
 */

export {};

/** @typedef {{participantId: string, displayName: string}} Participant */

/**
 * @typedef {object} Room
 * @property {string} roomId
 * @property {string} displayName
 * @property {string} themeColor
 * @property {string} state "open" | "voting" | "closed"
 * @property {boolean} moderation
 * @property {boolean} allowAnonymous
 * @property {string | null} highlightedQuestionId
 * @property {string} createdAt
 */

/**
 * @typedef {object} QuestionView
 * @property {string} questionId
 * @property {string} roomId
 * @property {string} questionText
 * @property {string} questionTimestamp
 * @property {Participant | null} author
 * @property {boolean} authorIsHost
 * @property {boolean} anonymous
 * @property {boolean} pending
 * @property {number} upvotes
 * @property {string | null} answerText
 * @property {string | null} answerTimestamp
 * @property {Participant | null} answerAuthor
 * @property {boolean} [upvoted]
 * @property {boolean} [mine]
 * @property {string | null} [editedBy] "host" | "author" | null
 */

/** @typedef {Participant & {isHost: boolean, isOwner: boolean, banned?: boolean}} Me */

/**
 * `GET /api/rooms/{roomId}`.
 * @typedef {object} Snapshot
 * @property {Room} room
 * @property {QuestionView[]} questions
 * @property {number} seq
 * @property {Me | null} me
 * @property {number} attendees
 * @property {string | null} [joinUrl]
 * @property {Rules | null} [rules] hosts only
 */

/** @typedef {{room: Room, hostKey: string, hostLink: string, joinUrl?: string | null}} RoomCreated */

/** @typedef {{hostKey: string, hostLink: string}} HostKey */

/** @typedef {HostKey & {revoked: Participant[]}} HostKeyRotated */

/** @typedef {{hosts: (Participant & {role: string})[]}} Hosts */

/**
 * A room in its host's list (`GET /api/me/rooms`).
 * @typedef {object} HostedRoom
 * @property {string} roomId
 * @property {string} displayName
 * @property {string} state
 * @property {string} role "owner" | "cohost"
 * @property {number} questions
 * @property {string} lastActivity
 */

/** @typedef {{id: string, name: string}} Person */

/**
 * The client's record of a question (state.js), times in epoch milliseconds.
 * @typedef {object} Question
 * @property {string} id
 * @property {string} text
 * @property {number} askedAt
 * @property {Person | null} author
 * @property {boolean} authorIsHost
 * @property {boolean} anonymous
 * @property {boolean} pending
 * @property {number} upvotes
 * @property {string | null} answerText
 * @property {number | null} answeredAt
 * @property {Person | null} answerAuthor
 * @property {string | null} editedBy "host" | "author" | null
 */

/** @typedef {{banId: string, displayName: string | null, questionText: string, bannedAt: string}} Ban */

/** @typedef {{blockedWords: string[], bans: Ban[]}} Rules */

/**
 * A room as the client knows it (state.js).
 * @typedef {object} State
 * @property {Room | null} room
 * @property {Me | null} me
 * @property {number} seq
 * @property {Map<string, Question>} questions
 * @property {Map<string, boolean>} votes my own votes
 * @property {Set<string>} mine
 * @property {Set<string>} deleted
 * @property {number | null} attendees
 * @property {string | null} joinUrl
 * @property {Rules | null} rules
 */

/** @typedef {State & {room: Room}} Loaded a state with its room */

/** @typedef {(message: RoomEvent) => Promise<RoomEvent>} Send a message through the room's socket */

/**
 * What a question card (views/card.js) shows besides its question.
 * @typedef {object} CardContext
 * @property {boolean} voted
 * @property {boolean} mine
 * @property {boolean} isHost
 * @property {boolean} banned
 * @property {boolean} highlighted
 * @property {string} roomState
 * @property {number} now
 * @property {boolean} [selected]
 */

/** @typedef {import("./views/card.js").QuestionCard} QuestionCard */
/** @typedef {import("./api.js").ApiError} ApiError */
/** @typedef {import("./socket.js").ServerError} ServerError */
/** @typedef {(question: Question, card: QuestionCard) => unknown} CardAction */
/** @typedef {(question: Question, on: boolean, card: QuestionCard) => unknown} CardToggle */

/**
 * What a card's buttons do (views/board.js gives them).
 * @typedef {object} CardActions
 * @property {CardToggle} vote
 * @property {CardAction} reply
 * @property {CardAction} remove
 * @property {CardToggle} highlight
 * @property {CardAction} approve
 * @property {CardAction} dismiss
 * @property {CardToggle} mark
 * @property {(question: Question, ticked: boolean) => void} select
 * @property {CardAction} edit
 * @property {CardAction} ban
 */

/** @typedef {{nonce: string, questionText: string, anonymous: boolean}} Outgoing a question not yet confirmed (composer.js) */

/**
 * What the room page (views/room.js) does for its board (views/board.js).
 * @typedef {object} BoardOwn
 * @property {() => void} exit
 * @property {() => void} rename
 * @property {() => void} settings
 * @property {() => void} retry
 * @property {Send} send
 * @property {(text: string) => void} announce
 * @property {(ids: string[]) => Promise<unknown>} approveMany
 * @property {(ids: string[]) => Promise<unknown>} dismissMany
 */

/** @typedef {BoardOwn & Omit<CardActions, "select">} BoardHandlers */

/**
 * A room event from the socket: its fields depend on `type` (the protocol, docs/).
 * @typedef {{type: string, seq?: number, roomId?: string, [key: string]: any}} RoomEvent
 */

/**
 * What a RoomSync (sync.js) reports to, and how it reaches the server.
 * @typedef {object} SyncOptions
 * @property {Api} api
 * @property {(state: State) => void} [onChange]
 * @property {(status: Status, detail: StatusDetail) => void} [onStatus]
 * @property {(event: RoomEvent, state: Loaded, before: Loaded) => void} [onEvent]
 * @property {(error: Error) => void} [onProblem]
 * @property {string | null} [view]
 */

/**
 * @typedef {object} SyncDeps
 * @property {Deps["setTimeout"]} [setTimeout]
 * @property {Deps["clearTimeout"]} [clearTimeout]
 * @property {(url: string, handlers: Handlers) => import("./socket.js").Realtime} [makeRealtime]
 * @property {{protocol: string, host: string}} [location]
 */

/** @typedef {(a: Question, b: Question) => number} Order of questions in a list (sort.js) */

/** @typedef {HTMLElement & {dataset: {id: string}}} Keyed a node of a keyed list, named by its data-id */

/**
 * A message from the room's socket: an event, or ACK / ERROR answering the message `ref`.
 * @typedef {{type: string, ref?: string, code?: string, message?: string, [key: string]: unknown}} ServerMessage
 */

/**
 * The REST calls of the app (api.js); `call` makes any other, answering with the JSON.
 * @typedef {object} Api
 * @property {() => Promise<Participant>} session
 * @property {(displayName: string) => Promise<Participant>} rename
 * @property {(roomId: string, displayName: string, themeColor: string) => Promise<RoomCreated>} createRoom
 * @property {(roomId: string) => Promise<Snapshot>} room
 * @property {(roomId: string, hostKey: string) => Promise<Me>} becomeHost
 * @property {(method: string, path: string, body?: unknown) => Promise<any>} call
 */

/** @typedef {"connecting" | "open" | "reconnecting" | "stopped"} Status a socket's (socket.js) */

/** @typedef {{delay?: number, attempt?: number}} StatusDetail */

/**
 * What a socket (socket.js) tells its owner.
 * @typedef {object} Handlers
 * @property {(message: ServerMessage) => void} [onEvent]
 * @property {() => void} [onOpen]
 * @property {(status: Status, detail: StatusDetail) => void} [onStatus]
 * @property {(code: number, reason: string) => void} [onClose]
 */

/** @typedef {ReturnType<typeof setTimeout>} Timer */

/**
 * What a socket uses from its environment; tests give fakes.
 * @typedef {object} Deps
 * @property {typeof WebSocket} [WebSocket]
 * @property {(callback: () => void, ms: number) => Timer} [setTimeout]
 * @property {(timer: Timer) => void} [clearTimeout]
 * @property {() => number} [now]
 * @property {() => number} [random]
 * @property {string} [refPrefix]
 */

/**
 * A message in a socket's outbox, waiting for its answer.
 * @typedef {object} Entry
 * @property {string} data
 * @property {(ack: ServerMessage) => void} resolve
 * @property {(error: import("./socket.js").ServerError) => void} reject
 * @property {number} retries
 * @property {Timer | null} retry
 */

/**
 * What every screen gets from main.js.
 * @typedef {object} App
 * @property {Api} api
 * @property {import("./live.js").Announcer} announcer
 * @property {() => Promise<Participant>} participant this browser's participant, fetched once
 * @property {() => string} cachedName
 * @property {(displayName: string) => Promise<Participant>} rename
 * @property {() => boolean} isNamed
 * @property {() => void} markNamed
 * @property {(path: string) => void} navigate
 */

/**
 * A DOM child as dom.js's `h` takes it: nodes, strings, nested arrays; null and false skipped.
 * @typedef {Node | string | null | undefined | false | Child[]} Child
 */

/**
 * A dismissible notice block of the room page, `notice(title, ...body)`.
 * @typedef {(title: string, ...body: Child[]) => HTMLElement} Notice
 */

/**
 * What the room page (views/room.js) offers the screens it loads on demand.
 * @typedef {object} RoomPage
 * @property {App} app
 * @property {string} roomId
 * @property {HTMLElement} container
 * @property {HTMLElement[]} notices shown once the room is connected
 * @property {boolean} alive false once the page is left
 * @property {() => void} connect
 * @property {() => void} rename
 * @property {{state: State}} sync
 * @property {{notice: (element: HTMLElement) => void} | null} board
 */
