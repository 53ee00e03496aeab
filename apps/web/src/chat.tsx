import { useEffect, useRef, useState } from 'preact/hooks';
import { Avatar } from './avatar';
import type { Session } from './session';
import { useSelect, type Conversation, type Message, type Panel } from './store';
import { IMAGE_URL, preview, time } from './format';
import { FriendsPanel, GroupPanel, NewGroupPanel, SearchPanel, SettingsPanel } from './panels';

/** The sidebar's buttons: the panel each opens (its test id is `nav-<panel>`) and its label. */
const NAV: [Panel, string][] = [
  ['friends', 'Friends'],
  ['groups', 'New group'],
  ['search', 'Search'],
  ['settings', 'Settings'],
];

function sortConversations(list: Conversation[]): Conversation[] {
  return [...list].sort((a, b) => {
    if (a.isPin !== b.isPin) return a.isPin ? -1 : 1;
    const at = a.last?.id ?? 0;
    const bt = b.last?.id ?? 0;
    if (at !== bt) return bt - at;
    return a.title.localeCompare(b.title);
  });
}

export function ChatScreen({ session }: { session: Session }) {
  const openId = useSelect(session.store, (s) => s.openId);
  const panel = useSelect(session.store, (s) => s.panel);
  const detail = openId !== 0 || panel !== 'chat';
  return (
    <div class={`chat ${detail ? 'show-detail' : 'show-list'}`} data-testid="chat-screen">
      <Sidebar session={session} />
      <section class="detail">
        {panel === 'friends' ? (
          <FriendsPanel session={session} />
        ) : panel === 'groups' ? (
          <NewGroupPanel session={session} />
        ) : panel === 'search' ? (
          <SearchPanel session={session} />
        ) : panel === 'settings' ? (
          <SettingsPanel session={session} />
        ) : openId ? (
          <ConversationView key={openId} session={session} relationId={openId} />
        ) : (
          <div class="empty">
            <p>Pick a conversation, or add a friend.</p>
          </div>
        )}
      </section>
    </div>
  );
}

function Sidebar({ session }: { session: Session }) {
  const conversations = useSelect(session.store, (s) => s.conversations);
  const openId = useSelect(session.store, (s) => s.openId);
  const accountName = useSelect(session.store, (s) => s.accountName);
  const connection = useSelect(session.store, (s) => s.connection);
  const pendingRequests = useSelect(
    session.store,
    (s) =>
      s.applications.filter((a) => a.status === '已申请' && a.account2_id === s.accountId).length,
  );
  const [showHidden, setShowHidden] = useState(false);
  const all = sortConversations(Object.values(conversations));
  const unread = all.reduce((sum, c) => sum + (c.isNotDisturb ? 0 : c.unread), 0);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Chat` : 'Chat';
  }, [unread]);
  const list = showHidden ? all : all.filter((c) => c.isShow || c.isPin || c.unread > 0);
  return (
    <aside class="sidebar">
      <header class="bar">
        <button
          type="button"
          class="outline secondary account-switch"
          data-testid="switch-account"
          title="Switch account"
          onClick={() => session.showAccounts()}
        >
          <strong data-testid="current-account">{accountName}</strong>
        </button>
        <span class={`conn conn-${connection}`} data-testid="conn-state" title={connection}>
          {connection === 'open' ? 'online' : connection}
        </span>
      </header>
      <nav class="actions">
        {NAV.map(([panel, label]) => (
          <button
            key={panel}
            type="button"
            class="outline"
            data-testid={`nav-${panel}`}
            onClick={() => session.setPanel(panel)}
          >
            {label}
            {panel === 'friends' && pendingRequests > 0 && (
              <mark data-testid="requests-badge">{pendingRequests}</mark>
            )}
          </button>
        ))}
      </nav>
      <ul class="conversations" data-testid="conversation-list">
        {list.map((c) => (
          <li key={c.relationId}>
            <a
              href="#"
              class={c.relationId === openId ? 'active' : ''}
              data-testid="conversation"
              data-relation-id={c.relationId}
              data-title={c.title}
              onClick={(e) => {
                e.preventDefault();
                void session.open(c.relationId);
              }}
            >
              <Avatar src={c.avatar} name={c.name} />
              <span class="conv-text">
                <span class="conv-title">
                  {c.isPin && <small class="tag">pinned</small>}
                  {c.type === 'group' && <small class="tag">group</small>}
                  {c.title}
                  {c.isNotDisturb && <small class="tag">muted</small>}
                </span>
                <small class="conv-last" data-testid="conversation-last">
                  {c.last ? preview(c.last) : ''}
                </small>
              </span>
              <span class="conv-meta">
                {c.last && <small>{time(c.last.create_at)}</small>}
                {c.unread > 0 && (
                  <mark class={c.isNotDisturb ? 'muted' : ''} data-testid="conversation-unread">
                    {c.unread}
                  </mark>
                )}
              </span>
            </a>
          </li>
        ))}
      </ul>
      <footer>
        <label>
          <input
            type="checkbox"
            role="switch"
            checked={showHidden}
            onChange={() => setShowHidden(!showHidden)}
          />
          Show hidden conversations
        </label>
      </footer>
    </aside>
  );
}

function ConversationView({ session, relationId }: { session: Session; relationId: number }) {
  const conv = useSelect(session.store, (s) => s.conversations[relationId]);
  const history = useSelect(session.store, (s) => s.histories[relationId]);
  const me = useSelect(session.store, (s) => s.accountId);
  const typing = useSelect(session.store, (s) => s.typing[relationId]);
  const [text, setText] = useState('');
  const [replyTo, setReplyTo] = useState<Message | undefined>();
  const [showInfo, setShowInfo] = useState(false);
  const [names, setNames] = useState<Record<number, string>>({});
  const list = useRef<HTMLDivElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const messages = history?.messages ?? [];
  const newest = messages.at(-1)?.id;

  /** Whether the list is scrolled to its end: it then follows new messages and images. */
  const atEnd = useRef(true);
  const toEnd = () => {
    const el = list.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  };
  useEffect(() => {
    atEnd.current = true;
    toEnd();
  }, [newest]);
  // A smaller window (a phone's keyboard opening) keeps the end in view too.
  useEffect(() => {
    const el = list.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(toEnd);
    observer.observe(el);
    return () => observer.disconnect();
  }, [showInfo]);

  useEffect(() => {
    const onVisible = () => session.markRead(relationId);
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('focus', onVisible);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('focus', onVisible);
    };
  }, [session, relationId]);

  const isGroup = conv?.type === 'group';
  useEffect(() => {
    if (!isGroup) return;
    void session.attempt(async () => {
      const members = await session.members(relationId);
      setNames(Object.fromEntries(members.map((m) => [m.account_id, m.nick_name || m.name])));
    });
  }, [session, relationId, isGroup]);

  if (!conv) return null;
  const submit = () => {
    const content = text.trim();
    if (!content) return;
    setText('');
    session.typing(relationId, false);
    const reply = replyTo;
    setReplyTo(undefined);
    void session.send(relationId, content, reply);
  };

  return (
    <div class="conversation" data-testid="conversation-view" data-relation-id={relationId}>
      <header class="bar">
        <button
          type="button"
          class="outline secondary back"
          data-testid="back"
          onClick={() => session.close()}
        >
          ‹
        </button>
        <strong class="grow" data-testid="conversation-title">
          {conv.title}
        </strong>
        <button
          type="button"
          class="outline secondary"
          data-testid="conversation-info"
          onClick={() => setShowInfo(!showInfo)}
        >
          {showInfo ? 'Close' : 'Info'}
        </button>
      </header>
      {showInfo ? (
        <ConversationInfo session={session} conv={conv} />
      ) : (
        <>
          {history?.top && !history.top.is_revoke && (
            <div class="top-message" data-testid="top-message">
              <small>Top message</small> {preview(history.top)}
            </div>
          )}
          <div
            class="messages"
            ref={list}
            data-testid="messages"
            onScroll={(e) => {
              const el = e.currentTarget;
              atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
            }}
            onLoadCapture={toEnd}
          >
            {history && history.firstPage > 1 && (
              <button
                type="button"
                class="outline secondary older"
                aria-busy={history.loading}
                onClick={() => void session.loadOlder(relationId)}
              >
                Earlier messages
              </button>
            )}
            {history?.loading && messages.length === 0 && <p aria-busy="true">Loading…</p>}
            {messages.map((m) => (
              <MessageItem
                key={m.id}
                session={session}
                msg={m}
                mine={m.account_id === me}
                group={conv.type === 'group'}
                sender={names[m.account_id]}
                onReply={() => setReplyTo(m)}
              />
            ))}
          </div>
          {typing && typing.length > 0 && (
            <small class="typing" data-testid="typing">
              {typing
                .map((id) => (conv.type === 'group' ? (names[id] ?? `#${id}`) : conv.title))
                .join(', ')}{' '}
              typing…
            </small>
          )}
          <form
            class="composer"
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            {replyTo && (
              <div class="replying" data-testid="replying-to">
                Replying to: <em>{preview(replyTo)}</em>
                <button
                  type="button"
                  class="link"
                  data-testid="cancel-reply"
                  onClick={() => setReplyTo(undefined)}
                >
                  ✕
                </button>
              </div>
            )}
            <fieldset role="group">
              <input
                type="file"
                ref={fileInput}
                hidden
                data-testid="file-input"
                onChange={(e) => {
                  const file = e.currentTarget.files?.[0];
                  e.currentTarget.value = '';
                  if (file) void session.attempt(() => session.sendFile(relationId, file, replyTo));
                  setReplyTo(undefined);
                }}
              />
              <button
                type="button"
                class="outline secondary"
                title="Send a file or image"
                data-testid="attach"
                onClick={() => fileInput.current?.click()}
              >
                File
              </button>
              <input
                placeholder="Message"
                aria-label="Message"
                maxLength={1000}
                data-testid="composer-input"
                value={text}
                onInput={(e) => {
                  const value = e.currentTarget.value;
                  setText(value);
                  session.typing(relationId, value.trim() !== '');
                }}
              />
              <button type="submit" data-testid="composer-send" disabled={!text.trim()}>
                Send
              </button>
            </fieldset>
          </form>
        </>
      )}
    </div>
  );
}

function MessageItem(props: {
  session: Session;
  msg: Message;
  mine: boolean;
  group: boolean;
  sender?: string;
  onReply: () => void;
}) {
  const { session, msg, mine, group } = props;
  if (msg.notify_type === 'system') {
    return (
      <div class="system" data-testid="message" data-msg-id={msg.id}>
        <small>{preview(msg)}</small>
      </div>
    );
  }
  const read = msg.read_ids ?? [];
  const status = msg.pending
    ? 'sending…'
    : group
      ? read.length > 0
        ? `read by ${read.length}`
        : 'sent'
      : read.length > 0
        ? 'read'
        : 'sent';
  return (
    <div
      class={`message ${mine ? 'mine' : 'theirs'} ${msg.is_revoke ? 'revoked' : ''} ${
        msg.mentioned_me ? 'mentioned' : ''
      }`}
      data-testid="message"
      data-msg-id={msg.id}
      data-mine={mine ? 'true' : 'false'}
    >
      <div class="bubble">
        {group && !mine && (
          <small class="sender">
            {props.sender ?? (msg.account_id ? `#${msg.account_id}` : 'former member')}
          </small>
        )}
        {msg.rly_msg && (
          <blockquote class="quote" data-testid="reply-quote">
            {preview({ ...msg.rly_msg, notify_type: 'common' })}
          </blockquote>
        )}
        {msg.is_revoke ? (
          <em data-testid="message-text">Message revoked</em>
        ) : msg.msg_type === 'file' ? (
          IMAGE_URL.test(msg.msg_content) ? (
            <a href={msg.msg_content} target="_blank" rel="noopener" data-testid="message-text">
              <img class="picture" src={msg.msg_content} alt="image" loading="lazy" />
            </a>
          ) : (
            <a href={msg.msg_content} target="_blank" rel="noopener" data-testid="message-text">
              File: {decodeURIComponent(msg.msg_content.split('/').pop() ?? 'file')}
            </a>
          )
        ) : (
          <span data-testid="message-text">{msg.msg_content}</span>
        )}
        {!msg.is_revoke && msg.reactions.length > 0 && (
          <div class="reactions" data-testid="reactions">
            {msg.reactions.map((r) => (
              <button
                key={r.emoji}
                type="button"
                class={`reaction ${r.me ? 'me' : ''}`}
                data-testid="reaction"
                data-emoji={r.emoji}
                data-me={r.me ? 'true' : 'false'}
                onClick={() => void session.attempt(() => session.react(msg, r.emoji, !r.me))}
              >
                {r.emoji} {r.count}
              </button>
            ))}
          </div>
        )}
        <div class="meta">
          {msg.edit_at && !msg.is_revoke && <small data-testid="message-edited">edited</small>}
          {msg.is_pin && <span data-testid="message-pinned">pinned</span>}
          {msg.is_top && <span>top</span>}
          <small>{time(msg.create_at)}</small>
          {mine && !msg.is_revoke && (
            <small
              class="status"
              data-testid="message-status"
              data-status={read.length > 0 ? 'read' : 'sent'}
            >
              {status}
            </small>
          )}
        </div>
      </div>
      {!msg.pending && !msg.is_revoke && (
        <div class="tools">
          <button type="button" class="link" data-testid="message-reply" onClick={props.onReply}>
            Reply
          </button>
          <button
            type="button"
            class="link"
            data-testid="message-pin"
            onClick={() => void session.attempt(() => session.pinMessage(msg, !msg.is_pin))}
          >
            {msg.is_pin ? 'Unpin' : 'Pin'}
          </button>
          <button
            type="button"
            class="link"
            data-testid="message-top"
            onClick={() => void session.attempt(() => session.topMessage(msg, !msg.is_top))}
          >
            {msg.is_top ? 'Untop' : 'Top'}
          </button>
          <button
            type="button"
            class="link"
            data-testid="message-react"
            onClick={() => {
              const mineAlready = msg.reactions.some((r) => r.emoji === '👍' && r.me);
              void session.attempt(() => session.react(msg, '👍', !mineAlready));
            }}
          >
            👍
          </button>
          {mine && msg.msg_type === 'text' && (
            <button
              type="button"
              class="link"
              data-testid="message-edit"
              onClick={() => {
                const next = window.prompt('Edit message', msg.msg_content)?.trim();
                if (next && next !== msg.msg_content) {
                  void session.attempt(() => session.edit(msg, next));
                }
              }}
            >
              Edit
            </button>
          )}
          {mine && (
            <button
              type="button"
              class="link"
              data-testid="message-revoke"
              onClick={() => void session.attempt(() => session.revoke(msg))}
            >
              Revoke
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** Settings of one conversation (docs/api.md §9), pinned messages, and a group's members. */
function ConversationInfo({ session, conv }: { session: Session; conv: Conversation }) {
  const [nick, setNick] = useState(conv.nickName);
  const [pins, setPins] = useState<Message[] | null>(null);
  useEffect(() => {
    void session.attempt(async () => setPins((await session.pinnedMessages(conv.relationId)).list));
  }, [session, conv.relationId]);
  return (
    <div class="info" data-testid="conversation-settings">
      <h4>{conv.name}</h4>
      {conv.description && <p>{conv.description}</p>}
      <fieldset>
        <label>
          <input
            type="checkbox"
            role="switch"
            data-testid="setting-pin"
            checked={conv.isPin}
            onChange={() =>
              void session.attempt(() => session.setConversationPin(conv.relationId, !conv.isPin))
            }
          />
          Pin to the top of the list
        </label>
        <label>
          <input
            type="checkbox"
            role="switch"
            data-testid="setting-disturb"
            checked={conv.isNotDisturb}
            onChange={() =>
              void session.attempt(() =>
                session.setDoNotDisturb(conv.relationId, !conv.isNotDisturb),
              )
            }
          />
          Do not disturb
        </label>
        <label>
          <input
            type="checkbox"
            role="switch"
            data-testid="setting-show"
            checked={conv.isShow}
            onChange={() =>
              void session.attempt(() => session.setConversationShow(conv.relationId, !conv.isShow))
            }
          />
          Show in the list
        </label>
      </fieldset>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (nick.trim())
            void session.attempt(() => session.setNickName(conv.relationId, nick.trim()));
        }}
      >
        <fieldset role="group">
          <input
            placeholder={
              conv.type === 'group' ? 'Your nickname in the group' : 'Remark for this friend'
            }
            maxLength={20}
            data-testid="setting-nickname"
            value={nick}
            onInput={(e) => setNick(e.currentTarget.value)}
          />
          <button type="submit">Save</button>
        </fieldset>
      </form>
      <h5>Pinned messages</h5>
      {pins === null ? (
        <p aria-busy="true" />
      ) : pins.length === 0 ? (
        <p>
          <small>None.</small>
        </p>
      ) : (
        <ul data-testid="pinned-messages">
          {pins.map((m) => (
            <li key={m.id}>
              {preview(m)} <small>{time(m.create_at)}</small>
            </li>
          ))}
        </ul>
      )}
      {conv.type === 'group' ? (
        <GroupPanel session={session} conv={conv} />
      ) : (
        conv.friendId !== session.store.state.accountId && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              if (confirm(`Remove ${conv.name} from your friends? The conversation is deleted.`)) {
                void session.attempt(() => session.deleteFriend(conv.relationId));
              }
            }}
          >
            Remove friend
          </button>
        )
      )}
    </div>
  );
}
